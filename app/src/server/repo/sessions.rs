//! The `sessions` table: one row per signed-in browser, keyed by the SHA-256 of the cookie
//! token. Looking a session up joins the user, so a disabled user's sessions stop working on
//! the very next request on every node.

use super::users::{UserRecord, UserState};
use crate::domain::ids::UserId;
use crate::server::db::{Db, Tx};
use sqlx::Row;

/// A live session and its user.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub user: UserRecord,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// Creates a session row.
pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    user: UserId,
    now: i64,
    expires_at: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) \
         values ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user)
    .bind(now)
    .bind(expires_at)
    .bind(ip)
    .bind(user_agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The session for `token_hash` with its user, if it exists.
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query(
        "select s.last_seen_at, s.expires_at, u.id from sessions s join users u on u.id = s.user_id \
         where s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db.reader())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: UserId = row.try_get(2)?;
    let Some(user) = super::users::find(db.reader(), id).await? else { return Ok(None) };
    if user.state != UserState::Active {
        return Ok(None);
    }
    Ok(Some(SessionRow { user, last_seen_at: row.try_get(0)?, expires_at: row.try_get(1)? }))
}

/// Records activity (called at most once a minute per session).
pub async fn touch(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("update sessions set last_seen_at = $1 where token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Ends one session.
pub async fn delete(tx: &mut Tx, token_hash: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from sessions where token_hash = $1").bind(token_hash).execute(&mut **tx).await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of a user except, optionally, one.
pub async fn delete_for_user(tx: &mut Tx, user: UserId, keep: Option<&str>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from sessions where user_id = $1 and token_hash <> $2")
        .bind(user)
        .bind(keep.unwrap_or(""))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Removes sessions past their absolute or idle limit.
pub async fn delete_expired(db: &Db, now: i64, idle_cutoff: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("delete from sessions where expires_at <= $1 or last_seen_at <= $2")
        .bind(now)
        .bind(idle_cutoff)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
