//! The `secrets` and `secret_versions` tables. Versions are only ever inserted; the number of
//! a new version comes from bumping `secrets.current_version` inside the writer's transaction,
//! so concurrent writers get n+1, n+2… and never the same number.

use crate::domain::ids::{SecretId, UserId, VaultId};
use crate::domain::secret::{EXPIRING_DAYS, PAGE_SIZE, SecretMeta, SecretQuery, SecretSort, SecretStatus, VersionInfo};
use crate::domain::time::Micros;
use crate::server::clock;
use crate::server::db::{Columns, Db, FromColumns, Tx, flag, like_pattern};
use crate::server::repo::access_keys::{KEY_COLUMNS, KeyRecord, key_record};

/// A secret's columns as [`meta`] reads them (a macro, so [`COLUMNS`] can extend them).
macro_rules! base_columns {
    () => {
        "s.id, s.vault_id, s.name, s.content_type, s.description, s.tags, s.activation_at, \
         s.expiration_at, s.enabled, s.current_version, s.updated_at"
    };
}

/// See [`base_columns`].
const BASE_COLUMNS: &str = base_columns!();

/// [`BASE_COLUMNS`] and the author's name, as [`from_row`] reads them.
const COLUMNS: &str = concat!(base_columns!(), ", u.name");

fn from_row(r: &impl Columns) -> Result<SecretMeta, sqlx::Error> {
    meta(r, r.cell(11)?)
}

/// A secret's metadata from [`BASE_COLUMNS`], written by `updated_by`.
fn meta(r: &impl Columns, updated_by: String) -> Result<SecretMeta, sqlx::Error> {
    let tags: String = r.cell(5)?;
    Ok(SecretMeta {
        id: r.cell(0)?,
        vault_id: r.cell(1)?,
        name: r.cell(2)?,
        content_type: r.cell(3)?,
        description: r.cell(4)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        activation_at: r.cell(6)?,
        expiration_at: r.cell(7)?,
        enabled: flag(r.cell(8)?),
        current_version: r.cell(9)?,
        updated_at: r.cell(10)?,
        updated_by,
    })
}

/// One secret's metadata.
pub async fn find(db: &Db, id: SecretId) -> Result<Option<SecretMeta>, sqlx::Error> {
    let row =
        sqlx::query(&format!("select {COLUMNS} from secrets s join users u on u.id = s.updated_by where s.id = $1"))
            .bind(id)
            .fetch_optional(db.reader())
            .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every secret of a vault, by name.
pub async fn list(db: &Db, vault: VaultId) -> Result<Vec<SecretMeta>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from secrets s join users u on u.id = s.updated_by where s.vault_id = $1 order by s.name"
    ))
    .bind(vault)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(from_row).collect()
}

/// What a new secret row needs (its first version is inserted separately).
pub struct NewSecret<'a> {
    pub id: SecretId,
    pub vault: VaultId,
    pub name: &'a str,
    pub content_type: &'a str,
    pub description: &'a str,
    pub tags: &'a [String],
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
    pub by: UserId,
}

