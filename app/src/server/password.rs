//! Password hashing: Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), off the async
//! runtime, at most one hash per core at a time. A sign-in flood therefore queues here
//! instead of starving health checks and page loads; when the queue is too long, callers are
//! told to slow down at once rather than waiting.

use crate::domain::AppError;
use crate::domain::validate::Password;
use crate::server::cpu::CpuPool;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id hashing on the shared [`CpuPool`] rules: bounded, queued, cancel-safe, so at most
/// `concurrency` hashes — and their 19 MiB each — exist at any moment, whatever clients do.
#[derive(Debug)]
pub struct PasswordHasher {
    pool: CpuPool,
    dummy: String,
}

#[allow(clippy::expect_used, reason = "constant parameters, inside Argon2's ranges")]
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None).expect("valid argon2 parameters"))
}

#[allow(clippy::expect_used, reason = "a fresh salt and a password of at most 1 KiB always hash")]
fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).expect("argon2 hashing of a bounded password").to_string()
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

impl PasswordHasher {
    /// `concurrency` hashes run at once; `max_queued` more may wait.
    pub fn new(concurrency: usize, max_queued: usize) -> Self {
        let busy = "The server is busy with other sign-ins; please try again in a moment.";
        Self { pool: CpuPool::new(concurrency, max_queued, busy), dummy: hash_now("secryn dummy password for timing") }
    }

    /// The most hashes that ever ran at once in this process (never above `concurrency`).
    pub fn peak_running(&self) -> usize {
        self.pool.peak_running()
    }

    /// Requests waiting for a hashing slot now.
    pub fn queued(&self) -> usize {
        self.pool.queued()
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        self.pool.run(work).await
    }

    /// Hashes a new password into PHC form.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let p = password.clone();
        self.run(move || hash_now(p.expose())).await
    }

    /// Checks `password` against `phc`. With no hash (unknown user) a dummy hash is checked
    /// instead, so both cases take the same time, and the answer is false.
    pub async fn verify(&self, password: &Password, phc: Option<&str>) -> Result<bool, AppError> {
        let p = password.clone();
        let (target, real) = match phc {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy.clone(), false),
        };
        let ok = self.run(move || verify_now(p.expose(), &target)).await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let h = PasswordHasher::new(2, 8);
        let pw = Password::new_choice("p", "correct horse battery".into()).unwrap();
        let phc = h.hash(&pw).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify(&pw, Some(&phc)).await.unwrap());
        let wrong = Password::for_sign_in("p", "incorrect horse".into()).unwrap();
        assert!(!h.verify(&wrong, Some(&phc)).await.unwrap());
        assert!(!h.verify(&pw, None).await.unwrap());
        assert!(!h.verify(&pw, Some("not a hash")).await.unwrap());
    }

    /// A flood of requests cancelled at random moments (waiting, or mid-hash) gives every
    /// queue place back and never runs more hashes at once than the bound.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_requests_give_back_their_place_and_slot() {
        let h = Arc::new(PasswordHasher::new(2, 16));
        let phc = h.hash(&Password::new_choice("p", "correct horse battery".into()).unwrap()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..400u64 {
            let h = h.clone();
            let wrong = Password::for_sign_in("p", format!("guess {i}")).unwrap();
            let target = phc.clone();
            // Give up after 0–40 ms: some while queued, some while their hash runs.
            let cancel_after = std::time::Duration::from_millis((i * 7919) % 41);
            tasks.push(tokio::spawn(async move {
                let _ = tokio::time::timeout(cancel_after, h.verify(&wrong, Some(&target))).await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let right = Password::for_sign_in("p", "correct horse battery".into()).unwrap();
        let ok = tokio::time::timeout(std::time::Duration::from_secs(10), h.verify(&right, Some(&phc))).await;
        assert!(matches!(ok, Ok(Ok(true))), "a correct password is checked within seconds after the flood: {ok:?}");
        assert_eq!(h.queued(), 0, "every queue place was given back");
        assert!(h.peak_running() <= 2, "at most 2 hashes ran at once, saw {}", h.peak_running());
        assert!(h.peak_running() >= 1);
    }

    #[tokio::test]
    async fn a_full_queue_answers_at_once() {
        let h = Arc::new(PasswordHasher::new(1, 0));
        let pw = Password::for_sign_in("p", "x".into()).unwrap();
        let err = h.verify(&pw, None).await.unwrap_err();
        assert_eq!(err.code, crate::domain::ErrorCode::RateLimited);
    }
}
