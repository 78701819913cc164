//! Sign-in failure counters, kept in the database so lockouts hold across every node.
//! Keys are `email:<address>` (known or not, so a lockout reveals nothing) and `ip:<addr>`.

use crate::server::db::{Db, Tx};
use sqlx::Row;

/// A counter's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: Option<i64>,
}

/// Reads one counter.
pub async fn get(db: &Db, key: &str) -> Result<Option<Counter>, sqlx::Error> {
    let row = sqlx::query("select failures, window_start, locked_until from sign_in_throttle where key = $1")
        .bind(key)
        .fetch_optional(db.reader())
        .await?;
    row.map(|r| Ok(Counter { failures: r.try_get(0)?, window_start: r.try_get(1)?, locked_until: r.try_get(2)? }))
        .transpose()
}

/// Writes one counter.
pub async fn put(tx: &mut Tx, key: &str, c: Counter) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sign_in_throttle (key, failures, window_start, locked_until) values ($1, $2, $3, $4) \
         on conflict (key) do update set failures = excluded.failures, window_start = excluded.window_start, \
         locked_until = excluded.locked_until",
    )
    .bind(key)
    .bind(c.failures)
    .bind(c.window_start)
    .bind(c.locked_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets a counter (after a successful sign-in).
pub async fn clear(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_throttle where key = $1").bind(key).execute(&mut **tx).await?;
    Ok(())
}