/// Inserts a secret at version 1; a duplicate name surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, s: NewSecret<'_>) -> Result<(), sqlx::Error> {
    let now = clock::now();
    sqlx::query(
        "insert into secrets (id, vault_id, name, content_type, description, tags, activation_at, expiration_at, \
         enabled, current_version, created_by, updated_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, 1, 1, $9, $9, $10, $10)",
    )
    .bind(s.id)
    .bind(s.vault)
    .bind(s.name)
    .bind(s.content_type)
    .bind(s.description)
    .bind(tags_json(s.tags))
    .bind(s.activation_at)
    .bind(s.expiration_at)
    .bind(s.by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims the next version number of a secret (serialised by the row update).
pub async fn next_version(tx: &mut Tx, id: SecretId, by: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "update secrets set current_version = current_version + 1, updated_at = $1, updated_by = $2 \
         where id = $3 returning current_version",
    )
    .bind(clock::now())
    .bind(by)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Inserts a version row (the only write ever made to `secret_versions`).
pub async fn insert_version(
    tx: &mut Tx,
    id: SecretId,
    version: i64,
    ciphertext: &[u8],
    note: &str,
    by: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into secret_versions (secret_id, version, ciphertext, note, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(ciphertext)
    .bind(note)
    .bind(by)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The sealed value of one version.
pub async fn ciphertext(db: &Db, id: SecretId, version: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("select ciphertext from secret_versions where secret_id = $1 and version = $2")
        .bind(id)
        .bind(version)
        .fetch_optional(db.reader())
        .await
}

/// The version history, newest first.
pub async fn versions(db: &Db, id: SecretId) -> Result<Vec<VersionInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "select v.version, v.note, v.created_at, u.name from secret_versions v join users u on u.id = v.created_by \
         where v.secret_id = $1 order by v.version desc",
    )
    .bind(id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VersionInfo { version: r.cell(0)?, note: r.cell(1)?, created_at: r.cell(2)?, created_by: r.cell(3)? })
        })
        .collect()
}

/// Tags as stored: a JSON array of strings (building the value cannot fail, unlike
/// serialising through serde).
/// Tags as stored: a JSON array of strings.
pub fn tags_json(tags: &[String]) -> String {
    serde_json::Value::Array(tags.iter().cloned().map(serde_json::Value::String).collect()).to_string()
}

/// Metadata that changes without a new version.
pub struct MetaUpdate<'a> {
    pub content_type: &'a str,
    pub description: &'a str,
    pub tags: &'a [String],
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
}

/// Writes the details of a secret (never its `enabled` flag). With `seen_updated_at`, only if
/// nobody changed the secret since then; returns false when it was changed (nothing written).
pub async fn update_meta(
    tx: &mut Tx,
    id: SecretId,
    m: MetaUpdate<'_>,
    by: UserId,
    seen_updated_at: Option<Micros>,
) -> Result<bool, sqlx::Error> {
    // Fixed parameter count on purpose: `$10` is compared only when `$9` says it was given, so
    // the SQL text is the same with or without the check (one statement, prepared and cached).
    let done = sqlx::query(
        "update secrets set content_type = $1, description = $2, tags = $3, activation_at = $4, expiration_at = $5, \
         updated_at = $6, updated_by = $7 where id = $8 and ($9 = 0 or updated_at = $10)",
    )
    .bind(m.content_type)
    .bind(m.description)
    .bind(tags_json(m.tags))
    .bind(m.activation_at)
    .bind(m.expiration_at)
    .bind(clock::now())
    .bind(by)
    .bind(id)
    .bind(i64::from(seen_updated_at.is_some()))
    .bind(seen_updated_at.unwrap_or(0))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns a secret on or off, touching nothing else; returns false when it already was.
pub async fn set_enabled(tx: &mut Tx, id: SecretId, enabled: bool, by: UserId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update secrets set enabled = $1, updated_at = $2, updated_by = $3 where id = $4 and enabled <> $1",
    )
    .bind(i64::from(enabled))
    .bind(clock::now())
    .bind(by)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The SQL condition for a status at `$now` (with `$soon` = now + 30 days); mirrors
/// [`SecretStatus::at`](crate::domain::secret::SecretStatus::at).
fn status_condition(status: SecretStatus) -> &'static str {
    match status {
        SecretStatus::Disabled => "s.enabled = 0",
        SecretStatus::Scheduled => "s.enabled = 1 and s.activation_at > $2",
        SecretStatus::Expired => concat!(
            "s.enabled = 1 and (s.activation_at is null or s.activation_at <= $2)",
            " and s.expiration_at <= $2"
        ),
        SecretStatus::Expiring => concat!(
            "s.enabled = 1 and (s.activation_at is null or s.activation_at <= $2)",
            " and s.expiration_at > $2 and s.expiration_at <= $3"
        ),
        SecretStatus::Active => concat!(
            "s.enabled = 1 and (s.activation_at is null or s.activation_at <= $2)",
            " and (s.expiration_at is null or s.expiration_at > $3)"
        ),
    }
}

