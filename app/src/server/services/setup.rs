//! First start and first run: the instance row with its master-key check, the one-time setup
//! code, and the setup wizard that creates the first Admin.

use crate::domain::validate::{DisplayName, Email, Password};
use crate::domain::{AppError, ErrorCode};
use crate::server::audit::{self, Actor, AuditKey, Change, Entry};
use crate::server::crypto::{MasterKeys, SecretText};
use crate::server::db::Db;
use crate::server::repo::throttle::{self, Subject};
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::{instance, users};
use crate::server::services::auth::{self, NewSession};
use crate::server::{Anonymous, AppState, Caller, clock, tokens};
use subtle::ConstantTimeEq;

/// How many wrong setup codes are tolerated before the code is void.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Why start-up refused the database and master key.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("the master key does not match this database (it was sealed with a different key)")]
    WrongMasterKey,
    #[error("{0}")]
    AuditKey(audit::KeyFailure),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Makes sure the instance row exists and was made with `master`; returns the audit chain's
/// key (made on the first start that has none).
pub async fn ensure_instance(db: &Db, master: &MasterKeys) -> Result<AuditKey, StartupError> {
    if instance::get(db).await?.is_none() {
        let mut tx = db.begin().await?;
        instance::init(&mut tx, &master.current().key_check()).await?;
        tx.commit().await?;
    }
    let row = instance::get(db).await?.ok_or(sqlx::Error::RowNotFound)?;
    if !master.verifies(&row.key_check) {
        return Err(StartupError::WrongMasterKey);
    }
    AuditKey::load_or_create(db, master).await.map_err(|e| match e {
        audit::KeyFailure::Db(e) => StartupError::Db(e),
        e @ audit::KeyFailure::Unwrap(_) => StartupError::AuditKey(e),
    })
}

/// The instance's name, for every page's shell ("Secryn" before setup).
pub async fn instance_name(state: &AppState) -> Result<String, AppError> {
    Ok(instance::get(&state.db).await?.map_or_else(|| "Secryn".to_owned(), |i| i.name))
}

/// True once the first Admin exists.
pub async fn is_set_up(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(instance::get(db).await?.is_some_and(|i| i.setup_done))
}

/// A fresh one-time setup code, replacing any earlier one; `None` once the instance is set up.
/// Whoever can ask for one runs the server, so addresses refused for wrong codes are forgiven.
pub async fn issue_setup_code(db: &Db) -> Result<Option<SecretText>, sqlx::Error> {
    if is_set_up(db).await? {
        return Ok(None);
    }
    let code = tokens::setup_code();
    let mut tx = db.begin().await?;
    instance::set_setup_code(&mut tx, &tokens::token_hash(code.expose())).await?;
    throttle::clear_prefix(&mut tx, "setup:").await?;
    tx.commit().await?;
    Ok(Some(code))
}

/// What the setup form sends. Its `Debug` names no code or password.
pub struct SetupInput {
    pub code: String,
    pub instance_name: String,
    pub admin_name: String,
    pub admin_email: String,
    pub password: String,
    pub password_confirm: String,
}

impl std::fmt::Debug for SetupInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupInput")
            .field("instance_name", &self.instance_name)
            .field("admin_name", &self.admin_name)
            .field("admin_email", &self.admin_email)
            .finish_non_exhaustive()
    }
}

/// Wrong setup codes one network address may send within the sign-in window (below the
/// code's own limit, so one address alone cannot void the code).
pub const ATTEMPTS_PER_ADDRESS: i64 = 3;

fn already_set_up() -> AppError {
    AppError::not_found("This instance is already set up.")
}

