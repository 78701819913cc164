//! Backups of the whole instance (SPEC §6, docs/backup-format.md): every table read in one
//! snapshot, written as JSON lines inside the sealed envelope of `backup_file`, with the only
//! master-key-bound columns (the vault keys and the audit chain key) rewrapped to the backup's
//! own key. A restore checks the whole file first, then replaces every table in one
//! transaction: any failure leaves the instance as it was.

use crate::server::backup_file::{BackupFileError, BackupKey, Opener, Sealer};
use crate::server::crypto::MasterKey;
use crate::server::db::{Db, Engine, Tx};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::TryStreamExt as _;
use serde_json::{Value, json};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{Column as _, Row as _, ValueRef as _};

/// The content's own version (inside the envelope's).
const CONTENT_VERSION: i64 = 1;

/// Every table, in an order a restore can insert without breaking a reference.
pub const TABLES: [&str; 19] = [
    "instance",
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
    #[error("could not write the backup: {0}")]
    Write(#[from] std::io::Error),
}

fn content(why: impl Into<String>) -> BackupError {
    BackupError::Content(why.into())
}

/// What a backup holds, as a dry run reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub created_at: i64,
    pub engine: String,
    /// Rows per table, in [`TABLES`] order.
    pub rows: Vec<(String, u64)>,
}

