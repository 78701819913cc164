//! The audit writer: the one function every feature calls to record a change or a sensitive
//! read. It runs inside the caller's transaction, so if the entry cannot be written the
//! change does not happen either. Each entry carries a MAC over its content and the previous
//! entry's MAC, under the chain key ([`AuditKey`]), which the database holds only wrapped by
//! the master key: someone who can write the database but has no master key cannot rewrite an
//! entry and recompute the chain after it. `verify` walks the chain and names the first broken
//! link. An entry written while serving a request carries the request's id (see
//! `server::request`), inside the MAC.
//!
//! Entries written before the chain was keyed (before migration 0011) keep their plain
//! SHA-256 links; where the keyed part starts is bound into the wrapped key, so it cannot be
//! moved to pass rewritten entries off as old ones.
//!
//! Serialisation: SQLite transactions here hold the write lock from their first statement
//! (`BEGIN IMMEDIATE`); on PostgreSQL an advisory transaction lock makes appends from every
//! node take turns, so two nodes never chain onto the same predecessor.

use super::clock;
use super::crypto::{ChainKey, MasterKeys};
use super::db::{Db, Tx};
use super::repo::instance::{self, StoredChainKey};
use crate::domain::ids::UserId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
const PG_AUDIT_LOCK: i64 = 0x5ec7_a0d1;

/// Every action the audit log records, in one list: `append` refuses any other, and the
/// completeness test drives each of these once, so a new action cannot go unrecorded or
/// untested.
pub const ACTIONS: &[&str] = &[
    "instance.setup",
    "user.create",
    "user.sign_in",
    "user.invite",
    "user.reinvite",
    "user.accept_invitation",
    "user.reset_link",
    "user.password_reset",
    "user.password_change",
    "user.preferences",
    "user.disable",
    "user.enable",
    "user.grant_admin",
    "user.revoke_admin",
    "sign_in_lock.clear",
    "project.create",
    "project.update",
    "project.archive",
    "project.unarchive",
    "membership.add",
    "membership.change_role",
    "membership.remove",
    "vault.create",
    "vault.update",
    "vault.settings",
    "vault.member_add",
    "vault.member_remove",
    "vault.export",
    "secret.create",
    "secret.import",
    "secret.new_version",
    "secret.update",
    "secret.restore",
    "secret.enable",
    "secret.disable",
    "secret.reveal",
    "secret.copy",
    "secret.compare",
    "access_key.create",
    "access_key.revoke",
    "key.create",
    "key.update",
    "key.download",
    "key.enable",
    "key.disable",
    "key.publish",
    "key.reissue_public_token",
    "key.unpublish",
    "key.public_read",
    "certificate.create",
    "certificate.update",
    "certificate.download",
    "certificate.enable",
    "certificate.disable",
    "certificate.publish",
    "certificate.reissue_public_token",
    "certificate.unpublish",
    "certificate.public_read",
    "log.export",
    "log.prune",
    "audit.verify",
    "backup.create",
    "backup.restore",
    "backup.schedule",
    "backup.failed",
    "master_key.rotate",
    "expiry.notify",
    "settings.smtp",
    "settings.instance",
    "mail.test",
    "support.create",
    "support.reply",
    "support.status",
];

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

/// The chain key, as the instance row holds it now. It is read again whenever that row's
/// wrapped key changes (a restore brings the backed-up instance's key), so every node
/// follows a restore made by any other node or by the command line without a restart.
#[derive(Clone)]
pub struct AuditKey {
    master: MasterKeys,
    loaded: std::sync::Arc<std::sync::RwLock<std::sync::Arc<Loaded>>>,
    /// One walk of the whole chain at a time on this node (see [`AuditKey::claim_walk`]).
    walking: std::sync::Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey([redacted])")
    }
}

/// One unwrapped chain key, the first sequence number it keys and the wrapped form it came
/// from (what tells a changed instance row).
struct Loaded {
    key: ChainKey,
    keyed_from: i64,
    wrapped: Vec<u8>,
}

/// Why the chain key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyFailure {
    #[error("the audit chain key does not open: {0}")]
    Unwrap(super::crypto::UnwrapFailure),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// What the wrapped chain key is bound to: where the keyed chain starts (backups rewrap it).
pub fn chain_key_aad(keyed_from: i64) -> Vec<u8> {
    format!("audit-chain-key:{keyed_from}").into_bytes()
}

impl AuditKey {
    /// The right to walk the whole chain, which reads every entry: one walk at a time on a
    /// node, `None` while another runs. Dropping it (also when the asker hangs up and the
    /// walk is cancelled) frees it.
    pub fn claim_walk(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.walking.clone().try_acquire_owned().ok()
    }

