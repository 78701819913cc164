//! Backups of the whole instance (SPEC §6, docs/backup-format.md): every table read in one
//! snapshot, written as JSON lines inside the sealed envelope of `backup_file`, with the only
//! master-key-bound columns (the vault keys and the audit chain key) rewrapped to the backup's
//! own key. A restore checks the whole file first, then replaces every table in one
//! transaction: any failure leaves the instance as it was.

use super::master_keys::SEALED;
use super::{actor, require};
use crate::domain::AppError;
use crate::domain::error::ErrorCode;
use crate::domain::permission::{Action, Resource};
use crate::server::audit::{self, Actor, Entry};
use crate::server::backup_file::{BackupFileError, BackupKey, Opener, Sealer};
use crate::server::crypto::{MasterKey, MasterKeys};
use crate::server::db::{Db, Engine, Tx};
use crate::server::{AppState, Caller, clock};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::TryStreamExt as _;
use serde_json::{Value, json};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{Column as _, Row as _, ValueRef as _};
use std::path::Path;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// The content's own version (inside the envelope's).
const CONTENT_VERSION: i64 = 1;

/// Every table, in an order a restore can insert without breaking a reference.
pub const TABLES: [&str; 26] = [
    "instance",
    "instance_settings",
    "users",
    "projects",
    "vaults",
    "memberships",
    "vault_members",
    "secrets",
    "secret_versions",
    "access_keys",
    "keys",
    "certificates",
    "invitations",
    "sessions",
    "sign_in_throttle",
    "audit_log",
    "user_log",
    "request_log",
    "mcp_log",
    "refused_calls",
    "backup_schedule",
    "notifications",
    "expiry_notices",
    "support_tickets",
    "support_messages",
    "mail_outbox",
];

/// Why a backup could not be made or restored. Never carries key or content bytes.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    File(#[from] BackupFileError),
    #[error("the backup's content is not valid: {0}")]
    Content(String),
    #[error("a key in the backup does not open with its key, or the instance's master key does not open its own")]
    Keys,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not read or write the backup: {0}")]
    Io(#[from] std::io::Error),
    #[error("the backup is larger than {} GiB", MAX_FILE >> 30)]
    TooLarge,
}

impl From<BackupError> for AppError {
    /// What is wrong with the file or the key is the person's to fix, said beside the field
    /// it concerns; a database failure is ours.
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Database(e) => e.into(),
            BackupError::Io(io) => {
                tracing::warn!(error = %io, "a backup stream failed");
                AppError::new(
                    ErrorCode::BadRequest,
                    "The backup could not be transferred completely; nothing was changed.",
                )
            }
            BackupError::TooLarge => AppError::new(ErrorCode::PayloadTooLarge, e.to_string()),
            e => {
                let key = matches!(e, BackupError::File(BackupFileError::WrongKey | BackupFileError::MalformedKey));
                let message = format!("{}{NOTHING_CHANGED}.", capitalised(&e.to_string()));
                AppError::validation(if key { "key" } else { "file" }, message)
            }
        }
    }
}

const NOTHING_CHANGED: &str = "; nothing was changed";

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The largest backup a restore reads: a bound on what one upload can make the server do.
pub const MAX_FILE: u64 = 16 << 30;

/// The longest line of content (one row): a bound on the memory a file can ask for.
const MAX_LINE: usize = 64 << 20;

fn content(why: impl Into<String>) -> BackupError {
    BackupError::Content(why.into())
}

/// What a backup holds (shared with the Backups page).
pub use crate::domain::backup::BackupSummary as Summary;

/// Who makes or restores a backup, for the audit entry: an Admin (checked) or the command
/// line, which holds the master key anyway.
pub struct By {
    actor: Actor,
    source_ip: Option<String>,
}

impl By {
    /// An Admin, once the one permission function agrees.
    pub async fn admin(caller: &Caller) -> Result<By, AppError> {
        require(caller, Action::ManageInstance, Resource::Instance, "backup").await?;
        Ok(By { actor: actor(caller), source_ip: caller.meta.ip.clone() })
    }

    /// Secryn itself: `secryn backup …` on the server, or a scheduled run.
    pub fn server() -> By {
        By { actor: Actor::System, source_ip: None }
    }

