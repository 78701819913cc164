//! The audit writer: the one function every feature calls to record a change or a sensitive
//! read. It runs inside the caller's transaction, so if the entry cannot be written the
//! change does not happen either. Each entry carries a SHA-256 hash chained to the previous
//! one; `verify` walks the chain and names the first broken link. An entry written while
//! serving a request carries the request's id (see `server::request`), inside the hash.
//!
//! Serialisation: SQLite transactions here hold the write lock from their first statement
//! (`BEGIN IMMEDIATE`); on PostgreSQL an advisory transaction lock makes appends from every
//! node take turns, so two nodes never chain onto the same predecessor.

use super::clock;
use super::db::{Db, Tx};
use crate::domain::ids::UserId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
const PG_AUDIT_LOCK: i64 = 0x5ec7_a0d1;

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User {
        id: UserId,
        name: String,
    },
    AccessKey {
        id: String,
        name: String,
    },
    /// Someone not signed in (a failed sign-in, first-run setup).
    Anonymous,
    /// Secryn itself (background jobs, command line).
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<String>, String) {
        match self {
            Actor::User { id, name } => ("user", Some(id.to_string()), name.clone()),
            Actor::AccessKey { id, name } => ("access_key", Some(id.clone()), name.clone()),
            Actor::Anonymous => ("anonymous", None, "anonymous".into()),
            Actor::System => ("system", None, "Secryn".into()),
        }
    }
}

/// One changed field. Values that are secret are never put here: use `changed` for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

impl Change {
    /// A field whose old and new values may be shown.
    pub fn values(field: &str, old: Option<&str>, new: Option<&str>) -> Self {
        Change { field: field.into(), old: old.map(Into::into), new: new.map(Into::into) }
    }

    /// A field that changed but whose values must not be recorded (passwords, secret values).
    pub fn changed(field: &str) -> Self {
        Change { field: field.into(), old: None, new: None }
    }
}

/// What to record.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub changes: Vec<Change>,
    pub source_ip: Option<String>,
}

impl<'a> Entry<'a> {
    /// An entry about one identified, named resource.
    pub fn about(
        actor: &'a Actor,
        action: &'a str,
        resource_type: &'a str,
        (id, name): (String, &str),
        changes: Vec<Change>,
        source_ip: Option<String>,
    ) -> Self {
        Entry {
            actor,
            action,
            resource_type,
            resource_id: Some(id),
            resource_name: Some(name.to_owned()),
            changes,
            source_ip,
        }
    }
}

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    id: &'a str,
    at: i64,
    actor_type: &'a str,
    actor_id: Option<&'a str>,
    actor_name: &'a str,
    action: &'a str,
    resource_type: &'a str,
    resource_id: Option<&'a str>,
    resource_name: Option<&'a str>,
    changes: &'a str,
    source_ip: Option<&'a str>,
    /// Left out when absent, so entries written before request ids existed hash as they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

#[allow(clippy::expect_used, reason = "strings and integers always serialise to JSON")]
fn chain_hash(prev: &str, c: &Canonical<'_>) -> String {
    let body = serde_json::to_string(c).expect("plain data serialises");
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// Appends `entry` to the audit log inside `tx`.
pub async fn append(tx: &mut Tx, entry: Entry<'_>) -> Result<(), sqlx::Error> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("select pg_advisory_xact_lock($1)").bind(PG_AUDIT_LOCK).execute(&mut **tx).await?;
    }
    let last =
        sqlx::query("select seq, hash from audit_log order by seq desc limit 1").fetch_optional(&mut **tx).await?;
    let (prev_seq, prev_hash) = match last {
        Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
        None => (0, GENESIS.to_owned()),
    };
    let (actor_type, actor_id, actor_name) = entry.actor.parts();
    let id = uuid::Uuid::new_v4().to_string();
    let changes = serde_json::to_string(&entry.changes).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let request_id = super::request::current_id();
    let c = Canonical {
        seq: prev_seq + 1,
        id: &id,
        at: clock::now(),
        actor_type,
        actor_id: actor_id.as_deref(),
        actor_name: &actor_name,
        action: entry.action,
        resource_type: entry.resource_type,
        resource_id: entry.resource_id.as_deref(),
        resource_name: entry.resource_name.as_deref(),
        changes: &changes,
        source_ip: entry.source_ip.as_deref(),
        request_id: request_id.as_deref(),
    };
    let hash = chain_hash(&prev_hash, &c);
    sqlx::query(
        "insert into audit_log (seq, id, at, actor_type, actor_id, actor_name, action, resource_type, \
         resource_id, resource_name, changes, source_ip, prev_hash, hash, request_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(c.seq)
    .bind(c.id)
    .bind(c.at)
    .bind(c.actor_type)
    .bind(c.actor_id)
    .bind(c.actor_name)
    .bind(c.action)
    .bind(c.resource_type)
    .bind(c.resource_id)
    .bind(c.resource_name)
    .bind(c.changes)
    .bind(c.source_ip)
    .bind(&prev_hash)
    .bind(&hash)
    .bind(c.request_id)
    .execute(&mut **tx)
    .await?;
    // Who, what and the entry's place in the chain, on the request's span (never a value).
    tracing::info!(
        audit_seq = c.seq,
        action = c.action,
        resource_type = c.resource_type,
        resource_id = c.resource_id,
        actor = %format_args!("{}:{}", c.actor_type, c.actor_id.unwrap_or("-")),
        "audited"
    );
    Ok(())
}

/// The outcome of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub checked: u64,
    /// The sequence number of the first entry whose hash or link does not hold.
    pub first_broken: Option<i64>,
}

/// Recomputes every hash in order and reports the first broken link.
pub async fn verify(db: &Db) -> Result<Verification, sqlx::Error> {
    let rows = sqlx::query(
        "select seq, id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id, \
         resource_name, changes, source_ip, prev_hash, hash, request_id from audit_log order by seq",
    )
    .fetch_all(db.reader())
    .await?;
    let mut prev = GENESIS.to_owned();
    for (n, row) in rows.iter().enumerate() {
        let expected_seq = n as i64 + 1;
        let seq: i64 = row.try_get(0)?;
        let id: String = row.try_get(1)?;
        let actor_type: String = row.try_get(3)?;
        let actor_id: Option<String> = row.try_get(4)?;
        let actor_name: String = row.try_get(5)?;
        let action: String = row.try_get(6)?;
        let resource_type: String = row.try_get(7)?;
        let resource_id: Option<String> = row.try_get(8)?;
        let resource_name: Option<String> = row.try_get(9)?;
        let changes: String = row.try_get(10)?;
        let source_ip: Option<String> = row.try_get(11)?;
        let stored_prev: String = row.try_get(12)?;
        let stored_hash: String = row.try_get(13)?;
        let request_id: Option<String> = row.try_get(14)?;
        let c = Canonical {
            seq,
            id: &id,
            at: row.try_get(2)?,
            actor_type: &actor_type,
            actor_id: actor_id.as_deref(),
            actor_name: &actor_name,
            action: &action,
            resource_type: &resource_type,
            resource_id: resource_id.as_deref(),
            resource_name: resource_name.as_deref(),
            changes: &changes,
            source_ip: source_ip.as_deref(),
            request_id: request_id.as_deref(),
        };
        if seq != expected_seq || stored_prev != prev || chain_hash(&prev, &c) != stored_hash {
            return Ok(Verification { checked: n as u64, first_broken: Some(seq) });
        }
        prev = stored_hash;
    }
    Ok(Verification { checked: rows.len() as u64, first_broken: None })
}
