//! The single `instance` row: name, master-key check, setup state and the setup code.

use crate::server::clock;
use crate::server::db::{Db, Tx, flag};
use sqlx::Row;

/// The instance as stored.
#[derive(Clone, Debug)]
pub struct InstanceRow {
    pub name: String,
    pub key_check: Vec<u8>,
    pub setup_done: bool,
    pub setup_code_hash: Option<String>,
    pub setup_code_attempts: i64,
}

/// The instance row, if this database has been initialised.
pub async fn get(db: &Db) -> Result<Option<InstanceRow>, sqlx::Error> {
    let row = sqlx::query(
        "select name, key_check, setup_done, setup_code_hash, setup_code_attempts from instance where id = 1",
    )
    .fetch_optional(db.reader())
    .await?;
    row.map(|r| {
        Ok(InstanceRow {
            name: r.try_get(0)?,
            key_check: r.try_get(1)?,
            setup_done: flag(r.try_get(2)?),
            setup_code_hash: r.try_get(3)?,
            setup_code_attempts: r.try_get(4)?,
        })
    })
    .transpose()
}

/// Creates the row on first start; a no-op if another node got there first.
pub async fn init(tx: &mut Tx, key_check: &[u8]) -> Result<(), sqlx::Error> {
    let now = clock::now();
    sqlx::query(
        "insert into instance (id, name, key_check, created_at, updated_at) values (1, 'Secryn', $1, $2, $2) \
         on conflict (id) do nothing",
    )
    .bind(key_check)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a fresh setup code's hash and resets its attempt counter.
pub async fn set_setup_code(tx: &mut Tx, code_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update instance set setup_code_hash = $1, setup_code_attempts = 0, updated_at = $2 where id = 1")
        .bind(code_hash)
        .bind(clock::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts a wrong setup code; returns the attempts so far.
pub async fn count_setup_attempt(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    sqlx::query("update instance set setup_code_attempts = setup_code_attempts + 1 where id = 1")
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar("select setup_code_attempts from instance where id = 1").fetch_one(&mut **tx).await
}

/// Finishes setup — names the instance and forgets the code — if it is not done yet and
/// `code_hash` is still the open code. One conditional update, so of two concurrent setups
/// (on any number of nodes) exactly one gets `true`.
pub async fn claim_setup(tx: &mut Tx, name: &str, code_hash: &str, max_attempts: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update instance set name = $1, setup_done = 1, setup_code_hash = null, setup_code_attempts = 0, \
         updated_at = $2 where id = 1 and setup_done = 0 and setup_code_hash = $3 and setup_code_attempts < $4",
    )
    .bind(name)
    .bind(clock::now())
    .bind(code_hash)
    .bind(max_attempts)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The audit chain key as stored: wrapped, where the keyed chain starts, and the id of the
/// master key that wrapped it (`None` before ids were recorded).
pub struct StoredChainKey {
    pub wrapped: Vec<u8>,
    pub keyed_from: i64,
    pub master_key_id: Option<String>,
}

/// The wrapped chain key, once made.
pub async fn audit_key(db: &Db) -> Result<Option<StoredChainKey>, sqlx::Error> {
    let row = sqlx::query("select audit_key_wrapped, audit_keyed_from, audit_master_key_id from instance where id = 1")
        .fetch_optional(db.reader())
        .await?;
    let Some(row) = row else { return Ok(None) };
    stored_chain_key(&row)
}

/// The chain key's three columns from a row that selected them first.
pub fn stored_chain_key(row: &sqlx::any::AnyRow) -> Result<Option<StoredChainKey>, sqlx::Error> {
    let wrapped: Option<Vec<u8>> = row.try_get(0)?;
    let from: Option<i64> = row.try_get(1)?;
    let master_key_id: Option<String> = row.try_get(2)?;
    Ok(wrapped.zip(from).map(|(wrapped, keyed_from)| StoredChainKey { wrapped, keyed_from, master_key_id }))
}

/// Stores the wrapped chain key unless another node already did (it then wins; read it back).
pub async fn set_audit_key(
    tx: &mut Tx,
    wrapped: &[u8],
    keyed_from: i64,
    master_key_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update instance set audit_key_wrapped = $1, audit_keyed_from = $2, audit_master_key_id = $3 \
         where id = 1 and audit_key_wrapped is null",
    )
    .bind(wrapped)
    .bind(keyed_from)
    .bind(master_key_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
