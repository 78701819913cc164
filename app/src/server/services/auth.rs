//! Sign-in, sessions and sign-out.
//!
//! Throttling (counted in the database, so it holds across nodes; every attempt is counted
//! atomically *before* its password is checked, so a concurrent burst gets no extra guesses):
//! - one account from one network address: after 5 attempts within 15 minutes that address
//!   is refused for that account until the window ends — the owner elsewhere is not affected;
//! - one account from anywhere: past 5 failures within 15 minutes every attempt waits a
//!   growing delay (0.5 s doubling up to 8 s) before its password is checked — the account
//!   slows down instead of locking its owner out;
//! - one network address: after `SECRYN_SIGNIN_IP_LIMIT` attempts (default 50) within 15
//!   minutes it is refused for every account.
//!
//! - one network address, per node: past `SECRYN_ANONYMOUS_PER_MINUTE` failures (default 60)
//!   within a minute it is refused and each refusal only counted (see `flood`), so failed
//!   sign-ins cannot fill the user log even with the limit above turned off.
//!
//! The two per-address counters count attempts before the check, so a burst of concurrent
//! guesses gets no more than the limit; a successful sign-in gives its attempt back (and
//! clears its address's count for that account). The account's counter counts failures only,
//! so people signing in at the same time never slow each other down. Unknown e-mails are counted like known ones, so a refusal reveals nothing.
//! Unknown users, wrong passwords and disabled accounts all get one message, after the same
//! Argon2 work. Admins see and clear current locks (`services::users::sign_in_locks`).

use crate::domain::ids::UserId;
use crate::domain::time::Micros;
use crate::domain::validate::{Email, Password};
use crate::domain::{AppError, ErrorCode};
use crate::server::audit::{self, Actor, Entry};
use crate::server::crypto::SecretText;
use crate::server::db::Tx;
use crate::server::flood::Door;
use crate::server::repo::throttle::{self, Subject};
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::{sessions, users};
use crate::server::tokens::{self, TokenKind};
use crate::server::{Anonymous, AppState, Caller, SessionCtx, clock};
use std::time::Duration;

/// Attempts on one account from one address before that address is refused for it; also the
/// failures of one account (from anywhere) after which attempts are slowed down. The default;
/// an Admin may set another under Settings → Instance.
pub const ACCOUNT_FAILURES: i64 = 5;
/// Counting window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// The longest an attempt on a much-attacked account waits before its check.
pub const MAX_DELAY: Duration = Duration::from_secs(8);
/// Sessions record activity at most this often (microseconds), to avoid a write per request.
const TOUCH_EVERY: i64 = 60_000_000;

/// The one answer for every failed sign-in.
pub const WRONG_CREDENTIALS: &str = "The e-mail address or password is not correct.";

/// A session just created: the cookie token (shown to the browser once) and its user.
#[derive(Debug)]
pub struct NewSession {
    pub token: SecretText,
    pub user: users::UserRecord,
}

/// Counter keys (see `repo::throttle`).
pub fn source_key(email: &str, ip: &str) -> String {
    format!("source:{email} {ip}")
}

/// The account-wide counter's key.
pub fn account_key(email: &str) -> String {
    format!("email:{email}")
}

/// The per-address counter's key.
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

fn minutes_left(window_start: Micros, now: Micros) -> i64 {
    ((window_start + clock::minutes(WINDOW_MINUTES) - now) / 60_000_000 + 1).max(1)
}

/// How long an attempt waits when the account has `failures` failures in the window already
/// and slows down from `limit` on.
pub fn delay_for(failures: i64, limit: i64) -> Duration {
    if failures < limit {
        return Duration::ZERO;
    }
    let doublings = u32::try_from((failures - limit).min(8)).unwrap_or(8);
    Duration::from_millis(500u64 << doublings).min(MAX_DELAY)
}

/// The counters one attempt touched, so its outcome can be recorded against them.
struct Attempt {
    source: throttle::Counter,
    ip: Option<throttle::Counter>,
    /// Failures of the account before this attempt.
    account_failures: i64,
}

