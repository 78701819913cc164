//! The `refused_calls` table: credential-less calls past their address's rate, counted per
//! minute, address and door (see `server::flood`).

use crate::domain::logs::RefusedRow;
use crate::domain::time::Micros;
use crate::server::db::{Db, Tx};
use crate::server::flood::Summary;
use sqlx::Row;

/// Adds `rows` to the counts already there (other nodes count the same minutes), in one
/// transaction.
pub async fn add(db: &Db, rows: &[Summary]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for r in rows {
        sqlx::query(
            "insert into refused_calls (minute, address, door, refused) values ($1, $2, $3, $4) \
             on conflict (minute, address, door) do update set refused = refused_calls.refused + excluded.refused",
        )
        .bind(r.minute)
        .bind(&r.address)
        .bind(r.door.as_str())
        .bind(r.refused)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The counts from `since` on, newest minute first (at most `limit`).
pub async fn since(db: &Db, since: Micros, limit: i64) -> Result<Vec<RefusedRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select minute, address, door, refused from refused_calls where minute >= $1 \
         order by minute desc, address, door limit $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RefusedRow {
                minute: r.try_get(0)?,
                address: r.try_get(1)?,
                door: r.try_get(2)?,
                refused: r.try_get(3)?,
            })
        })
        .collect()
}

/// Deletes the counts of minutes before `cutoff`; how many rows went.
pub async fn prune(tx: &mut Tx, cutoff: Micros) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from refused_calls where minute < $1").bind(cutoff).execute(&mut **tx).await?;
    Ok(done.rows_affected())
}
