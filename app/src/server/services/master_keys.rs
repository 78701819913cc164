//! Master-key rotation (SPEC §8): every wrapped vault key and the audit chain key record the
//! id of the master key that wrapped them; `rotate` moves them to the current key in small
//! batches while requests go on, and reports what is left under each other key. A node
//! checks at start-up (and `/readyz` on every call) that it holds every key still in use.

use crate::server::AppState;
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::crypto::{MasterKeys, UnwrapFailure};
use crate::server::db::Db;
use crate::server::services::mail;
use crate::server::services::vaults::key_aad;
use sqlx::Row as _;

/// Vault keys moved per transaction: short enough that requests never wait long for one.
pub const BATCH: i64 = 200;

/// How many wrapped keys each master key wraps (`None`: wrapped before ids were recorded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing(pub Vec<(Option<String>, i64)>);

impl Standing {
    /// The counts under keys other than `current`.
    pub fn elsewhere(&self, current: &str) -> i64 {
        self.0.iter().filter(|(id, _)| id.as_deref() != Some(current)).map(|(_, n)| n).sum()
    }

    /// "N under id, …", for people.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "no wrapped keys".to_owned();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(id, n)| format!("{n} under {}", id.as_deref().unwrap_or("an unrecorded key")))
            .collect();
        parts.join(", ")
    }
}

/// A value sealed by the master key itself rather than wrapped as a vault key: where it is
/// stored, the column naming the master key that sealed it, and its associated data.
pub struct Sealed {
    pub table: &'static str,
    /// The row's key column (its text is what `aad` takes).
    pub row: &'static str,
    pub column: &'static str,
    pub key_column: &'static str,
    pub aad: fn(&str) -> Vec<u8>,
}

/// Every sealed value: rotation moves them, backups rewrap them, start-up counts their keys.
pub const SEALED: [Sealed; 2] = [
    Sealed {
        table: "instance_settings",
        row: "id",
        column: "smtp_password_sealed",
        key_column: "smtp_master_key_id",
        aad: mail::password_aad,
    },
    Sealed { table: "mail_outbox", row: "id", column: "body_sealed", key_column: "master_key_id", aad: mail::body_aad },
];

/// Wrapped keys and sealed values per master key id: the vault keys, the chain key, [`SEALED`].
pub async fn standing(db: &Db) -> Result<Standing, sqlx::Error> {
    let sealed: String = SEALED
        .iter()
        .map(|s| format!(" union all select {} from {} where {} is not null", s.key_column, s.table, s.column))
        .collect();
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(&format!(
        "select master_key_id, count(*) from (select master_key_id from vaults union all \
         select audit_master_key_id from instance where audit_key_wrapped is not null{sealed}) k \
         group by master_key_id order by master_key_id"
    ))
    .fetch_all(db.reader())
    .await?;
    Ok(Standing(rows))
}