/// Counts the attempt on its address's counters, or refuses it when the address is over a
/// limit (one short write transaction, committed before any hashing), and reads how many
/// failures the account has.
async fn count_attempt(state: &AppState, email: &str, ip: &str, now: Micros) -> Result<Attempt, AppError> {
    let window = clock::minutes(WINDOW_MINUTES);
    let mut tx = state.db.begin().await?;
    let source =
        throttle::hit(&mut tx, &source_key(email, ip), Subject { email: Some(email), ip: Some(ip) }, now, window)
            .await?;
    let knobs = state.knobs.get();
    if source.attempts > knobs.account_failure_limit {
        tx.commit().await?;
        return Err(AppError::rate_limited(format!(
            "Too many failed sign-ins to this account from your network address. Try again in {} minutes.",
            minutes_left(source.window_start, now)
        )));
    }
    let limit = knobs.ip_failure_limit;
    let mut ip_counter = None;
    if limit > 0 {
        let c = throttle::hit(&mut tx, &ip_key(ip), Subject { email: None, ip: Some(ip) }, now, window).await?;
        if c.attempts > limit {
            tx.commit().await?;
            return Err(AppError::rate_limited(format!(
                "Too many failed sign-ins from your network address. Try again in {} minutes.",
                minutes_left(c.window_start, now)
            )));
        }
        ip_counter = Some(c);
    }
    tx.commit().await?;
    // The account's failures set its delay; counted after a failed check, so people signing in
    // at the same time never slow each other down.
    let account_failures = throttle::get(&state.db, &account_key(email))
        .await?
        .filter(|c| c.window_start > now - window)
        .map_or(0, |c| c.attempts);
    Ok(Attempt { source, ip: ip_counter, account_failures })
}

/// Checks an e-mail and password and, if right, starts a session.
pub async fn sign_in(caller: &Caller<Anonymous>, email: &str, password: String) -> Result<NewSession, AppError> {
    let email = Email::parse("email", email)?;
    let password = Password::for_sign_in("password", password)?;
    let ip = caller.meta.ip.as_deref().unwrap_or("unknown");
    let flood = &caller.state.flood;
    if !flood.allows(Door::SignIn, caller.meta.ip.as_deref(), clock::now()) {
        return Err(AppError::rate_limited(
            "Too many failed sign-ins from your network address this minute. Try again in a minute.",
        ));
    }
    let attempt = count_attempt(&caller.state, email.as_str(), ip, clock::now()).await.inspect_err(|e| {
        if e.code == ErrorCode::RateLimited {
            flood.summarize(Door::SignIn, caller.meta.ip.as_deref(), clock::now());
        }
    })?;
    let knobs = caller.state.knobs.get();
    tokio::time::sleep(delay_for(attempt.account_failures, knobs.account_failure_limit)).await;

    let user = users::find_by_email(caller.state.db.reader(), email.as_str()).await?;
    let usable = user.as_ref().filter(|u| u.state == users::UserState::Active);
    let hash = match usable {
        Some(u) => users::password_hash(caller.state.db.reader(), u.id).await?,
        None => None,
    };
    let ok = caller.state.hasher.verify(&password, hash.as_deref()).await?;

    let mut tx = caller.state.db.begin().await?;
    let log = |event, detail| LogLine {
        user_id: user.as_ref().map(|u| u.id),
        email: Some(email.as_str()),
        event,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail,
    };
    let Some(user) = usable.filter(|_| ok) else {
        let detail = match &user {
            None => "unknown e-mail",
            Some(u) if u.state != users::UserState::Active => "account not active",
            Some(_) => "wrong password",
        };
        flood.note(Door::SignIn, caller.meta.ip.as_deref(), clock::now());
        user_log::append(&mut tx, log(Event::SignInFailed, Some(detail))).await?;
        let who = Subject { email: Some(email.as_str()), ip: None };
        let window = clock::minutes(WINDOW_MINUTES);
        let account = throttle::hit(&mut tx, &account_key(email.as_str()), who, clock::now(), window).await?;
        if attempt.source.attempts == knobs.account_failure_limit {
            let detail = "this network address is refused for this account for 15 minutes";
            user_log::append(&mut tx, log(Event::Lockout, Some(detail))).await?;
        }
        if account.attempts == knobs.account_failure_limit {
            let detail = "further sign-ins to this account are slowed down for 15 minutes";
            user_log::append(&mut tx, log(Event::Lockout, Some(detail))).await?;
        }
        if attempt.ip.is_some_and(|c| c.attempts == knobs.ip_failure_limit) {
            user_log::append(&mut tx, log(Event::Lockout, Some("network address refused for 15 minutes"))).await?;
        }
        tx.commit().await?;
        return Err(AppError::new(ErrorCode::Unauthorized, WRONG_CREDENTIALS));
    };
    throttle::clear(&mut tx, &source_key(email.as_str(), ip)).await?;
    if attempt.ip.is_some() {
        throttle::give_back(&mut tx, &ip_key(ip)).await?;
    }
    user_log::append(&mut tx, log(Event::SignIn, None)).await?;
    let actor = Actor::User { id: user.id, name: user.name.clone() };
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor,
            action: "user.sign_in",
            resource_type: "user",
            resource_id: Some(user.id.to_string()),
            resource_name: Some(user.email.clone()),
            changes: vec![],
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    let session = start_session(caller, &mut tx, user.id).await?;
    tx.commit().await?;
    Ok(session)
}

