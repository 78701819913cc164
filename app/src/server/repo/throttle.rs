//! Sign-in attempt counters, kept in the database so limits hold across every node.
//!
//! Each counter counts attempts in a fixed window that starts with its first attempt. An
//! attempt is counted *before* its password is checked, in one atomic statement, so a burst of
//! concurrent guesses cannot all slip past the limit, and two nodes never overwrite each
//! other's counts. Keys (see `services::auth`): `source:<email> <ip>` (one account from one
//! address), `email:<email>` (one account from anywhere), `ip:<ip>` (one address).

use crate::domain::time::Micros;
use crate::server::db::{Db, Tx};
use sqlx::Row;

/// A counter's state after an attempt was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Attempts in the current window, this one included.
    pub attempts: i64,
    pub window_start: Micros,
}

/// What a counter is about, for the Admin's list of locks.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub email: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// Counts one attempt on `key` and returns the counter after it. A window older than
/// `window` starts over at this attempt.
pub async fn hit(
    tx: &mut Tx,
    key: &str,
    who: Subject<'_>,
    now: Micros,
    window: Micros,
) -> Result<Counter, sqlx::Error> {
    let row = sqlx::query(
        "insert into sign_in_throttle (key, failures, window_start, email, ip) values ($1, 1, $2, $4, $5) \
         on conflict (key) do update set \
           failures = case when sign_in_throttle.window_start > $3 then sign_in_throttle.failures + 1 else 1 end, \
           window_start = case when sign_in_throttle.window_start > $3 then sign_in_throttle.window_start else $2 end \
         returning failures, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - window)
    .bind(who.email)
    .bind(who.ip)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Counter { attempts: row.try_get(0)?, window_start: row.try_get(1)? })
}

/// Takes one counted attempt back (it turned out to be a successful sign-in).
pub async fn give_back(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update sign_in_throttle set failures = failures - 1 where key = $1 and failures > 0")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets a counter (a successful sign-in from that source, or an Admin clearing a lock).
pub async fn clear(tx: &mut Tx, key: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("delete from sign_in_throttle where key = $1").bind(key).execute(&mut **tx).await?.rows_affected()
        > 0)
}

/// Forgets every counter whose key starts with `prefix` (a constant such as `setup:`).
pub async fn clear_prefix(tx: &mut Tx, prefix: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_throttle where substr(key, 1, length($1)) = $1")
        .bind(prefix)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets every counter about one account (its password was just reset).
pub async fn clear_account(tx: &mut Tx, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_throttle where email = $1").bind(email).execute(&mut **tx).await?;
    Ok(())
}

/// A counter as the Admin sees it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub attempts: i64,
    pub window_start: Micros,
    pub email: Option<String>,
    pub ip: Option<String>,
}

/// Counters whose window is still open and that reached `min_attempts` (oldest window first).
pub async fn busy(db: &Db, since: Micros, min_attempts: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(
        "select key, failures, window_start, email, ip from sign_in_throttle \
         where window_start > $1 and failures >= $2 order by window_start, key limit 500",
    )
    .bind(since)
    .bind(min_attempts)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                key: r.try_get(0)?,
                attempts: r.try_get(1)?,
                window_start: r.try_get(2)?,
                email: r.try_get(3)?,
                ip: r.try_get(4)?,
            })
        })
        .collect()
}

/// Reads one counter (tests and diagnostics).
pub async fn get(db: &Db, key: &str) -> Result<Option<Counter>, sqlx::Error> {
    let row = sqlx::query("select failures, window_start from sign_in_throttle where key = $1")
        .bind(key)
        .fetch_optional(db.reader())
        .await?;
    row.map(|r| Ok(Counter { attempts: r.try_get(0)?, window_start: r.try_get(1)? })).transpose()
}
