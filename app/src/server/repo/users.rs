//! The `users` table. A user row is read without its password hash: the hash is read on its
//! own ([`password_hash`]) only where a password is checked, so no session, page or log line
//! ever holds one.

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

/// A user row, without the password hash.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// The user has chosen a password (an invited user has not yet).
    pub has_password: bool,
    pub is_admin: bool,
    pub state: UserState,
    pub email_notifications: bool,
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

/// The hash itself is never selected here: only whether there is one.
const COLUMNS: &str = "id, email, name, cast(case when password_hash is null then 0 else 1 end as bigint), \
     is_admin, state, email_notifications";

fn from_row(r: &AnyRow) -> Result<UserRecord, sqlx::Error> {
    let state: String = r.try_get(5)?;
    Ok(UserRecord {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        has_password: flag(r.try_get(3)?),
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
    let row = sqlx::query(&format!("select {COLUMNS} from users where id = $1")).bind(id).fetch_optional(ex).await?;
    row.as_ref().map(from_row).transpose()
}

/// A user's password hash, read only to check a password (none: no password chosen yet).
pub async fn password_hash<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: UserId,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select password_hash from users where id = $1").bind(id).fetch_optional(ex).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.flatten())
}

/// How many people have accounts, in any state (setup is open only while this is zero;
/// system accounts do not count).
pub async fn count<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from users where system_account = 0").fetch_one(ex).await
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
    .bind(id)
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
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the e-mail notification preference.
pub async fn set_email_notifications(tx: &mut Tx, id: UserId, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update users set email_notifications = $1, updated_at = $2 where id = $3")
        .bind(i64::from(on))
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl UserState {
    /// Reads a state as submitted by a filter; unknown text is no state.
    pub fn from_name(s: &str) -> Option<UserState> {
        match s {
            "pending" => Some(UserState::Pending),
            "active" => Some(UserState::Active),
            "disabled" => Some(UserState::Disabled),
            _ => None,
        }
    }
}

/// A user as the Users page lists them.
#[derive(Clone, Debug)]
pub struct UserListItem {
    pub user: UserRecord,
    pub created_at: i64,
}

/// What the Users page filters on. `text` matches a part of the name or e-mail, ignoring
/// case.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub text: Option<String>,
    pub state: Option<UserState>,
}

/// At most this many users are listed at once.
pub const LIST_LIMIT: i64 = 1000;

/// Users matching `filter`, by name then e-mail.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    filter: &UserFilter,
) -> Result<Vec<UserListItem>, sqlx::Error> {
    let pattern = filter.text.as_deref().map(crate::server::db::like_pattern).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "select {COLUMNS}, created_at from users \
         where ($1 = '' or lower(name) like $1 escape '\\' or lower(email) like $1 escape '\\') \
         and ($2 = '' or state = $2) and system_account = 0 \
         order by lower(name), email limit $3"
    ))
    .bind(pattern)
    .bind(filter.state.map(UserState::as_str).unwrap_or(""))
    .bind(LIST_LIMIT)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok(UserListItem { user: from_row(r)?, created_at: r.try_get(7)? })).collect()
}

/// Active Admins, the ones who can still run the instance.
pub async fn count_active_admins<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from users where is_admin = 1 and state = 'active' and system_account = 0")
        .fetch_one(ex)
        .await
}

/// Sets a user's state.
pub async fn set_state(tx: &mut Tx, id: UserId, state: UserState) -> Result<(), sqlx::Error> {
    sqlx::query("update users set state = $1, updated_at = $2 where id = $3")
        .bind(state.as_str())
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Grants or revokes the Admin role.
pub async fn set_admin(tx: &mut Tx, id: UserId, admin: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update users set is_admin = $1, updated_at = $2 where id = $3")
        .bind(i64::from(admin))
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Turns an invited user into an active one with their chosen name and password.
pub async fn activate(tx: &mut Tx, id: UserId, name: &str, password_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update users set name = $1, password_hash = $2, state = 'active', updated_at = $3 where id = $4")
        .bind(name)
        .bind(password_hash)
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Makes changes to users (states, roles, links) take turns across nodes, so two Admins
/// demoting each other at once cannot leave the instance without an Admin. SQLite write
/// transactions already take turns (`BEGIN IMMEDIATE`); PostgreSQL takes an advisory lock
/// held until the transaction ends.
pub async fn lock_user_changes(tx: &mut Tx) -> Result<(), sqlx::Error> {
    /// Arbitrary constant naming the lock.
    const PG_USERS_LOCK: i64 = 0x5ec7_05e5;
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("select pg_advisory_xact_lock($1)").bind(PG_USERS_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks an account that no person signs in to (it has no password either); such accounts
/// are left out of user counts and the Users list.
pub async fn mark_system(tx: &mut crate::server::db::Tx, id: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("update users set system_account = 1 where id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}