/// One page of a vault's secrets matching `q`, and how many match in all. Parameters:
/// $1 vault, $2 now, $3 now + 30 days, $4 text pattern, $5 tag pattern.
pub async fn page(
    db: &Db,
    vault: VaultId,
    q: &SecretQuery,
    now: Micros,
) -> Result<(Vec<SecretMeta>, i64), sqlx::Error> {
    // On purpose, all five parameters are bound in this order whatever the filter, an unused one
    // kept in the SQL as `$n = $n`: one bind list serves both queries and every combination.
    let mut filter = String::from("s.vault_id = $1 and $2 = $2 and $3 = $3");
    if !q.text.is_empty() {
        filter.push_str(" and (lower(s.name) like $4 escape '\\' or lower(s.tags) like $4 escape '\\')");
    } else {
        filter.push_str(" and $4 = $4");
    }
    if !q.tag.is_empty() {
        filter.push_str(" and lower(s.tags) like $5 escape '\\'");
    } else {
        filter.push_str(" and $5 = $5");
    }
    if let Some(status) = q.status {
        filter.push_str(" and ");
        filter.push_str(status_condition(status));
    }
    let order = match q.sort {
        SecretSort::Name => "s.name",
        SecretSort::Version => "s.current_version",
        SecretSort::Updated => "s.updated_at",
    };
    let dir = if q.descending { "desc" } else { "asc" };
    let soon = now + EXPIRING_DAYS * 86_400_000_000;
    let text = like_pattern(&q.text);
    let tag = like_pattern(&serde_json::Value::String(q.tag.clone()).to_string());
    let count_sql = format!("select count(*) from secrets s where {filter}");
    let matching: i64 = sqlx::query_scalar(&count_sql)
        .bind(vault)
        .bind(now)
        .bind(soon)
        .bind(&text)
        .bind(&tag)
        .fetch_one(db.reader())
        .await?;
    let offset = (q.page.max(1) - 1) * PAGE_SIZE;
    let rows_sql = format!(
        "select {COLUMNS} from secrets s join users u on u.id = s.updated_by where {filter} \
         order by {order} {dir}, s.name {dir} limit {PAGE_SIZE} offset {offset}"
    );
    let rows =
        sqlx::query(&rows_sql).bind(vault).bind(now).bind(soon).bind(&text).bind(&tag).fetch_all(db.reader()).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, matching))
}

/// How many secrets a vault holds and every tag they use (sorted, distinct).
pub async fn census(db: &Db, vault: VaultId) -> Result<(i64, Vec<String>), sqlx::Error> {
    let rows: Vec<String> =
        sqlx::query_scalar("select tags from secrets where vault_id = $1").bind(vault).fetch_all(db.reader()).await?;
    let total = rows.len() as i64;
    let mut tags = std::collections::BTreeSet::new();
    for raw in rows.iter().filter(|r| r.as_str() != "[]") {
        tags.extend(serde_json::from_str::<Vec<String>>(raw).unwrap_or_default());
    }
    Ok((total, tags.into_iter().collect()))
}

/// Every secret of a vault as name, id and current version (what an import checks against).
pub async fn names(db: &Db, vault: VaultId) -> Result<Vec<(String, SecretId, i64)>, sqlx::Error> {
    let rows = sqlx::query("select name, id, current_version from secrets where vault_id = $1")
        .bind(vault)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(|r| Ok((r.cell(0)?, r.cell(1)?, r.cell(2)?))).collect()
}

/// Which secrets [`current_values`] reads.
pub enum Only {
    All,
    Id(SecretId),
}