    fn entry<'a>(&'a self, action: &'a str, summary: &Summary) -> Entry<'a> {
        Entry {
            actor: &self.actor,
            action,
            resource_type: "instance",
            resource_id: None,
            resource_name: Some(format!(
                "backup of {} ({} rows)",
                crate::domain::time::short(summary.created_at),
                summary.total()
            )),
            changes: Vec::new(),
            source_ip: self.source_ip.clone(),
        }
    }
}

/// Writes a backup to `out`: beside it first, renamed into place once whole, so a failed run
/// never leaves a file that looks like a backup. Only the owner may read it; an existing
/// file is never overwritten.
pub async fn write_file(state: &AppState, by: &By, key: &BackupKey, out: &Path) -> Result<Summary, BackupError> {
    let partial = out.with_extension("partial");
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut writer = tokio::io::BufWriter::new(options.open(&partial).await?);
    let written = async {
        let summary = create(state, by, key, &mut writer).await?;
        writer.get_ref().sync_all().await?;
        if tokio::fs::try_exists(out).await? {
            return Err(BackupError::Io(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the file exists")));
        }
        tokio::fs::rename(&partial, out).await?;
        Ok(summary)
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    written
}

/// A value as the file holds it: null, an integer, text, or `{"b64":…}` for bytes.
fn encode(row: &AnyRow, i: usize) -> Result<Value, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Value::Null,
        AnyTypeInfoKind::Bool => json!(row.try_get::<bool, _>(i)?),
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            json!(row.try_get::<i64, _>(i)?)
        }
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => json!(row.try_get::<f64, _>(i)?),
        AnyTypeInfoKind::Text => json!(row.try_get::<String, _>(i)?),
        AnyTypeInfoKind::Blob => json!({ "b64": STANDARD.encode(row.try_get::<Vec<u8>, _>(i)?) }),
    })
}

/// Which way a backup moves the master-key-bound columns.
enum Move<'a> {
    /// From this instance's master keys to the backup's wrapping key (the id column empties).
    Out { keys: &'a MasterKeys, backup: &'a MasterKey },
    /// From the backup's wrapping key to this instance's current master key (and its id).
    In { backup: &'a MasterKey, keys: &'a MasterKeys },
}

/// The master-key-bound columns, rewrapped for the same owners: each vault's `wrapped_key`
/// and the instance's `audit_key_wrapped`, with the id of the key that wraps them.
/// `key_check` is left out of the file and made again on restore.
fn rewrap(table: &str, columns: &[String], row: &mut [Value], way: &Move<'_>) -> Result<(), BackupError> {
    let at = |name: &str| columns.iter().position(|c| c == name);
    let (col, id_col, aad) = match table {
        "vaults" => {
            let id = at("id").and_then(|i| row[i].as_str()).ok_or_else(|| content("a vault without an id"))?;
            let vault = crate::domain::ids::VaultId::parse(id).ok_or_else(|| content("a vault id is not a UUID"))?;
            (at("wrapped_key"), at("master_key_id"), crate::server::services::vaults::key_aad(vault))
        }
        "instance" => match at("audit_keyed_from").and_then(|i| row[i].as_i64()) {
            Some(seq) => (at("audit_key_wrapped"), at("audit_master_key_id"), crate::server::audit::chain_key_aad(seq)),
            None => return Ok(()),
        },
        other => match SEALED.iter().find(|s| s.table == other) {
            Some(s) => {
                let id = at(s.row).map(|i| match &row[i] {
                    Value::String(text) => text.clone(),
                    v => v.to_string(),
                });
                let id = id.ok_or_else(|| content(format!("a row of {other} without its {}", s.row)))?;
                (at(s.column), at(s.key_column), (s.aad)(&id))
            }
            None => return Ok(()),
        },
    };
    let Some(col) = col else { return Ok(()) };
    let Some(b64) = row[col].get("b64").and_then(Value::as_str) else { return Ok(()) };
    let wrapped = STANDARD.decode(b64).map_err(|_| content("a wrapped key is not base64"))?;
    let (moved, new_id) = match way {
        Move::Out { keys, backup } => {
            let id = id_col.and_then(|i| row[i].as_str());
            let (moved, _) = keys.unwrap_by(id, |m| m.rewrap(&wrapped, &aad, backup)).map_err(|_| BackupError::Keys)?;
            (moved, Value::Null)
        }
        Move::In { backup, keys } => {
            let moved = backup.rewrap(&wrapped, &aad, keys.current()).map_err(|_| BackupError::Keys)?;
            (moved, json!(keys.current_id()))
        }
    };
    row[col] = json!({ "b64": STANDARD.encode(moved) });
    if let Some(i) = id_col {
        row[i] = new_id;
    }
    Ok(())
}

