//! The `certificates` table. A row is written once; afterwards only tags, the enabled flag and
//! the public token's hash change (see `pki`) — a trigger refuses anything else.

use crate::domain::certificate::CertMeta;
use crate::domain::ids::{CertificateId, UserId, VaultId};
use crate::domain::key::{KeyAlgorithm, Origin};
use crate::domain::time::Micros;
use crate::server::cert_material::Facts;
use crate::server::clock;
use crate::server::db::{Columns, Db, Tx, flag};
use crate::server::repo::secrets::tags_json;

const COLUMNS: &str = "c.id, c.vault_id, c.name, c.common_name, c.subject, c.issuer, c.serial, c.fingerprint_sha256, \
     c.not_before, c.not_after, c.key_algorithm, case when c.private_sealed is null then 0 else 1 end, c.chain_length, c.origin, c.tags, \
     c.enabled, case when c.public_token_hash is null then 0 else 1 end, c.created_at, u.name, c.updated_at";

fn from_row(r: &impl Columns) -> Result<CertMeta, sqlx::Error> {
    let algorithm: Option<String> = r.cell(10)?;
    let origin: String = r.cell(13)?;
    let tags: String = r.cell(14)?;
    Ok(CertMeta {
        id: r.cell(0)?,
        vault_id: r.cell(1)?,
        name: r.cell(2)?,
        common_name: r.cell(3)?,
        subject: r.cell(4)?,
        issuer: r.cell(5)?,
        serial: r.cell(6)?,
        fingerprint_sha256: r.cell(7)?,
        not_before: r.cell(8)?,
        not_after: r.cell(9)?,
        key_algorithm: algorithm.as_deref().and_then(KeyAlgorithm::parse),
        has_private_key: flag(r.cell(11)?),
        chain_length: r.cell(12)?,
        origin: Origin::parse(&origin)
            .ok_or_else(|| sqlx::Error::Decode("unknown origin in the certificates table".into()))?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        enabled: flag(r.cell(15)?),
        public: flag(r.cell(16)?),
        created_at: r.cell(17)?,
        created_by: r.cell(18)?,
        updated_at: r.cell(19)?,
    })
}

fn select(condition: &str) -> String {
    format!("select {COLUMNS} from certificates c join users u on u.id = c.created_by where {condition}")
}

/// One certificate's metadata.
pub async fn find(db: &Db, id: CertificateId) -> Result<Option<CertMeta>, sqlx::Error> {
    let row = sqlx::query(&select("c.id = $1")).bind(id).fetch_optional(db.reader()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Every certificate of a vault, by name.
pub async fn list(db: &Db, vault: VaultId) -> Result<Vec<CertMeta>, sqlx::Error> {
    let rows = sqlx::query(&select("c.vault_id = $1 order by c.name")).bind(vault).fetch_all(db.reader()).await?;
    rows.iter().map(from_row).collect()
}

/// The certificate a public token opens, if any (by the token's hash).
pub async fn by_public_token(db: &Db, token_hash: &str) -> Result<Option<CertMeta>, sqlx::Error> {
    let row = sqlx::query(&select("c.public_token_hash = $1")).bind(token_hash).fetch_optional(db.reader()).await?;
    row.as_ref().map(from_row).transpose()
}

/// A certificate's chain (PEM) and sealed private key, if one is kept.
pub async fn material(db: &Db, id: CertificateId) -> Result<Option<(String, Option<Vec<u8>>)>, sqlx::Error> {
    let row = sqlx::query("select chain_pem, private_sealed from certificates where id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(|r| Ok((r.cell(0)?, r.cell(1)?))).transpose()
}

/// What a new certificate row holds.
pub struct NewCertificate<'a> {
    pub id: CertificateId,
    pub vault: VaultId,
    pub name: &'a str,
    pub facts: &'a Facts,
    pub chain_length: i64,
    pub origin: Origin,
    pub chain_pem: &'a str,
    pub private_sealed: Option<&'a [u8]>,
    pub tags: &'a [String],
    pub by: UserId,
}

/// Inserts a certificate; a duplicate name surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, c: NewCertificate<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into certificates (id, vault_id, name, common_name, subject, issuer, serial, fingerprint_sha256, \
         not_before, not_after, key_algorithm, chain_length, origin, chain_pem, private_sealed, tags, enabled, \
         created_by, created_at, updated_by, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $18, $17, $18)",
    )
    .bind(c.id)
    .bind(c.vault)
    .bind(c.name)
    .bind(&c.facts.common_name)
    .bind(&c.facts.subject)
    .bind(&c.facts.issuer)
    .bind(&c.facts.serial)
    .bind(&c.facts.fingerprint_sha256)
    .bind(c.facts.not_before)
    .bind(c.facts.not_after)
    .bind(c.facts.key_algorithm.map(KeyAlgorithm::as_str))
    .bind(c.chain_length)
    .bind(c.origin.as_str())
    .bind(c.chain_pem)
    .bind(c.private_sealed)
    .bind(tags_json(c.tags))
    .bind(c.by)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes tags, only if nobody changed the certificate since `seen_updated_at`; false when it
/// was changed (nothing written).
pub async fn update_tags(
    tx: &mut Tx,
    id: CertificateId,
    tags: &[String],
    by: UserId,
    seen_updated_at: Micros,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update certificates set tags = $1, updated_at = $2, updated_by = $3 where id = $4 and updated_at = $5",
    )
    .bind(tags_json(tags))
    .bind(clock::now())
    .bind(by)
    .bind(id)
    .bind(seen_updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