/// Enabled secrets of a vault with the sealed value of their current version, in one query
/// (what the machine API serves; the caller checks activation), with no author.
pub async fn current_values(db: &Db, vault: VaultId, only: Only) -> Result<Vec<(SecretMeta, Vec<u8>)>, sqlx::Error> {
    // On purpose, `$2` is there either way (`$2 = $2`, bound to ''): the argument list keeps one
    // shape, and every argument is named in the SQL on both read paths.
    let (filter, arg) = match only {
        Only::All => ("$2 = $2", String::new()),
        Only::Id(id) => ("s.id = $2", id.to_string()),
    };
    let sql = format!(
        "select {BASE_COLUMNS}, v.ciphertext from secrets s \
         join secret_versions v on v.secret_id = s.id and v.version = s.current_version \
         where s.vault_id = $1 and s.enabled = 1 and {filter} order by s.name"
    );
    db.read_rows(&sql, &[&vault.to_string(), &arg]).await
}

/// A secret's id, name and schedule, without its value (what `?secrets=names` serves).
#[derive(Clone, Debug)]
pub struct NameRow {
    pub id: SecretId,
    pub name: String,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
}

impl FromColumns for NameRow {
    fn from_columns(r: &impl Columns) -> Result<Self, sqlx::Error> {
        Ok(NameRow { id: r.cell(0)?, name: r.cell(1)?, activation_at: r.cell(2)?, expiration_at: r.cell(3)? })
    }
}

/// Enabled secrets of a vault by name, as [`current_values`] orders them, without reading any
/// value: a names-only machine read has nothing to open (the caller checks activation).
pub async fn enabled_names(db: &Db, vault: VaultId) -> Result<Vec<NameRow>, sqlx::Error> {
    let sql = "select s.id, s.name, s.activation_at, s.expiration_at from secrets s \
               where s.vault_id = $1 and s.enabled = 1 order by s.name";
    db.read_rows(sql, &[&vault.to_string()]).await
}

/// A served value's row: [`BASE_COLUMNS`], then the sealed value. The reads that serve values
/// (machine answers, `.env` exports) never show who wrote them, so they skip the users table
/// and leave `updated_by` empty.
impl FromColumns for (SecretMeta, Vec<u8>) {
    fn from_columns(r: &impl Columns) -> Result<Self, sqlx::Error> {
        Ok((meta(r, String::new())?, r.cell(11)?))
    }
}

/// An access key and, when the vault holds it, an enabled secret with its sealed value.
pub struct KeyAndSecret {
    pub key: KeyRecord,
    pub secret: Option<(SecretMeta, Vec<u8>)>,
}

impl FromColumns for KeyAndSecret {
    fn from_columns(r: &impl Columns) -> Result<Self, sqlx::Error> {
        let secret = match r.cell::<Option<String>>(0)? {
            Some(_) => Some(<(SecretMeta, Vec<u8>)>::from_columns(r)?),
            None => None,
        };
        Ok(KeyAndSecret { key: key_record(r, 12)?, secret })
    }
}

/// The hot path of the machine API in one query: the access key whose hash is `hash`, and
/// the enabled secret `name` of `vault` with its current sealed value if there is one. The
/// caller decides what the key may see; the secret is looked up in the vault asked for.
pub async fn key_and_secret(
    db: &Db,
    hash: &str,
    vault: VaultId,
    name: &str,
) -> Result<Option<KeyAndSecret>, sqlx::Error> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "select {BASE_COLUMNS}, v.ciphertext, {KEY_COLUMNS} from access_keys k \
             left join secrets s on s.vault_id = $2 and s.name = $3 and s.enabled = 1 \
             left join secret_versions v on v.secret_id = s.id and v.version = s.current_version \
             where k.token_hash = $1"
        )
    });
    Ok(db.read_rows(sql, &[hash, &vault.to_string(), name]).await?.pop())
}