impl Summary {
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
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

/// The master-key-bound columns, rewrapped from `from` to `to` (for the same owners): each
/// vault's `wrapped_key` and the instance's `audit_key_wrapped`. `key_check` is left out of
/// the file and made again on restore.
fn rewrap(
    table: &str,
    columns: &[String],
    row: &mut [Value],
    from: &MasterKey,
    to: &MasterKey,
) -> Result<(), BackupError> {
    let at = |name: &str| columns.iter().position(|c| c == name);
    let (col, aad) = match table {
        "vaults" => {
            let id = at("id").and_then(|i| row[i].as_str()).ok_or_else(|| content("a vault without an id"))?;
            let vault = crate::domain::ids::VaultId::parse(id).ok_or_else(|| content("a vault id is not a UUID"))?;
            (at("wrapped_key"), crate::server::services::vaults::key_aad(vault))
        }
        "instance" => {
            let from_seq = at("audit_keyed_from").and_then(|i| row[i].as_i64());
            match from_seq {
                Some(seq) => (at("audit_key_wrapped"), crate::server::audit::chain_key_aad(seq)),
                None => return Ok(()),
            }
        }
        _ => return Ok(()),
    };
    let Some(col) = col else { return Ok(()) };
    let Some(b64) = row[col].get("b64").and_then(Value::as_str) else { return Ok(()) };
    let wrapped = STANDARD.decode(b64).map_err(|_| content("a wrapped key is not base64"))?;
    let moved = from.rewrap(&wrapped, &aad, to).map_err(|_| BackupError::Keys)?;
    row[col] = json!({ "b64": STANDARD.encode(moved) });
    Ok(())
}

/// Writes a backup of the whole instance to `out` and returns its one-time key. The tables
/// are read in one snapshot, so writes that go on meanwhile are either wholly in it or not.
pub async fn create(
    db: &Db,
    master: &MasterKey,
    created_at: i64,
    out: &mut impl std::io::Write,
) -> Result<BackupKey, BackupError> {
    let key = BackupKey::random();
    let wrapping = key.wrapping_key();
    let mut sealer = Sealer::new(&key);
    let mut tx = snapshot(db).await?;
    let head = json!({
        "secryn_backup": CONTENT_VERSION,
        "created_at": created_at,
        "engine": db.engine().name(),
        "tables": TABLES,
    });
    out.write_all(&sealer.push(format!("{head}\n").as_bytes())?)?;
    let mut total: u64 = 0;
    for table in TABLES {
        let sql = format!("select * from {table}");
        let mut rows = sqlx::query(&sql).fetch(&mut *tx);
        let mut columns: Option<Vec<String>> = None;
        let mut count: u64 = 0;
        while let Some(row) = rows.try_next().await? {
            let names = columns.get_or_insert_with(|| row.columns().iter().map(|c| c.name().to_owned()).collect());
            if count == 0 {
                let line = json!({ "table": table, "columns": names });
                out.write_all(&sealer.push(format!("{line}\n").as_bytes())?)?;
            }
            let mut values = (0..names.len()).map(|i| encode(&row, i)).collect::<Result<Vec<_>, _>>()?;
            if table == "instance"
                && let Some(i) = names.iter().position(|c| c == "key_check")
            {
                values[i] = Value::Null;
            }
            rewrap(table, names, &mut values, master, &wrapping)?;
            out.write_all(&sealer.push(format!("{}\n", Value::Array(values)).as_bytes())?)?;
            count += 1;
        }
        total += count;
    }
    drop(tx);
    out.write_all(&sealer.push(format!("{}\n", json!({ "end": true, "rows": total })).as_bytes())?)?;
    out.write_all(&sealer.finish()?)?;
    out.flush()?;
    Ok(key)
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

/// The content of a backup file, checked line by line.
struct Reader {
    opener: Opener,
    text: Vec<u8>,
}

/// One table's rows as the file holds them.
pub struct TableRows {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Reader {
    fn lines(&mut self, chunk: &[u8], out: &mut Vec<Value>) -> Result<(), BackupError> {
        let plain = self.opener_push(chunk)?;
        self.text.extend_from_slice(&plain);
        while let Some(end) = self.text.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.text.drain(..=end).collect();
            out.push(serde_json::from_slice(&line).map_err(|_| content("a line is not JSON"))?);
        }
        Ok(())
    }

    fn opener_push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, BackupError> {
        Ok(self.opener.push(chunk)?.to_vec())
    }
}

/// Opens a whole backup file and checks it: the key, every chunk, the content's shape and its
/// row count. Nothing is written anywhere.
pub fn read(file: &mut impl std::io::Read, key: &BackupKey) -> Result<(Summary, Vec<TableRows>), BackupError> {
    let mut reader = Reader { opener: Opener::new(key), text: Vec::new() };
    let mut lines = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        reader.lines(&buf[..n], &mut lines)?;
    }
    let rest = std::mem::replace(&mut reader.opener, Opener::new(key)).finish()?;
    reader.text.extend_from_slice(&rest);
    let mut tail = Vec::new();
    reader.lines(&[], &mut tail)?;
    lines.extend(tail);
    if !reader.text.is_empty() {
        return Err(content("the content does not end with a whole line"));
    }
    parse(lines)
}

fn parse(lines: Vec<Value>) -> Result<(Summary, Vec<TableRows>), BackupError> {
    let mut it = lines.into_iter();
    let head = it.next().ok_or_else(|| content("it is empty"))?;
    if head["secryn_backup"].as_i64() != Some(CONTENT_VERSION) {
        return Err(content("unknown content version"));
    }
    let mut summary = Summary {
        created_at: head["created_at"].as_i64().unwrap_or_default(),
        engine: head["engine"].as_str().unwrap_or_default().to_owned(),
        rows: Vec::new(),
    };
    let mut tables: Vec<TableRows> = Vec::new();
    let mut ended = None;
    for line in it {
        if ended.is_some() {
            return Err(content("there is content after its end"));
        }
        match line {
            Value::Array(values) => {
                let t = tables.last_mut().ok_or_else(|| content("a row before any table"))?;
                if values.len() != t.columns.len() {
                    return Err(content(format!("a row of {} has the wrong number of values", t.table)));
                }
                t.rows.push(values);
            }
            Value::Object(o) if o.get("end") == Some(&Value::Bool(true)) => {
                ended = o.get("rows").and_then(Value::as_u64);
            }
            Value::Object(o) => {
                let table =
                    o.get("table").and_then(Value::as_str).ok_or_else(|| content("a line is neither row nor table"))?;
                if !TABLES.contains(&table) {
                    return Err(content(format!("unknown table {table}")));
                }
                let columns = o
                    .get("columns")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>())
                    .ok_or_else(|| content("a table without columns"))?;
                if columns.iter().any(|c| !c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()))
                {
                    return Err(content("a column name is not a plain name"));
                }
                tables.push(TableRows { table: table.to_owned(), columns, rows: Vec::new() });
            }
            _ => return Err(content("a line is neither row nor table")),
        }
    }
    let total: u64 = tables.iter().map(|t| t.rows.len() as u64).sum();
    match ended {
        Some(n) if n == total => {}
        _ => return Err(content("its row count does not match (the content stops early)")),
    }
    summary.rows = TABLES
        .iter()
        .map(|name| {
            let n = tables.iter().filter(|t| t.table == *name).map(|t| t.rows.len() as u64).sum();
            ((*name).to_owned(), n)
        })
        .collect();
    Ok((summary, tables))
}

