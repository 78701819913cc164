//! Sign-in, sessions and sign-out.
//!
//! Throttling (counted in the database, so it holds across nodes): an e-mail address is
//! locked for 15 minutes after 5 failures within 15 minutes — known or unknown, so a lockout
//! reveals nothing; an IP address is refused for 15 minutes after 50 failures within 15
//! minutes (`SECRYN_SIGNIN_IP_LIMIT`). Unknown users, wrong passwords and disabled accounts all get one message, after
//! the same Argon2 work.

use crate::domain::ids::UserId;
use crate::domain::validate::{Email, Password};
use crate::domain::{AppError, ErrorCode};
use crate::server::audit::{self, Actor, Entry};
use crate::server::crypto::SecretText;
use crate::server::db::Tx;
use crate::server::repo::throttle::{self, Counter};
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::{sessions, users};
use crate::server::tokens::{self, TokenKind};
use crate::server::{AppState, RequestMeta, SessionCtx, clock};

/// Failures of one e-mail address before it is locked.
pub const ACCOUNT_FAILURES: i64 = 5;
/// Counting window and lock length, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
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

fn email_key(email: &str) -> String {
    format!("email:{email}")
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now) / 60_000_000 + 1).max(1)
}

async fn refuse_if_locked(state: &AppState, email: &str, meta: &RequestMeta, now: i64) -> Result<(), AppError> {
    if let Some(ip) = &meta.ip
        && let Some(Counter { locked_until: Some(until), .. }) = throttle::get(&state.db, &ip_key(ip)).await?
        && until > now
    {
        return Err(AppError::rate_limited(format!(
            "Too many failed sign-ins from your network address. Try again in {} minutes.",
            minutes_left(until, now)
        )));
    }
    if let Some(Counter { locked_until: Some(until), .. }) = throttle::get(&state.db, &email_key(email)).await?
        && until > now
    {
        return Err(AppError::rate_limited(format!(
            "This account is locked after repeated failed sign-ins. Try again in {} minutes.",
            minutes_left(until, now)
        )));
    }
    Ok(())
}

/// Adds one failure to `key`; returns true when this failure locked it.
async fn count_failure(state: &AppState, tx: &mut Tx, key: &str, limit: i64, now: i64) -> Result<bool, AppError> {
    let window = clock::minutes(WINDOW_MINUTES);
    let mut c =
        throttle::get(&state.db, key).await?.unwrap_or(Counter { failures: 0, window_start: now, locked_until: None });
    if now - c.window_start > window || c.locked_until.is_some_and(|u| u <= now) {
        c = Counter { failures: 0, window_start: now, locked_until: None };
    }
    c.failures += 1;
    let locked = c.failures >= limit && c.locked_until.is_none();
    if locked {
        c.locked_until = Some(now + window);
    }
    throttle::put(tx, key, c).await?;
    Ok(locked)
}

/// Checks an e-mail and password and, if right, starts a session.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    meta: &RequestMeta,
) -> Result<NewSession, AppError> {
    let email = Email::parse("email", email)?;
    let password = Password::for_sign_in("password", password)?;
    let now = clock::now();
    refuse_if_locked(state, email.as_str(), meta, now).await?;

    let user = users::find_by_email(state.db.reader(), email.as_str()).await?;
    let usable = user.as_ref().filter(|u| u.state == users::UserState::Active);
    let hash = usable.and_then(|u| u.password_hash.as_deref());
    let ok = state.hasher.verify(&password, hash).await?;

    let mut tx = state.db.begin().await?;
    let log = |event, detail| LogLine {
        user_id: user.as_ref().map(|u| u.id),
        email: Some(email.as_str()),
        event,
        ip: meta.ip.as_deref(),
        user_agent: meta.user_agent.as_deref(),
        detail,
    };
    let Some(user) = usable.filter(|_| ok) else {
        let detail = match &user {
            None => "unknown e-mail",
            Some(u) if u.state != users::UserState::Active => "account not active",
            Some(_) => "wrong password",
        };
        user_log::append(&mut tx, log(Event::SignInFailed, Some(detail))).await?;
        if count_failure(state, &mut tx, &email_key(email.as_str()), ACCOUNT_FAILURES, now).await? {
            user_log::append(&mut tx, log(Event::Lockout, Some("account locked for 15 minutes"))).await?;
        }
        if let Some(ip) = meta.ip.as_ref().filter(|_| state.settings.ip_failure_limit > 0)
            && count_failure(state, &mut tx, &ip_key(ip), state.settings.ip_failure_limit, now).await?
        {
            user_log::append(&mut tx, log(Event::Lockout, Some("network address refused for 15 minutes"))).await?;
        }
        tx.commit().await?;
        return Err(AppError::new(ErrorCode::Unauthorized, WRONG_CREDENTIALS));
    };
    throttle::clear(&mut tx, &email_key(email.as_str())).await?;
    user_log::append(&mut tx, log(Event::SignIn, None)).await?;
    let actor = Actor::User { id: user.id, name: user.name.clone() };
    audit::append(
        &mut tx,
        Entry {
            actor: &actor,
            action: "user.sign_in",
            resource_type: "user",
            resource_id: Some(user.id.to_string()),
            resource_name: Some(user.email.clone()),
            changes: vec![],
            source_ip: meta.ip.clone(),
        },
    )
    .await?;
    let session = start_session(state, &mut tx, user.id, meta).await?;
    tx.commit().await?;
    Ok(session)
}

/// Creates a session row for `user` inside `tx` and returns its fresh token.
pub async fn start_session(
    state: &AppState,
    tx: &mut Tx,
    user: UserId,
    meta: &RequestMeta,
) -> Result<NewSession, AppError> {
    let token = tokens::generate(TokenKind::Session);
    let now = clock::now();
    let expires = now + state.settings.session_absolute;
    let ua = meta.user_agent.as_deref().map(|s| s.chars().take(256).collect::<String>());
    sessions::insert(tx, &tokens::token_hash(token.expose()), user, now, expires, meta.ip.as_deref(), ua.as_deref())
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
    if row.expires_at <= now || row.last_seen_at + state.settings.session_idle <= now {
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
pub async fn sign_out(state: &AppState, session: &SessionCtx, meta: &RequestMeta) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    sessions::delete(&mut tx, &session.token_hash).await?;
    let line = LogLine {
        user_id: Some(session.user.id),
        email: Some(&session.user.email),
        event: Event::SignOut,
        ip: meta.ip.as_deref(),
        user_agent: meta.user_agent.as_deref(),
        detail: None,
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Ok(())
}
