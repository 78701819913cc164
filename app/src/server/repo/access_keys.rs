//! The `access_keys` table. A key is stored as its SHA-256 hash and a short hint; revoking
//! sets `revoked_at` (rows are kept for the record).

use crate::domain::access_key::{AccessKeyInfo, KeyState};
use crate::domain::ids::{AccessKeyId, UserId, VaultId};
use crate::domain::time::Micros;
use crate::server::clock;
use crate::server::db::{Columns, Db, FromColumns, Tx};

const COLUMNS: &str =
    "k.id, k.vault_id, k.name, k.hint, u.name, k.created_at, k.expires_at, k.last_used_at, k.revoked_at";

fn from_row(r: &impl Columns, now: Micros) -> Result<AccessKeyInfo, sqlx::Error> {
    let (expires_at, revoked_at) = (r.cell(6)?, r.cell(8)?);
    Ok(AccessKeyInfo {
        id: r.cell(0)?,
        vault_id: r.cell(1)?,
        name: r.cell(2)?,
        hint: r.cell(3)?,
        created_by: r.cell(4)?,
        created_at: r.cell(5)?,
        expires_at,
        last_used_at: r.cell(7)?,
        revoked_at,
        state: KeyState::at(revoked_at, expires_at, now),
    })
}

/// The keys of a vault, newest first.
pub async fn list(db: &Db, vault: VaultId) -> Result<Vec<AccessKeyInfo>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from access_keys k join users u on u.id = k.created_by where k.vault_id = $1 \
         order by k.created_at desc"
    ))
    .bind(vault)
    .fetch_all(db.reader())
    .await?;
    let now = clock::now();
    rows.iter().map(|r| from_row(r, now)).collect()
}

/// One key's metadata.
pub async fn find(db: &Db, id: AccessKeyId) -> Result<Option<AccessKeyInfo>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from access_keys k join users u on u.id = k.created_by where k.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.reader())
    .await?;
    row.as_ref().map(|r| from_row(r, clock::now())).transpose()
}

/// What a request needs to know about the key it carries.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub id: AccessKeyId,
    pub vault_id: VaultId,
    pub name: String,
    pub expires_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
}

/// The key whose hash is `hash` (read on every request, so a revocation counts at once on
/// every node).
pub async fn by_hash(db: &Db, hash: &str) -> Result<Option<KeyRecord>, sqlx::Error> {
    Ok(db.read_rows(&format!("select {KEY_COLUMNS} from access_keys k where k.token_hash = $1"), &[hash]).await?.pop())
}

impl FromColumns for KeyRecord {
    fn from_columns(r: &impl Columns) -> Result<Self, sqlx::Error> {
        key_record(r, 0)
    }
}

/// The columns [`key_record`] reads, in order.
pub const KEY_COLUMNS: &str = "k.id, k.vault_id, k.name, k.expires_at, k.revoked_at";

/// Reads [`KEY_COLUMNS`] starting at column `at` (so other queries can select them too).
pub fn key_record(r: &impl Columns, at: usize) -> Result<KeyRecord, sqlx::Error> {
    Ok(KeyRecord {
        id: r.cell(at)?,
        vault_id: r.cell(at + 1)?,
        name: r.cell(at + 2)?,
        expires_at: r.cell(at + 3)?,
        revoked_at: r.cell(at + 4)?,
    })
}

/// What a new key row holds.
pub struct NewKey<'a> {
    pub id: AccessKeyId,
    pub vault: VaultId,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub hint: &'a str,
    pub expires_at: Option<Micros>,
    pub by: UserId,
}

pub async fn insert(tx: &mut Tx, k: NewKey<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into access_keys (id, vault_id, name, token_hash, hint, expires_at, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(k.id)
    .bind(k.vault)
    .bind(k.name)
    .bind(k.token_hash)
    .bind(k.hint)
    .bind(k.expires_at)
    .bind(k.by)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a key revoked; false when it was already revoked.
pub async fn revoke(tx: &mut Tx, id: AccessKeyId, by: UserId) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("update access_keys set revoked_at = $1, revoked_by = $2 where id = $3 and revoked_at is null")
            .bind(clock::now())
            .bind(by)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}