    /// The instance's chain key, made on the first start that has none: it keys every entry
    /// after the last one already written. Two nodes starting at once agree on one key.
    pub async fn load_or_create(db: &Db, master: &MasterKeys) -> Result<AuditKey, KeyFailure> {
        if instance::audit_key(db).await?.is_none() {
            let mut tx = db.begin().await?;
            lock_chain(&mut tx).await?;
            let last: Option<i64> = sqlx::query_scalar("select max(seq) from audit_log").fetch_one(&mut *tx).await?;
            let keyed_from = last.unwrap_or(0) + 1;
            let wrapped = master.current().wrap_chain_key(&ChainKey::generate(), &chain_key_aad(keyed_from));
            instance::set_audit_key(&mut tx, &wrapped, keyed_from, master.current_id()).await?;
            tx.commit().await?;
        }
        let stored = instance::audit_key(db).await?.ok_or(sqlx::Error::RowNotFound)?;
        let loaded = unwrap_loaded(master, stored)?;
        Ok(AuditKey {
            master: master.clone(),
            loaded: std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(loaded))),
            walking: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// The key for the instance row's `wrapped` form: the one in memory while that form is
    /// unchanged, else the new one unwrapped (and kept for the next call).
    fn matching(&self, stored: StoredChainKey) -> Result<std::sync::Arc<Loaded>, KeyFailure> {
        if let Ok(held) = self.loaded.read()
            && held.wrapped == stored.wrapped
            && held.keyed_from == stored.keyed_from
        {
            return Ok(held.clone());
        }
        let keyed_from = stored.keyed_from;
        let fresh = std::sync::Arc::new(unwrap_loaded(&self.master, stored)?);
        if let Ok(mut held) = self.loaded.write() {
            *held = fresh.clone();
        }
        tracing::info!(keyed_from, "the audit chain key changed in the database (a restore or a rotation)");
        Ok(fresh)
    }

    /// The key as the database holds it now.
    async fn current(&self, db: &Db) -> Result<std::sync::Arc<Loaded>, KeyFailure> {
        self.matching(instance::audit_key(db).await?.ok_or(sqlx::Error::RowNotFound)?)
    }
}

fn unwrap_loaded(master: &MasterKeys, stored: StoredChainKey) -> Result<Loaded, KeyFailure> {
    let StoredChainKey { wrapped, keyed_from, master_key_id } = stored;
    let aad = chain_key_aad(keyed_from);
    let (key, _) = master
        .unwrap_by(master_key_id.as_deref(), |m| m.unwrap_chain_key(&wrapped, &aad))
        .map_err(KeyFailure::Unwrap)?;
    Ok(Loaded { key, keyed_from, wrapped })
}

impl Loaded {
    /// The link of the entry `c` after `prev`: a MAC in the keyed part, else plain SHA-256.
    #[allow(clippy::expect_used, reason = "strings and integers always serialise to JSON")]
    fn link(&self, prev: &str, c: &Canonical<'_>) -> String {
        let body = serde_json::to_string(c).expect("plain data serialises");
        if c.seq >= self.keyed_from {
            return hex::encode(self.key.mac(&[b"secryn-audit-v2", prev.as_bytes(), body.as_bytes()]));
        }
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(b"\n");
        h.update(body.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Makes appends take turns: SQLite's write transaction already holds the lock; on
/// PostgreSQL every node takes the same advisory transaction lock.
async fn lock_chain(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("select pg_advisory_xact_lock($1)").bind(PG_AUDIT_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Moves the chain key to the current master key (master-key rotation): `Ok(false)` when it
/// is there already, the reason when this node cannot open it. Under the chain's lock, so no
/// append links with a key that is being replaced; every node follows at its next append.
pub async fn rotate_chain_key(
    db: &Db,
    keys: &MasterKeys,
) -> Result<Result<bool, super::crypto::UnwrapFailure>, sqlx::Error> {
    let mut tx = db.begin().await?;
    lock_chain(&mut tx).await?;
    let row = sqlx::query("select audit_key_wrapped, audit_keyed_from, audit_master_key_id from instance where id = 1")
        .fetch_one(&mut *tx)
        .await?;
    let Some(stored) = instance::stored_chain_key(&row)? else { return Ok(Ok(false)) };
    if stored.master_key_id.as_deref() == Some(keys.current_id()) {
        return Ok(Ok(false));
    }
    let aad = chain_key_aad(stored.keyed_from);
    let rewrapped =
        match keys.unwrap_by(stored.master_key_id.as_deref(), |m| m.rewrap(&stored.wrapped, &aad, keys.current())) {
            Ok((w, _)) => w,
            Err(e) => return Ok(Err(e)),
        };
    sqlx::query("update instance set audit_key_wrapped = $1, audit_master_key_id = $2 where id = 1")
        .bind(rewrapped)
        .bind(keys.current_id())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(true))
}

/// Appends `entry` to the audit log inside `tx`, linked under `key`.
pub async fn append(tx: &mut Tx, key: &AuditKey, entry: Entry<'_>) -> Result<(), sqlx::Error> {
    if !ACTIONS.contains(&entry.action) {
        return Err(sqlx::Error::Protocol(format!("audit action {:?} is not in audit::ACTIONS", entry.action)));
    }
    lock_chain(tx).await?;
    // The chain's last link and the instance's key in one read: a restore on another node
    // changes both at once.
    let head = sqlx::query(
        "select i.audit_key_wrapped, i.audit_keyed_from, i.audit_master_key_id, a.seq, a.hash from instance i \
         left join (select seq, hash from audit_log order by seq desc limit 1) a on 1 = 1 where i.id = 1",
    )
    .fetch_one(&mut **tx)
    .await?;
    let stored = instance::stored_chain_key(&head)?.ok_or(sqlx::Error::RowNotFound)?;
    let key = key.matching(stored).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let (prev_seq, prev_hash) = match head.try_get::<Option<i64>, _>(3)? {
        Some(seq) => (seq, head.try_get::<String, _>(4)?),
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
    let hash = key.link(&prev_hash, &c);
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
    /// Entries that held, from the first on.
    pub checked: u64,
    /// The first entry that does not hold, if any.
    pub first_broken: Option<Broken>,
}

/// The first entry whose place in the chain does not hold, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// Its sequence number (where the chain broke).
    pub seq: i64,
    /// Its id, or `None` when the entry expected there is missing.
    pub id: Option<String>,
    pub reason: Break,
}

/// What is wrong at the broken link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Break {
    /// The entry expected at this sequence number is not there (deleted).
    Missing,
    /// The entry names another predecessor than the one before it (reordered or spliced).
    Relinked,
    /// The entry's content does not match its MAC (altered).
    Altered,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.id.as_deref().unwrap_or("-");
        match self.reason {
            Break::Missing => write!(f, "entry {} is missing: the chain jumps past it", self.seq),
            Break::Relinked => {
                write!(f, "entry {} ({id}) does not follow the entry before it (reordered or removed)", self.seq)
            }
            Break::Altered => write!(f, "entry {} ({id}) was altered: its content does not match its MAC", self.seq),
        }
    }
}

impl From<Verification> for crate::domain::logs::ChainReport {
    fn from(v: Verification) -> Self {
        crate::domain::logs::ChainReport { checked: v.checked, broken: v.first_broken.map(|b| b.to_string()) }
    }
}

const VERIFY_BATCH: i64 = 2_000;

/// Recomputes every link in order, a batch at a time (memory stays flat at any length), and
/// reports the first that does not hold. A deleted tail is not a broken link: compare the
/// count with what the Admin expects.
pub async fn verify(db: &Db, key: &AuditKey) -> Result<Verification, sqlx::Error> {
    let key = &*key.current(db).await.map_err(|e| match e {
        KeyFailure::Db(e) => e,
        e => sqlx::Error::Protocol(e.to_string()),
    })?;
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    loop {
        let rows = sqlx::query(
            "select seq, id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id, \
             resource_name, changes, source_ip, prev_hash, hash, request_id from audit_log \
             where seq >= $1 order by seq limit $2",
        )
        .bind(expected_seq)
        .bind(VERIFY_BATCH)
        .fetch_all(db.reader())
        .await?;
        let done = (rows.len() as i64) < VERIFY_BATCH;
        for row in &rows {
            if let Some(broken) = check_row(key, row, expected_seq, &mut prev)? {
                return Ok(Verification { checked: (expected_seq - 1) as u64, first_broken: Some(broken) });
            }
            expected_seq += 1;
        }
        if done {
            return Ok(Verification { checked: (expected_seq - 1) as u64, first_broken: None });
        }
    }
}

/// Checks one row against the chain so far; on success `prev` moves to its link.
fn check_row(
    key: &Loaded,
    row: &sqlx::any::AnyRow,
    expected_seq: i64,
    prev: &mut String,
) -> Result<Option<Broken>, sqlx::Error> {
    let seq: i64 = row.try_get(0)?;
    let id: String = row.try_get(1)?;
    if seq != expected_seq {
        return Ok(Some(Broken { seq: expected_seq, id: None, reason: Break::Missing }));
    }
    let text = |i: usize| row.try_get::<String, _>(i);
    let opt = |i: usize| row.try_get::<Option<String>, _>(i);
    let (actor_type, actor_id, actor_name, action) = (text(3)?, opt(4)?, text(5)?, text(6)?);
    let (resource_type, resource_id, resource_name) = (text(7)?, opt(8)?, opt(9)?);
    let (changes, source_ip, stored_prev, stored_hash, request_id) =
        (text(10)?, opt(11)?, text(12)?, text(13)?, opt(14)?);
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
    let reason = if key.link(prev, &c) == stored_hash {
        None
    } else if stored_prev != *prev {
        Some(Break::Relinked)
    } else {
        Some(Break::Altered)
    };
    if let Some(reason) = reason {
        return Ok(Some(Broken { seq, id: Some(id), reason }));
    }
    *prev = stored_hash;
    Ok(None)
}
