//! Password hashing: Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), off the async
//! runtime, at most one hash per core at a time. A sign-in flood therefore queues here
//! instead of starving health checks and page loads; when the queue is too long, callers are
//! told to slow down at once rather than waiting.

use crate::domain::AppError;
use crate::domain::validate::Password;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Bounded-concurrency Argon2id hasher shared by every request.
#[derive(Debug)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    queued: AtomicUsize,
    max_queued: usize,
    dummy: String,
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None).expect("valid argon2 parameters"))
}

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
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            queued: AtomicUsize::new(0),
            max_queued,
            dummy: hash_now("secryn dummy password for timing"),
        }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.max_queued {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::rate_limited(
                "The server is busy with other sign-ins; please try again in a moment.",
            ));
        }
        let permit = self.permits.clone().acquire_owned().await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit.map_err(|_| AppError::internal())?;
        tokio::task::spawn_blocking(work).await.map_err(|_| AppError::internal())
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

    #[tokio::test]
    async fn a_full_queue_answers_at_once() {
        let h = Arc::new(PasswordHasher::new(1, 0));
        let pw = Password::for_sign_in("p", "x".into()).unwrap();
        let err = h.verify(&pw, None).await.unwrap_err();
        assert_eq!(err.code, crate::domain::ErrorCode::RateLimited);
    }
}