/// Writes a backup of the whole instance, sealed with `key`, to `out`. The creation is
/// audited first, so the backup holds its own entry. The tables are read in one snapshot:
/// writes that go on meanwhile are either wholly in it or not at all. A writer that fails
/// (a client that hung up) stops the reads and gives the snapshot back.
pub async fn create(
    state: &AppState,
    by: &By,
    key: &BackupKey,
    out: &mut (impl AsyncWrite + Unpin),
) -> Result<Summary, BackupError> {
    let created_at = clock::now();
    let announced = Summary { created_at, engine: state.db.engine().name().to_owned(), rows: Vec::new() };
    let mut tx = state.db.begin().await?;
    audit::append(&mut tx, &state.audit_key, by.entry("backup.create", &announced)).await?;
    tx.commit().await?;
    let wrapping = key.wrapping_key();
    let mut sealer = Sealer::new(key);
    let mut tx = snapshot(&state.db).await?;
    let head = json!({
        "secryn_backup": CONTENT_VERSION,
        "created_at": created_at,
        "engine": state.db.engine().name(),
        "tables": TABLES,
    });
    out.write_all(&sealer.push(format!("{head}\n").as_bytes())?).await?;
    let mut summary = Summary { rows: Vec::with_capacity(TABLES.len()), ..announced };
    for table in TABLES {
        let sql = format!("select * from {table}");
        let mut rows = sqlx::query(&sql).fetch(&mut *tx);
        let mut columns: Option<Vec<String>> = None;
        let mut count: u64 = 0;
        while let Some(row) = rows.try_next().await? {
            let names = columns.get_or_insert_with(|| row.columns().iter().map(|c| c.name().to_owned()).collect());
            if count == 0 {
                let line = json!({ "table": table, "columns": names });
                out.write_all(&sealer.push(format!("{line}\n").as_bytes())?).await?;
            }
            let mut values = (0..names.len()).map(|i| encode(&row, i)).collect::<Result<Vec<_>, _>>()?;
            if table == "instance"
                && let Some(i) = names.iter().position(|c| c == "key_check")
            {
                values[i] = Value::Null;
            }
            rewrap(table, names, &mut values, &Move::Out { keys: &state.master, backup: &wrapping })?;
            out.write_all(&sealer.push(format!("{}\n", Value::Array(values)).as_bytes())?).await?;
            count += 1;
        }
        summary.rows.push((table.to_owned(), count));
    }
    drop(tx);
    let end = json!({ "end": true, "rows": summary.total() });
    out.write_all(&sealer.push(format!("{end}\n").as_bytes())?).await?;
    out.write_all(&sealer.finish()?).await?;
    out.flush().await?;
    Ok(summary)
}

