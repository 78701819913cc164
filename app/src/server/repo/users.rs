//! The `users` table. The password hash lives only in `UserRecord`, which never leaves the
//! server; pages get `CurrentUser`.

use crate::domain::ids::UserId;
use crate::domain::session::CurrentUser;
use crate::server::clock;
use crate::server::db::{Tx, flag};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

/// A user's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserState {
    Pending,
    Active,
    Disabled,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Pending => "pending",
            UserState::Active => "active",
            UserState::Disabled => "disabled",
        }
    }

    fn parse(s: &str) -> UserState {
        match s {
            "active" => UserState::Active,
            "pending" => UserState::Pending,
            _ => UserState::Disabled,
        }
    }
}

/// A user row, hash included: server only.
#[derive(Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub state: UserState,
    pub email_notifications: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord").field("id", &self.id).field("email", &self.email).finish_non_exhaustive()
    }
}

impl UserRecord {
    /// The view pages may hold.
    pub fn current(&self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            is_admin: self.is_admin,
            email_notifications: self.email_notifications,
        }
    }
}

const COLUMNS: &str = "id, email, name, password_hash, is_admin, state, email_notifications";

fn from_row(r: &AnyRow) -> Result<UserRecord, sqlx::Error> {
    let id: String = r.try_get(0)?;
    let state: String = r.try_get(5)?;
    Ok(UserRecord {
        id: UserId::parse(&id).ok_or_else(|| sqlx::Error::Decode("malformed user id".into()))?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        is_admin: flag(r.try_get(4)?),
        state: UserState::parse(&state),
        email_notifications: flag(r.try_get(6)?),
    })
}

/// Finds a user by (normalised) e-mail.
pub async fn find_by_email<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    email: &str,
) -> Result<Option<UserRecord>, sqlx::Error> {
    let row =
        sqlx::query(&format!("select {COLUMNS} from users where email = $1")).bind(email).fetch_optional(ex).await?;
    row.as_ref().map(from_row).transpose()
}

/// Finds a user by id.
pub async fn find<'e, E: Executor<'e, Database = Any>>(ex: E, id: UserId) -> Result<Option<UserRecord>, sqlx::Error> {
    let row = sqlx::query(&format!("select {COLUMNS} from users where id = $1"))
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// How many users exist in any state (setup is open only while this is zero).
pub async fn count<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from users").fetch_one(ex).await
}

/// What a new user row needs.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_admin: bool,
    pub state: UserState,
}

/// Inserts a user; a duplicate e-mail surfaces as a unique-constraint error.
pub async fn insert(tx: &mut Tx, u: NewUser<'_>) -> Result<UserId, sqlx::Error> {
    let id = UserId::new();
    let now = clock::now();
    sqlx::query(
        "insert into users (id, email, name, password_hash, is_admin, state, email_notifications, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
    )
    .bind(id.to_string())
    .bind(u.email)
    .bind(u.name)
    .bind(u.password_hash)
    .bind(i64::from(u.is_admin))
    .bind(u.state.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Replaces a user's password hash.
pub async fn set_password_hash(tx: &mut Tx, id: UserId, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
        .bind(hash)
        .bind(clock::now())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the e-mail notification preference.
pub async fn set_email_notifications(tx: &mut Tx, id: UserId, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update users set email_notifications = $1, updated_at = $2 where id = $3")
        .bind(i64::from(on))
        .bind(clock::now())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