/// Replaces the whole instance with `tables` (from [`read`]) in one transaction, the keys
/// rewrapped from the backup's key to `master`. Every session ends: the restored ones are
/// dropped.
pub async fn restore(db: &Db, master: &MasterKey, key: &BackupKey, tables: Vec<TableRows>) -> Result<(), BackupError> {
    let wrapping = key.wrapping_key();
    let mut tx = db.begin().await?;
    if db.engine() == Engine::Sqlite {
        sqlx::query("pragma defer_foreign_keys = on").execute(&mut *tx).await?;
    }
    for table in TABLES.iter().rev() {
        delete_all(&mut tx, db.engine(), table).await?;
    }
    for mut t in tables {
        if t.table == "sessions" {
            continue;
        }
        let sql = insert_sql(&mut tx, db.engine(), &t.table, &t.columns).await?;
        for row in &mut t.rows {
            rewrap(&t.table, &t.columns, row, &wrapping, master)?;
            if t.table == "instance"
                && let Some(i) = t.columns.iter().position(|c| c == "key_check")
            {
                row[i] = json!({ "b64": STANDARD.encode(master.key_check()) });
            }
            insert(&mut tx, &sql, row).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Empties `table`, past the append-only guards of the logs (a restore replaces them whole).
async fn delete_all(tx: &mut Tx, engine: Engine, table: &str) -> Result<(), sqlx::Error> {
    let guarded = matches!(table, "audit_log" | "request_log" | "mcp_log" | "user_log");
    match engine {
        Engine::Postgres if guarded => {
            sqlx::query(&format!("alter table {table} disable trigger user")).execute(&mut **tx).await?;
            sqlx::query(&format!("delete from {table}")).execute(&mut **tx).await?;
            sqlx::query(&format!("alter table {table} enable trigger user")).execute(&mut **tx).await?;
        }
        Engine::Sqlite if guarded => {
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
        _ => {
            sqlx::query(&format!("delete from {table}")).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// The insert of one row of `table`. On PostgreSQL each value is cast to its column's type,
/// since values arrive typed as the file holds them (a null as text, a count as bigint).
async fn insert_sql(tx: &mut Tx, engine: Engine, table: &str, columns: &[String]) -> Result<String, BackupError> {
    let types: Vec<(String, String)> = match engine {
        Engine::Postgres => {
            sqlx::query_as(
                "select column_name::text, data_type::text from information_schema.columns where table_name = $1",
            )
            .bind(table)
            .fetch_all(&mut **tx)
            .await?
        }
        Engine::Sqlite => Vec::new(),
    };
    let mut marks = Vec::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        let cast = match engine {
            Engine::Postgres => {
                let t = types.iter().find(|(n, _)| n == c).map(|(_, t)| t.as_str());
                format!("::{}", t.ok_or_else(|| content(format!("{table} has no column {c} here")))?)
            }
            Engine::Sqlite => String::new(),
        };
        marks.push(format!("${}{cast}", i + 1));
    }
    Ok(format!("insert into {table} ({}) values ({})", columns.join(", "), marks.join(", ")))
}

async fn insert(tx: &mut Tx, sql: &str, row: &[Value]) -> Result<(), BackupError> {
    let mut q = sqlx::query(sql);
    for v in row {
        q = match v {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(i64::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => q.bind(i),
                None => q.bind(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => q.bind(s.clone()),
            Value::Object(o) => {
                let b64 =
                    o.get("b64").and_then(Value::as_str).ok_or_else(|| content("an object value is not bytes"))?;
                q.bind(STANDARD.decode(b64).map_err(|_| content("bytes are not base64"))?)
            }
            Value::Array(_) => return Err(content("a value is a list")),
        };
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