/// Creates a session row for `user` inside `tx` and returns its fresh token.
pub async fn start_session(caller: &Caller<Anonymous>, tx: &mut Tx, user: UserId) -> Result<NewSession, AppError> {
    let token = tokens::generate(TokenKind::Session);
    let now = clock::now();
    let expires = now + caller.state.knobs.get().session_absolute();
    let ua = caller.meta.user_agent.as_deref().map(|s| s.chars().take(256).collect::<String>());
    sessions::insert(
        tx,
        &tokens::token_hash(token.expose()),
        user,
        now,
        expires,
        caller.meta.ip.as_deref(),
        ua.as_deref(),
    )
    .await?;
    let user = users::find(&mut **tx, user).await?.ok_or_else(AppError::internal)?;
    Ok(NewSession { token, user })
}

/// The live session for a cookie token, if any. Expired sessions are removed and logged.
pub async fn resolve(state: &AppState, token: &str) -> Result<Option<SessionCtx>, AppError> {
    if !tokens::well_formed(TokenKind::Session, token) {
        return Ok(None);
    }
    let hash = tokens::token_hash(token);
    let Some(row) = sessions::find(&state.db, &hash).await? else { return Ok(None) };
    let now = clock::now();
    if row.expires_at <= now || row.last_seen_at + state.knobs.get().session_idle() <= now {
        let mut tx = state.db.begin().await?;
        if sessions::delete(&mut tx, &hash).await? {
            let line = LogLine {
                user_id: Some(row.user.id),
                email: Some(&row.user.email),
                event: Event::SessionExpired,
                ip: None,
                user_agent: None,
                detail: None,
            };
            user_log::append(&mut tx, line).await?;
        }
        tx.commit().await?;
        return Ok(None);
    }
    if now - row.last_seen_at > TOUCH_EVERY {
        sessions::touch(&state.db, &hash, now).await?;
    }
    Ok(Some(SessionCtx { user: row.user, token_hash: hash }))
}

/// Ends the current session.
pub async fn sign_out(caller: &Caller) -> Result<(), AppError> {
    let mut tx = caller.state.db.begin().await?;
    sessions::delete(&mut tx, &caller.who.token_hash).await?;
    let line = LogLine {
        user_id: Some(caller.user().id),
        email: Some(&caller.user().email),
        event: Event::SignOut,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail: None,
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Ok(())
}