/// Creates the first Admin and names the instance, if `code` is right. Signs the Admin in.
///
/// The cheap checks come first and the password is hashed only for the right code: a set-up
/// instance answers at once, each address gets a few tries per window, and every wrong code is
/// recorded in the user log.
pub async fn complete(caller: &Caller<Anonymous>, input: SetupInput) -> Result<NewSession, AppError> {
    let instance_name = DisplayName::parse("instance_name", &input.instance_name)?;
    let name = DisplayName::parse("admin_name", &input.admin_name)?;
    let email = Email::parse("admin_email", &input.admin_email)?;
    let password = Password::new_choice("password", input.password)?;
    if password.expose() != input.password_confirm {
        return Err(AppError::validation("password_confirm", "The two passwords are not the same."));
    }
    if input.code.trim().is_empty() {
        return Err(AppError::validation("code", "Enter the setup code printed by the server."));
    }
    let row = instance::get(&caller.state.db).await?.ok_or_else(AppError::internal)?;
    if row.setup_done {
        return Err(already_set_up());
    }
    let Some(code_hash) = row.setup_code_hash.filter(|_| row.setup_code_attempts < MAX_CODE_ATTEMPTS) else {
        return Err(void_code());
    };
    let ip = caller.meta.ip.as_deref().unwrap_or("unknown");
    refuse_busy_address(&caller.state, ip).await?;
    let typed_hash = tokens::token_hash(&tokens::normalise_code(&input.code));
    if !bool::from(code_hash.as_bytes().ct_eq(typed_hash.as_bytes())) {
        return Err(wrong_code(caller, ip).await?);
    }
    let password_hash = caller.state.hasher.hash(&password).await?;

    let mut tx = caller.state.db.begin().await?;
    if users::count(&mut *tx).await? > 0
        || !instance::claim_setup(&mut tx, instance_name.as_str(), &code_hash, MAX_CODE_ATTEMPTS).await?
    {
        return Err(already_set_up());
    }
    let admin = users::NewUser {
        email: email.as_str(),
        name: name.as_str(),
        password_hash: Some(&password_hash),
        is_admin: true,
        state: users::UserState::Active,
    };
    let id = users::insert(&mut tx, admin).await?;
    let actor = Actor::User { id, name: name.as_str().to_owned() };
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor,
            action: "instance.setup",
            resource_type: "instance",
            resource_id: None,
            resource_name: Some(instance_name.as_str().to_owned()),
            changes: vec![Change::values("name", None, Some(instance_name.as_str()))],
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor,
            action: "user.create",
            resource_type: "user",
            resource_id: Some(id.to_string()),
            resource_name: Some(email.as_str().to_owned()),
            changes: vec![
                Change::values("email", None, Some(email.as_str())),
                Change::values("role", None, Some("admin")),
                Change::changed("password"),
            ],
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    let session = auth::start_session(caller, &mut tx, id).await?;
    tx.commit().await?;
    Ok(session)
}

fn address_key(ip: &str) -> String {
    format!("setup:{ip}")
}

/// Refuses an address that sent too many wrong codes within the window.
async fn refuse_busy_address(state: &AppState, ip: &str) -> Result<(), AppError> {
    let since = clock::now() - clock::minutes(auth::WINDOW_MINUTES);
    if throttle::get(&state.db, &address_key(ip))
        .await?
        .is_some_and(|c| c.window_start > since && c.attempts >= ATTEMPTS_PER_ADDRESS)
    {
        return Err(AppError::rate_limited("Too many wrong setup codes from your network address. Try again later."));
    }
    Ok(())
}

/// Records a wrong code (the code's own counter, the address's counter and the user log) and
/// says what is left.
async fn wrong_code(caller: &Caller<Anonymous>, ip: &str) -> Result<AppError, AppError> {
    let mut tx = caller.state.db.begin().await?;
    let n = instance::count_setup_attempt(&mut tx).await?;
    let window = clock::minutes(auth::WINDOW_MINUTES);
    throttle::hit(&mut tx, &address_key(ip), Subject { email: None, ip: Some(ip) }, clock::now(), window).await?;
    let line = LogLine {
        user_id: None,
        email: None,
        event: Event::SetupCodeWrong,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail: Some("wrong setup code"),
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Ok(if n >= MAX_CODE_ATTEMPTS {
        void_code()
    } else {
        AppError::validation("code", "That setup code is not right. Check the server's output and try again.")
    })
}

fn void_code() -> AppError {
    AppError::new(
        ErrorCode::Forbidden,
        "This setup code is no longer valid after too many wrong tries. Restart Secryn or run `secryn setup-code` to get a new one.",
    )
}
