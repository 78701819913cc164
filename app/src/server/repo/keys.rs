//! The `keys` table. A key row is written once; afterwards only its metadata (tags, dates,
//! enabled, public token hash) changes — a trigger refuses anything else.

use crate::domain::ids::{KeyId, UserId, VaultId};
use crate::domain::key::{KeyAlgorithm, KeyMeta, Origin, OutputFormat};
use crate::domain::time::Micros;
use crate::server::clock;
use crate::server::db::{Columns, Db, Tx, flag};
use crate::server::repo::secrets::tags_json;

const COLUMNS: &str = "k.id, k.vault_id, k.name, k.algorithm, k.output_format, k.origin, k.tags, k.activation_at, \
     k.expiration_at, k.enabled, k.public_token_hash, k.created_at, u.name, k.updated_at";

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} in the keys table").into())
}

fn from_row(r: &impl Columns) -> Result<KeyMeta, sqlx::Error> {
    let tags: String = r.cell(6)?;
    let algorithm: String = r.cell(3)?;
    let format: String = r.cell(4)?;
    let origin: String = r.cell(5)?;
    let token: Option<String> = r.cell(10)?;
    Ok(KeyMeta {
        id: r.cell(0)?,
        vault_id: r.cell(1)?,
        name: r.cell(2)?,
        algorithm: KeyAlgorithm::parse(&algorithm).ok_or_else(|| corrupt("algorithm"))?,
        output_format: OutputFormat::parse(&format).ok_or_else(|| corrupt("output format"))?,
        origin: Origin::parse(&origin).ok_or_else(|| corrupt("origin"))?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        activation_at: r.cell(7)?,
        expiration_at: r.cell(8)?,
        enabled: flag(r.cell(9)?),
        public: token.is_some(),
        created_at: r.cell(11)?,
        created_by: r.cell(12)?,
        updated_at: r.cell(13)?,
    })
}

fn select(condition: &str) -> String {
    format!("select {COLUMNS} from keys k join users u on u.id = k.created_by where {condition}")
}

/// One key's metadata.
pub async fn find(db: &Db, id: KeyId) -> Result<Option<KeyMeta>, sqlx::Error> {
    let row = sqlx::query(&select("k.id = $1")).bind(id).fetch_optional(db.reader()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Every key of a vault, by name.
pub async fn list(db: &Db, vault: VaultId) -> Result<Vec<KeyMeta>, sqlx::Error> {
    let rows = sqlx::query(&select("k.vault_id = $1 order by k.name")).bind(vault).fetch_all(db.reader()).await?;
    rows.iter().map(from_row).collect()
}

/// A key's public half (SubjectPublicKeyInfo DER) and sealed private half.
pub async fn material(db: &Db, id: KeyId) -> Result<Option<(Vec<u8>, Vec<u8>)>, sqlx::Error> {
    let row = sqlx::query("select public_der, private_sealed from keys where id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(|r| Ok((r.cell(0)?, r.cell(1)?))).transpose()
}

/// The key a public token opens, if any (by the token's hash).
pub async fn by_public_token(db: &Db, token_hash: &str) -> Result<Option<KeyMeta>, sqlx::Error> {
    let row = sqlx::query(&select("k.public_token_hash = $1")).bind(token_hash).fetch_optional(db.reader()).await?;
    row.as_ref().map(from_row).transpose()
}

/// What a new key row holds.
pub struct NewKey<'a> {
    pub id: KeyId,
    pub vault: VaultId,
    pub name: &'a str,
    pub algorithm: KeyAlgorithm,
    pub output_format: OutputFormat,
    pub origin: Origin,
    pub public_der: &'a [u8],
    pub private_sealed: &'a [u8],
    pub tags: &'a [String],
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
    pub by: UserId,
}

/// Inserts a key; a duplicate name surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, k: NewKey<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into keys (id, vault_id, name, algorithm, output_format, origin, public_der, private_sealed, tags, \
         activation_at, expiration_at, enabled, created_by, created_at, updated_by, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $12, $13)",
    )
    .bind(k.id)
    .bind(k.vault)
    .bind(k.name)
    .bind(k.algorithm.as_str())
    .bind(k.output_format.as_str())
    .bind(k.origin.as_str())
    .bind(k.public_der)
    .bind(k.private_sealed)
    .bind(tags_json(k.tags))
    .bind(k.activation_at)
    .bind(k.expiration_at)
    .bind(k.by)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes tags and dates, only if nobody changed the key since `seen_updated_at`; false when
/// it was changed (nothing written).
pub async fn update_meta(
    tx: &mut Tx,
    id: KeyId,
    (tags, activation_at, expiration_at): (&[String], Option<Micros>, Option<Micros>),
    by: UserId,
    seen_updated_at: Micros,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update keys set tags = $1, activation_at = $2, expiration_at = $3, updated_at = $4, updated_by = $5 \
         where id = $6 and updated_at = $7",
    )
    .bind(tags_json(tags))
    .bind(activation_at)
    .bind(expiration_at)
    .bind(clock::now())
    .bind(by)
    .bind(id)
    .bind(seen_updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