/// A read transaction that sees one moment of the database.
async fn snapshot(db: &Db) -> Result<Tx, sqlx::Error> {
    match db.engine() {
        Engine::Postgres => {
            let mut tx = db.reader().begin().await?;
            sqlx::query("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
            Ok(tx)
        }
        // Under WAL a read transaction keeps the snapshot of its first read.
        Engine::Sqlite => db.reader().begin().await,
    }
}

/// One piece of content, in file order.
enum Item {
    Table { table: &'static str, columns: Vec<String> },
    Row(Vec<Value>),
}

/// The content's lines, checked as they come: the head first, then each table's columns
/// before its rows, then the end line with the row count.
#[derive(Default)]
struct Lines {
    text: Vec<u8>,
    head: Option<Summary>,
    columns: usize,
    current: Option<usize>,
    counts: [u64; TABLES.len()],
    ended: Option<u64>,
}

impl Lines {
    /// Takes more content; returns the items of its whole lines.
    fn push(&mut self, plain: &[u8]) -> Result<Vec<Item>, BackupError> {
        self.text.extend_from_slice(plain);
        let mut items = Vec::new();
        let mut start = 0;
        while let Some(end) = self.text[start..].iter().position(|b| *b == b'\n') {
            let line: Value =
                serde_json::from_slice(&self.text[start..start + end]).map_err(|_| content("a line is not JSON"))?;
            start += end + 1;
            if let Some(item) = self.item(line)? {
                items.push(item);
            }
        }
        self.text.drain(..start);
        if self.text.len() > MAX_LINE {
            return Err(content("a line is too long"));
        }
        Ok(items)
    }

    fn item(&mut self, line: Value) -> Result<Option<Item>, BackupError> {
        if self.ended.is_some() {
            return Err(content("there is content after its end"));
        }
        if self.head.is_none() {
            if line["secryn_backup"].as_i64() != Some(CONTENT_VERSION) {
                return Err(content("unknown content version"));
            }
            self.head = Some(Summary {
                created_at: line["created_at"].as_i64().unwrap_or_default(),
                engine: line["engine"].as_str().unwrap_or_default().to_owned(),
                rows: Vec::new(),
            });
            return Ok(None);
        }
        match line {
            Value::Array(values) => {
                let at = self.current.ok_or_else(|| content("a row before any table"))?;
                if values.len() != self.columns {
                    return Err(content(format!("a row of {} has the wrong number of values", TABLES[at])));
                }
                self.counts[at] += 1;
                Ok(Some(Item::Row(values)))
            }
            Value::Object(o) if o.get("end") == Some(&Value::Bool(true)) => {
                self.ended =
                    Some(o.get("rows").and_then(Value::as_u64).ok_or_else(|| content("its end has no count"))?);
                Ok(None)
            }
            Value::Object(o) => {
                let name =
                    o.get("table").and_then(Value::as_str).ok_or_else(|| content("a line is neither row nor table"))?;
                let at =
                    TABLES.iter().position(|t| *t == name).ok_or_else(|| content(format!("unknown table {name}")))?;
                if self.current.is_some_and(|c| c >= at) {
                    return Err(content("its tables are out of order"));
                }
                let columns = o
                    .get("columns")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>())
                    .ok_or_else(|| content("a table without columns"))?;
                if columns.is_empty()
                    || columns
                        .iter()
                        .any(|c| !c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()))
                {
                    return Err(content("a column name is not a plain name"));
                }
                self.current = Some(at);
                self.columns = columns.len();
                Ok(Some(Item::Table { table: TABLES[at], columns }))
            }
            _ => Err(content("a line is neither row nor table")),
        }
    }

    /// The summary, once the content ended whole and its count matches.
    fn finish(self) -> Result<Summary, BackupError> {
        if !self.text.is_empty() {
            return Err(content("the content does not end with a whole line"));
        }
        let mut summary = self.head.ok_or_else(|| content("it is empty"))?;
        summary.rows = TABLES.iter().zip(self.counts).map(|(t, n)| ((*t).to_owned(), n)).collect();
        match self.ended {
            Some(n) if n == summary.total() => Ok(summary),
            _ => Err(content("its row count does not match (the content stops early)")),
        }
    }
}

/// A backup read from `source`: items come out as soon as their chunk is proven intact;
/// the summary only once the whole file is.
struct Reader<'a, R> {
    source: &'a mut R,
    opener: Option<Opener>,
    lines: Lines,
    ready: std::collections::VecDeque<Item>,
    buf: Vec<u8>,
    read: u64,
}

impl<'a, R: AsyncRead + Unpin> Reader<'a, R> {
    fn new(key: &BackupKey, source: &'a mut R) -> Self {
        let (opener, lines, ready) = (Some(Opener::new(key)), Lines::default(), Default::default());
        Reader { source, opener, lines, ready, buf: vec![0u8; 64 * 1024], read: 0 }
    }

    /// The next item, or `None` at the end of the file.
    async fn next(&mut self) -> Result<Option<Item>, BackupError> {
        while self.ready.is_empty() {
            let Some(opener) = self.opener.as_mut() else { return Ok(None) };
            let n = self.source.read(&mut self.buf).await?;
            self.read += n as u64;
            if self.read > MAX_FILE {
                return Err(BackupError::TooLarge);
            }
            let plain = if n == 0 {
                self.opener.take().map(Opener::finish).transpose()?.unwrap_or_default()
            } else {
                opener.push(&self.buf[..n])?
            };
            self.ready.extend(self.lines.push(&plain)?);
        }
        Ok(self.ready.pop_front())
    }