/// Moves one table's sealed values to the current master key, each only if still as read.
async fn move_sealed(
    state: &AppState,
    sealed: &Sealed,
    stuck: &mut Vec<(String, UnwrapFailure)>,
) -> Result<u64, sqlx::Error> {
    let keys = &*state.master;
    let (t, row, col, key_col) = (sealed.table, sealed.row, sealed.column, sealed.key_column);
    let rows = sqlx::query(&format!(
        "select cast({row} as text), {col}, {key_col} from {t} where {col} is not null \
         and ({key_col} is null or {key_col} <> $1)"
    ))
    .bind(keys.current_id())
    .fetch_all(state.db.reader())
    .await?;
    let mut moved = 0;
    for r in &rows {
        let (id, value, key_id): (String, Vec<u8>, Option<String>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        match keys.unwrap_by(key_id.as_deref(), |m| m.rewrap(&value, &(sealed.aad)(&id), keys.current())) {
            Ok((rewrapped, _)) => {
                let done = sqlx::query(&format!(
                    "update {t} set {col} = $1, {key_col} = $2 where cast({row} as text) = $3 and {col} = $4"
                ))
                .bind(rewrapped)
                .bind(keys.current_id())
                .bind(&id)
                .bind(&value)
                .execute(state.db.write_pool())
                .await?;
                moved += done.rows_affected();
            }
            Err(e) => stuck.push((format!("{t} {id}"), e)),
        }
    }
    Ok(moved)
}

/// The ids of master keys still in use that `keys` lacks: a node missing one cannot open
/// some vaults, so it refuses to start and reports itself not ready.
pub async fn missing(db: &Db, keys: &MasterKeys) -> Result<Vec<String>, sqlx::Error> {
    let standing = standing(db).await?;
    Ok(standing.0.into_iter().filter_map(|(id, _)| id).filter(|id| keys.by_id(id).is_none()).collect())
}

/// Records which key wrapped each key stored before ids were (found by trying each key this
/// node holds). Run at start-up; a key none of them opens is left for `missing` to report.
pub async fn label(db: &Db, keys: &MasterKeys) -> Result<u64, sqlx::Error> {
    let rows =
        sqlx::query("select id, wrapped_key from vaults where master_key_id is null").fetch_all(db.reader()).await?;
    let mut labelled = 0;
    for row in rows {
        let (id, wrapped): (String, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
        let Some(vault) = crate::domain::ids::VaultId::parse(&id) else { continue };
        let aad = key_aad(vault);
        if let Ok((_, key_id)) = keys.unwrap_by(None, |m| m.unwrap(&wrapped, &aad)) {
            sqlx::query("update vaults set master_key_id = $1 where id = $2 and master_key_id is null")
                .bind(key_id)
                .bind(id)
                .execute(db.write_pool())
                .await?;
            labelled += 1;
        }
    }
    if let Some(stored) = crate::server::repo::instance::audit_key(db).await?
        && stored.master_key_id.is_none()
    {
        let aad = audit::chain_key_aad(stored.keyed_from);
        if let Ok((_, key_id)) = keys.unwrap_by(None, |m| m.unwrap_chain_key(&stored.wrapped, &aad)) {
            sqlx::query("update instance set audit_master_key_id = $1 where id = 1 and audit_master_key_id is null")
                .bind(key_id)
                .execute(db.write_pool())
                .await?;
            labelled += 1;
        }
    }
    Ok(labelled)
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotation {
    pub moved: u64,
    /// Keys that could not be moved: wrapped by a master key this node lacks.
    pub stuck: Vec<(String, UnwrapFailure)>,
    pub after: Standing,
}

/// Re-wraps every vault key and the chain key under the current master key, `BATCH` vault
/// keys per transaction, each one only if it is still as read (another rotation or a restore
/// meanwhile wins). `progress` hears the running count. Once nothing is left under another
/// key, the instance's key check moves to the current key too, so nodes holding only the old
/// key are refused from then on. Audited as one entry.
pub async fn rotate(state: &AppState, mut progress: impl FnMut(u64)) -> Result<Rotation, sqlx::Error> {
    let (db, keys) = (&state.db, &*state.master);
    let current = keys.current_id().to_owned();
    let mut moved = 0u64;
    let mut stuck = Vec::new();
    let mut after_id = String::new();
    loop {
        let rows = sqlx::query(
            "select id, wrapped_key, master_key_id from vaults \
             where (master_key_id is null or master_key_id <> $1) and id > $2 order by id limit $3",
        )
        .bind(&current)
        .bind(&after_id)
        .bind(BATCH)
        .fetch_all(db.reader())
        .await?;
        let Some(last) = rows.last() else { break };
        after_id = last.try_get(0)?;
        let mut tx = db.begin().await?;
        for row in &rows {
            let (id, wrapped, key_id): (String, Vec<u8>, Option<String>) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let Some(vault) = crate::domain::ids::VaultId::parse(&id) else { continue };
            let aad = key_aad(vault);
            match keys.unwrap_by(key_id.as_deref(), |m| m.rewrap(&wrapped, &aad, keys.current())) {
                Ok((rewrapped, _)) => {
                    let done = sqlx::query(
                        "update vaults set wrapped_key = $1, master_key_id = $2 where id = $3 and wrapped_key = $4",
                    )
                    .bind(rewrapped)
                    .bind(&current)
                    .bind(&id)
                    .bind(&wrapped)
                    .execute(&mut *tx)
                    .await?;
                    moved += done.rows_affected();
                }
                Err(e) => stuck.push((format!("vault {id}"), e)),
            }
        }
        tx.commit().await?;
        progress(moved);
    }
    for sealed in &SEALED {
        moved += move_sealed(state, sealed, &mut stuck).await?;
    }
    match audit::rotate_chain_key(db, keys).await? {
        Ok(true) => moved += 1,
        Ok(false) => {}
        Err(e) => stuck.push(("the audit chain key".to_owned(), e)),
    }
    let after = standing(db).await?;
    let mut tx = db.begin().await?;
    if after.elsewhere(&current) == 0 {
        sqlx::query("update instance set key_check = $1 where id = 1")
            .bind(keys.current().key_check())
            .execute(&mut *tx)
            .await?;
    }
    let changes = vec![
        Change::values("master_key_id", None, Some(&current)),
        Change::values("moved", None, Some(&moved.to_string())),
        Change::values("remaining", None, Some(&after.describe())),
    ];
    let entry = Entry {
        actor: &Actor::System,
        action: "master_key.rotate",
        resource_type: "instance",
        resource_id: None,
        resource_name: Some(format!("master key {current}")),
        changes,
        source_ip: None,
    };
    audit::append(&mut tx, &state.audit_key, entry).await?;
    tx.commit().await?;
    Ok(Rotation { moved, stuck, after })
}
