//! The user log: sign-ins, failures, lockouts, sign-outs, session expiry, denied actions.
//! Never a password or token.

use crate::domain::ids::UserId;
use crate::server::clock;
use crate::server::db::Tx;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    SignIn,
    SignInFailed,
    Lockout,
    SignOut,
    SessionExpired,
    Denied,
    PasswordChanged,
    SetupCodeWrong,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::SignIn => "sign_in",
            Event::SignInFailed => "sign_in_failed",
            Event::Lockout => "lockout",
            Event::SignOut => "sign_out",
            Event::SessionExpired => "session_expired",
            Event::Denied => "denied",
            Event::PasswordChanged => "password_changed",
            Event::SetupCodeWrong => "setup_code_wrong",
        }
    }
}

/// One user-log line.
#[derive(Clone, Debug)]
pub struct LogLine<'a> {
    pub user_id: Option<UserId>,
    pub email: Option<&'a str>,
    pub event: Event,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Appends a line inside `tx`, with the id of the request being served, if any.
pub async fn append(tx: &mut Tx, line: LogLine<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into user_log (id, at, user_id, email, event, ip, user_agent, detail, request_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(clock::now())
    .bind(line.user_id)
    .bind(line.email)
    .bind(line.event.as_str())
    .bind(line.ip)
    .bind(line.user_agent.map(|ua| ua.chars().take(256).collect::<String>()))
    .bind(line.detail)
    .bind(crate::server::request::current_id())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