    fn finish(self) -> Result<Summary, BackupError> {
        self.lines.finish()
    }
}

/// The dry run: checks the key, every chunk, the content's shape and its row count, and says
/// what the backup holds. Nothing is written anywhere.
pub async fn verify(key: &BackupKey, source: &mut (impl AsyncRead + Unpin)) -> Result<Summary, BackupError> {
    let mut reader = Reader::new(key, source);
    while reader.next().await?.is_some() {}
    reader.finish()
}

/// Replaces the whole instance with the backup from `source`, in one transaction that
/// commits only once the whole file has proven intact: any failure, a client that hangs up
/// or a process killed halfway leaves the instance as it was. The keys are rewrapped from
/// the backup's key to this instance's master key. Every session ends (none is restored),
/// and the restore is the first entry after the restored chain.
///
/// The data-key cache stays valid: a vault's key is the same key in the backup (only its
/// wrapping changed), and vault ids are never reused. The chain key is read again by every
/// node at its next append (see `audit::AuditKey`).
pub async fn restore(
    state: &AppState,
    by: &By,
    key: &BackupKey,
    source: &mut (impl AsyncRead + Unpin),
) -> Result<Summary, BackupError> {
    let db = &state.db;
    let wrapping = key.wrapping_key();
    let mut tx = db.begin().await?;
    if db.engine() == Engine::Sqlite {
        sqlx::query("pragma defer_foreign_keys = on").execute(&mut *tx).await?;
    }
    for table in TABLES.iter().rev() {
        delete_all(&mut tx, db.engine(), table).await?;
    }
    let mut reader = Reader::new(key, source);
    let mut batch: Option<Batch> = None;
    while let Some(item) = reader.next().await? {
        match item {
            Item::Table { table, columns } => {
                if let Some(done) = batch.take() {
                    done.flush(&mut tx).await?;
                }
                let casts = casts(&mut tx, db.engine(), table, &columns).await?;
                batch = Some(Batch::new(db.engine(), table, columns, casts));
            }
            Item::Row(mut row) => {
                let Some(b) = batch.as_mut() else { return Err(content("a row before any table")) };
                if b.table == "sessions" {
                    continue;
                }
                rewrap(b.table, &b.columns, &mut row, &Move::In { backup: &wrapping, keys: &state.master })?;
                if b.table == "instance"
                    && let Some(i) = b.columns.iter().position(|c| c == "key_check")
                {
                    row[i] = json!({ "b64": STANDARD.encode(state.master.current().key_check()) });
                }
                b.push(&mut tx, row).await?;
            }
        }
    }
    if let Some(done) = batch.take() {
        done.flush(&mut tx).await?;
    }
    let summary = reader.finish()?;
    if summary.of("instance") != 1 {
        return Err(content("it holds no instance"));
    }
    audit::append(&mut tx, &state.audit_key, by.entry("backup.restore", &summary)).await?;
    tx.commit().await?;
    Ok(summary)
}

