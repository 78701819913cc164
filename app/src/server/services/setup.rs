//! First start and first run: the instance row with its master-key check, the one-time setup
//! code, and the setup wizard that creates the first Admin.

use crate::domain::validate::{DisplayName, Email, Password};
use crate::domain::{AppError, ErrorCode};
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::crypto::{MasterKey, SecretText};
use crate::server::db::Db;
use crate::server::repo::{instance, users};
use crate::server::services::auth::{self, NewSession};
use crate::server::{AppState, RequestMeta, tokens};
use subtle::ConstantTimeEq;

/// How many wrong setup codes are tolerated before the code is void.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Why start-up refused the database and master key.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("the master key does not match this database (it was sealed with a different key)")]
    WrongMasterKey,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Makes sure the instance row exists and was made with `master`.
pub async fn ensure_instance(db: &Db, master: &MasterKey) -> Result<(), StartupError> {
    if instance::get(db).await?.is_none() {
        let mut tx = db.begin().await?;
        instance::init(&mut tx, &master.key_check()).await?;
        tx.commit().await?;
    }
    let row = instance::get(db).await?.ok_or(sqlx::Error::RowNotFound)?;
    if master.verifies(&row.key_check) { Ok(()) } else { Err(StartupError::WrongMasterKey) }
}

/// True once the first Admin exists.
pub async fn is_set_up(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(instance::get(db).await?.is_some_and(|i| i.setup_done))
}

/// A fresh one-time setup code, replacing any earlier one; `None` once the instance is set up.
pub async fn issue_setup_code(db: &Db) -> Result<Option<SecretText>, sqlx::Error> {
    if is_set_up(db).await? {
        return Ok(None);
    }
    let code = tokens::setup_code();
    let mut tx = db.begin().await?;
    instance::set_setup_code(&mut tx, &tokens::token_hash(code.expose())).await?;
    tx.commit().await?;
    Ok(Some(code))
}

/// What the setup form sends.
#[derive(Debug)]
pub struct SetupInput {
    pub code: String,
    pub instance_name: String,
    pub admin_name: String,
    pub admin_email: String,
    pub password: String,
    pub password_confirm: String,
}

/// Creates the first Admin and names the instance, if `code` is right. Signs the Admin in.
pub async fn complete(state: &AppState, input: SetupInput, meta: &RequestMeta) -> Result<NewSession, AppError> {
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
    let typed_hash = tokens::token_hash(&tokens::normalise_code(&input.code));
    let password_hash = state.hasher.hash(&password).await?;

    let mut tx = state.db.begin().await?;
    let Some((done, code_hash, attempts)) = instance::get_for_update(&mut tx).await? else {
        return Err(AppError::internal());
    };
    if done || users::count(&mut *tx).await? > 0 {
        return Err(AppError::not_found("This instance is already set up."));
    }
    let Some(code_hash) = code_hash.filter(|_| attempts < MAX_CODE_ATTEMPTS) else {
        return Err(void_code());
    };
    if !bool::from(code_hash.as_bytes().ct_eq(typed_hash.as_bytes())) {
        let n = instance::count_setup_attempt(&mut tx).await?;
        tx.commit().await?;
        return Err(if n >= MAX_CODE_ATTEMPTS {
            void_code()
        } else {
            AppError::validation("code", "That setup code is not right. Check the server's output and try again.")
        });
    }
    let admin = users::NewUser {
        email: email.as_str(),
        name: name.as_str(),
        password_hash: Some(&password_hash),
        is_admin: true,
        state: users::UserState::Active,
    };
    let id = users::insert(&mut tx, admin).await?;
    instance::finish_setup(&mut tx, instance_name.as_str()).await?;
    let actor = Actor::User { id, name: name.as_str().to_owned() };
    audit::append(
        &mut tx,
        Entry {
            actor: &actor,
            action: "instance.setup",
            resource_type: "instance",
            resource_id: None,
            resource_name: Some(instance_name.as_str().to_owned()),
            changes: vec![Change::values("name", None, Some(instance_name.as_str()))],
            source_ip: meta.ip.clone(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
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
            source_ip: meta.ip.clone(),
        },
    )
    .await?;
    let session = auth::start_session(state, &mut tx, id, meta).await?;
    tx.commit().await?;
    Ok(session)
}

fn void_code() -> AppError {
    AppError::new(
        ErrorCode::Forbidden,
        "This setup code is no longer valid after too many wrong tries. Restart Secryn or run `secryn setup-code` to get a new one.",
    )
}