/// Empties `table`, past its guards (the logs are append-only, secret versions immutable):
/// a restore replaces them whole. The guards are back before the transaction commits.
async fn delete_all(tx: &mut Tx, engine: Engine, table: &str) -> Result<(), sqlx::Error> {
    match engine {
        Engine::Postgres => {
            sqlx::query(&format!("alter table {table} disable trigger user")).execute(&mut **tx).await?;
            sqlx::query(&format!("delete from {table}")).execute(&mut **tx).await?;
            sqlx::query(&format!("alter table {table} enable trigger user")).execute(&mut **tx).await?;
        }
        Engine::Sqlite => {
            let triggers: Vec<(String, String)> =
                sqlx::query_as("select name, sql from sqlite_master where type = 'trigger' and tbl_name = $1")
                    .bind(table)
                    .fetch_all(&mut **tx)
                    .await?;
            for (name, _) in &triggers {
                sqlx::query(&format!("drop trigger {name}")).execute(&mut **tx).await?;
            }
            sqlx::query(&format!("delete from {table}")).execute(&mut **tx).await?;
            for (_, sql) in &triggers {
                sqlx::query(sql).execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

/// Rows of one table waiting to be inserted together: one statement per batch instead of one
/// round trip per row (on PostgreSQL this is what makes a restore fast). Bounded by rows,
/// bind parameters (both engines cap them) and bytes, so memory stays small.
struct Batch {
    table: &'static str,
    columns: Vec<String>,
    casts: Vec<String>,
    mark: char,
    rows: Vec<Vec<Value>>,
    bytes: usize,
}

/// The most rows, bind parameters and value bytes one insert carries (the row count was
/// measured: docs/decisions.md, "Restore speed").
const BATCH_ROWS: usize = 128;
const BATCH_PARAMS: usize = 30_000;
const BATCH_BYTES: usize = 4 << 20;

impl Batch {
    /// SQLite looks a `$N` parameter up by name, one by one, so a long insert takes `?N`.
    fn new(engine: Engine, table: &'static str, columns: Vec<String>, casts: Vec<String>) -> Self {
        let mark = if engine == Engine::Sqlite { '?' } else { '$' };
        Batch { table, columns, casts, mark, rows: Vec::new(), bytes: 0 }
    }

    async fn push(&mut self, tx: &mut Tx, row: Vec<Value>) -> Result<(), BackupError> {
        self.bytes += row.iter().map(held).sum::<usize>();
        self.rows.push(row);
        let full = self.rows.len() >= BATCH_ROWS
            || (self.rows.len() + 1) * self.columns.len() > BATCH_PARAMS
            || self.bytes >= BATCH_BYTES;
        if full {
            self.insert(tx).await?;
        }
        Ok(())
    }

    async fn flush(mut self, tx: &mut Tx) -> Result<(), BackupError> {
        self.insert(tx).await
    }

    /// Not a prepared statement kept for the next batch: a null is bound as text, so a column
    /// that is null in one batch and a number in the next needs its parameter types afresh.
    async fn insert(&mut self, tx: &mut Tx) -> Result<(), BackupError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let width = self.columns.len();
        let tuples: Vec<String> = (0..self.rows.len())
            .map(|r| {
                let marks: Vec<String> = self
                    .casts
                    .iter()
                    .enumerate()
                    .map(|(c, cast)| format!("{}{}{cast}", self.mark, r * width + c + 1))
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!("insert into {} ({}) values {}", self.table, self.columns.join(", "), tuples.join(", "));
        let mut q = sqlx::query(&sql).persistent(false);
        for v in self.rows.drain(..).flatten() {
            q = match v {
                Value::Null => q.bind(None::<String>),
                Value::Bool(b) => q.bind(i64::from(b)),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => q.bind(i),
                    None => q.bind(n.as_f64().unwrap_or_default()),
                },
                Value::String(s) => q.bind(s),
                Value::Object(o) => {
                    let b64 =
                        o.get("b64").and_then(Value::as_str).ok_or_else(|| content("an object value is not bytes"))?;
                    q.bind(STANDARD.decode(b64).map_err(|_| content("bytes are not base64"))?)
                }
                Value::Array(_) => return Err(content("a value is a list")),
            };
        }
        self.bytes = 0;
        q.execute(&mut **tx).await?;
        Ok(())
    }
}

/// About how many bytes a value holds until its batch is inserted: its text, or the base64 of
/// its bytes (ciphertexts are the large ones).
fn held(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Object(o) => o.get("b64").and_then(Value::as_str).map_or(16, str::len),
        _ => 16,
    }
}

/// Each column's cast in an insert into `table`. On PostgreSQL each value is cast to its
/// column's type, since values arrive typed as the file holds them (a null as text, a count
/// as bigint); SQLite takes them as they are.
async fn casts(tx: &mut Tx, engine: Engine, table: &str, columns: &[String]) -> Result<Vec<String>, BackupError> {
    if engine == Engine::Sqlite {
        return Ok(vec![String::new(); columns.len()]);
    }
    let types: Vec<(String, String)> = sqlx::query_as(
        "select column_name::text, data_type::text from information_schema.columns where table_name = $1",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    columns
        .iter()
        .map(|c| {
            let t = types.iter().find(|(n, _)| n == c).map(|(_, t)| t.as_str());
            Ok(format!("::{}", t.ok_or_else(|| content(format!("{table} has no column {c} here")))?))
        })
        .collect()
}
