//! The machine-call logs: `request_log` (one row per REST call) and `mcp_log` (one row per
//! MCP event), inserted together in batches, never changed.

use crate::domain::time::Micros;
use crate::server::db::{Db, Engine};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// One REST call as recorded: the path template, never the raw path or query string.
#[derive(Clone, Debug)]
pub struct Record {
    pub at: Micros,
    pub method: String,
    pub path: &'static str,
    pub resource_type: &'static str,
    pub status: u16,
    pub duration_us: i64,
    pub ip: Option<String>,
    pub access_key_id: Option<String>,
    pub public_resource: Option<String>,
    /// The request's id (see `server::request`).
    pub request_id: Option<String>,
}

/// One MCP event as recorded: what was asked and how it ended, never an argument's value.
#[derive(Clone, Debug)]
pub struct McpRecord {
    pub at: Micros,
    /// `handshake`, `tool_call`, `session_end` or `rejected`.
    pub event: &'static str,
    pub session_id: Option<String>,
    pub tool: Option<String>,
    pub vault_id: Option<String>,
    pub resource_type: &'static str,
    pub resource: Option<String>,
    pub status: u16,
    pub message: Option<String>,
    pub duration_us: i64,
    pub ip: Option<String>,
    pub access_key_id: Option<String>,
    pub public_resource: Option<String>,
    pub request_id: Option<String>,
}

/// A record of either log, as the writer takes them.
#[derive(Clone, Debug)]
pub enum Logged {
    Request(Record),
    Mcp(McpRecord),
}

impl Logged {
    pub fn at(&self) -> Micros {
        match self {
            Logged::Request(r) => r.at,
            Logged::Mcp(m) => m.at,
        }
    }

    pub fn ip(&self) -> Option<&str> {
        match self {
            Logged::Request(r) => r.ip.as_deref(),
            Logged::Mcp(m) => m.ip.as_deref(),
        }
    }

    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            Logged::Request(r) => r.access_key_id.as_deref(),
            Logged::Mcp(m) => m.access_key_id.as_deref(),
        }
    }

    pub fn public_resource(&self) -> Option<&str> {
        match self {
            Logged::Request(r) => r.public_resource.as_deref(),
            Logged::Mcp(m) => m.public_resource.as_deref(),
        }
    }

    /// Notes the resource whose public token the call used.
    pub fn set_public_resource(&mut self, id: Option<String>) {
        match self {
            Logged::Request(r) => r.public_resource = id,
            Logged::Mcp(m) => m.public_resource = id,
        }
    }
}

/// An MCP record as one element of the JSON array a batch is sent as.
#[derive(serde::Serialize)]
struct McpRow<'a> {
    id: String,
    at: Micros,
    event: &'a str,
    session_id: Option<&'a str>,
    tool: Option<&'a str>,
    vault_id: Option<&'a str>,
    resource_type: &'a str,
    resource: Option<&'a str>,
    status: u16,
    message: Option<&'a str>,
    duration_us: i64,
    ip: Option<&'a str>,
    access_key_id: Option<&'a str>,
    public_resource: Option<&'a str>,
    request_id: Option<&'a str>,
}

impl<'a> From<&'a McpRecord> for McpRow<'a> {
    fn from(m: &'a McpRecord) -> Self {
        McpRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: m.at,
            event: m.event,
            session_id: m.session_id.as_deref(),
            tool: m.tool.as_deref(),
            vault_id: m.vault_id.as_deref(),
            resource_type: m.resource_type,
            resource: m.resource.as_deref(),
            status: m.status,
            message: m.message.as_deref(),
            duration_us: m.duration_us,
            ip: m.ip.as_deref(),
            access_key_id: m.access_key_id.as_deref(),
            public_resource: m.public_resource.as_deref(),
            request_id: m.request_id.as_deref(),
        }
    }
}

/// A record as one element of the JSON array a batch is sent as.
#[derive(serde::Serialize)]
struct Row<'a> {
    id: String,
    at: Micros,
    method: &'a str,
    path: &'a str,
    resource_type: &'a str,
    status: u16,
    duration_us: i64,
    ip: Option<&'a str>,
    access_key_id: Option<&'a str>,
    public_resource: Option<&'a str>,
    request_id: Option<&'a str>,
}

impl<'a> From<&'a Record> for Row<'a> {
    fn from(r: &'a Record) -> Self {
        Row {
            id: uuid::Uuid::now_v7().to_string(),
            at: r.at,
            method: &r.method,
            path: r.path,
            resource_type: r.resource_type,
            status: r.status,
            duration_us: r.duration_us,
            ip: r.ip.as_deref(),
            access_key_id: r.access_key_id.as_deref(),
            public_resource: r.public_resource.as_deref(),
            request_id: r.request_id.as_deref(),
        }
    }
}

/// A query being built for the SQLite batch script.
type Binding<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl<'a> Row<'a> {
    /// Binds the row's values in [`REQUEST_COLUMNS`] order.
    fn bind<'q>(&'q self, q: Binding<'q>) -> Binding<'q> {
        q.bind(self.id.as_str())
            .bind(self.at)
            .bind(self.method)
            .bind(self.path)
            .bind(self.resource_type)
            .bind(i64::from(self.status))
            .bind(self.duration_us)
            .bind(self.ip)
            .bind(self.access_key_id)
            .bind(self.public_resource)
            .bind(self.request_id)
    }
}

impl<'a> McpRow<'a> {
    /// Binds the row's values in [`MCP_COLUMNS`] order.
    fn bind<'q>(&'q self, q: Binding<'q>) -> Binding<'q> {
        q.bind(self.id.as_str())
            .bind(self.at)
            .bind(self.event)
            .bind(self.session_id)
            .bind(self.tool)
            .bind(self.vault_id)
            .bind(self.resource_type)
            .bind(self.resource)
            .bind(i64::from(self.status))
            .bind(self.message)
            .bind(self.duration_us)
            .bind(self.ip)
            .bind(self.access_key_id)
            .bind(self.public_resource)
            .bind(self.request_id)
    }
}

/// How far `last_used_at` may lag behind a key's newest use. A key that reads a thousand
/// times a second would otherwise rewrite its row in every batch: a page more in each commit
/// on SQLite, a new row version and its WAL record on PostgreSQL. The request log keeps every
/// use's exact time; "last used" is for people, who read it to the minute.
pub const LAST_USE_RESOLUTION: Micros = 1_000_000;

/// An access key's newest use in a batch, and the time before which its stored last use is
/// stale enough to move (see [`LAST_USE_RESOLUTION`]).
#[derive(serde::Serialize)]
struct Use<'a> {
    id: &'a str,
    at: Micros,
    stale_before: Micros,
}

/// Columns of `request_log` as a batch binds them, in order.
const REQUEST_COLUMNS: [&str; 11] = [
    "id",
    "at",
    "method",
    "path",
    "resource_type",
    "status",
    "duration_us",
    "ip",
    "access_key_id",
    "public_resource",
    "request_id",
];

/// Columns of `mcp_log` as a batch binds them, in order.
const MCP_COLUMNS: [&str; 15] = [
    "id",
    "at",
    "event",
    "session_id",
    "tool",
    "vault_id",
    "resource_type",
    "resource",
    "status",
    "message",
    "duration_us",
    "ip",
    "access_key_id",
    "public_resource",
    "request_id",
];

/// SQLite: the batch and the keys' `last_used_at` in one transaction, sent as one script so
/// the writer thread gets one job per batch, not one per statement. Rows are bound as plain
/// `values`: SQLite reads each argument as it is, where a JSON batch made it parse every
/// record's object once per field (a tenth of a machine read's time under load). The
/// placeholders are anonymous (`?`, bound in order): sqlx looks up each numbered one's name
/// by a scan of the statement's list of names, which made a batch of n values cost n² steps
/// (6% of the server's time under load). The text depends only on the batch's shape, so sqlx
/// keeps the few shapes that recur prepared.
fn sqlite_script(requests: usize, mcp: usize, keys: usize) -> String {
    let mut sql = String::with_capacity(128 + 24 * (requests + mcp) * MCP_COLUMNS.len() + 120 * keys);
    let values = |sql: &mut String, rows: usize, columns: usize| {
        for row in 0..rows {
            sql.push_str(if row == 0 { " values (" } else { ", (" });
            for column in 0..columns {
                sql.push_str(if column == 0 { "?" } else { ",?" });
            }
            sql.push(')');
        }
        sql.push_str(";\n");
    };
    sql.push_str("begin immediate;\n");
    if requests > 0 {
        sql.push_str(&format!("insert into request_log ({})", REQUEST_COLUMNS.join(", ")));
        values(&mut sql, requests, REQUEST_COLUMNS.len());
    }
    if mcp > 0 {
        sql.push_str(&format!("insert into mcp_log ({})", MCP_COLUMNS.join(", ")));
        values(&mut sql, mcp, MCP_COLUMNS.len());
    }
    for _ in 0..keys {
        // Bound as (at, id, stale_before): see `sqlite_append`.
        sql.push_str(
            "update access_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at <= ?);\n",
        );
    }
    sql.push_str("commit;");
    sql
}

/// PostgreSQL: the same as one statement (a data-modifying `with`).
const POSTGRES_APPEND: &str = "with appended as (
    insert into request_log (id, at, method, path, resource_type, status, duration_us, ip, access_key_id, public_resource,
                             request_id)
    select id, at, method, path, resource_type, status, duration_us, ip, access_key_id, public_resource, request_id
    from json_to_recordset($1::json) as r(id text, at bigint, method text, path text, resource_type text,
        status bigint, duration_us bigint, ip text, access_key_id text, public_resource text, request_id text)
), mcp as (
    insert into mcp_log (id, at, event, session_id, tool, vault_id, resource_type, resource, status, message,
                         duration_us, ip, access_key_id, public_resource, request_id)
    select id, at, event, session_id, tool, vault_id, resource_type, resource, status, message, duration_us, ip,
           access_key_id, public_resource, request_id
    from json_to_recordset($3::json) as r(id text, at bigint, event text, session_id text, tool text, vault_id text,
        resource_type text, resource text, status bigint, message text, duration_us bigint, ip text,
        access_key_id text, public_resource text, request_id text)
)
update access_keys set last_used_at = u.at
    from json_to_recordset($2::json) as u(id text, at bigint, stale_before bigint)
    where access_keys.id = u.id and (access_keys.last_used_at is null or access_keys.last_used_at <= u.stale_before)";

/// Where the log's batches are written: on SQLite the one writer connection every write
/// shares; on PostgreSQL a connection of the log's own, taken out of the pool for good.
pub struct Writer {
    db: Db,
    /// PostgreSQL only: the log's connection, opened at the first batch and again after a
    /// failed one (which may have broken it).
    own: Option<AnyConnection>,
}

/// A pool connection the log keeps for itself, with any transaction a cancelled `begin` may
/// have left open on it rolled back (quietly: without one, `rollback` only warns). Nothing but
/// the log's statements ever runs on it and the writer is never cancelled, so each statement
/// commits on its own: one round trip per batch instead of three for `begin`, the statement
/// and `commit`.
async fn own_connection(db: &Db) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = db.write_pool().acquire().await?.detach();
    sqlx::Executor::execute(&mut conn, "set client_min_messages = error; rollback; reset client_min_messages").await?;
    Ok(conn)
}

impl Writer {
    pub fn new(db: Db) -> Self {
        Writer { db, own: None }
    }

    /// Appends `records` (of both logs) and moves each access key's `last_used_at` to its
    /// newest use among them when that is at least [`LAST_USE_RESOLUTION`] later (never back:
    /// batches from several nodes may arrive late), all or nothing, in one round trip. Ids are
    /// time-ordered, so the tables' key indexes grow at their end.
    pub async fn append(&mut self, records: &[Logged]) -> Result<(), sqlx::Error> {
        if self.db.engine() == Engine::Sqlite {
            return sqlite_append(&self.db, records).await;
        }
        let mut conn = match self.own.take() {
            Some(conn) => conn,
            None => own_connection(&self.db).await?,
        };
        let done = postgres_append(&mut conn, records).await;
        if done.is_ok() {
            self.own = Some(conn);
        }
        done
    }
}

/// The batch's records by log, and each access key's newest use among them.
fn split(records: &[Logged]) -> (Vec<Row<'_>>, Vec<McpRow<'_>>, Vec<Use<'_>>) {
    let requests: Vec<Row> = records
        .iter()
        .filter_map(|l| match l {
            Logged::Request(r) => Some(Row::from(r)),
            Logged::Mcp(_) => None,
        })
        .collect();
    let mcp: Vec<McpRow> = records
        .iter()
        .filter_map(|l| match l {
            Logged::Mcp(m) => Some(McpRow::from(m)),
            Logged::Request(_) => None,
        })
        .collect();
    let mut newest: HashMap<&str, Micros> = HashMap::new();
    for r in records {
        if let Some(k) = r.access_key_id() {
            let at = newest.entry(k).or_insert(r.at());
            *at = (*at).max(r.at());
        }
    }
    // In key order, so two nodes updating the same keys take their row locks in the same order.
    let mut uses: Vec<Use> =
        newest.into_iter().map(|(id, at)| Use { id, at, stale_before: at - LAST_USE_RESOLUTION }).collect();
    uses.sort_unstable_by_key(|u| u.id);
    (requests, mcp, uses)
}

/// PostgreSQL: the batch as one statement, which commits on its own.
async fn postgres_append(conn: &mut AnyConnection, records: &[Logged]) -> Result<(), sqlx::Error> {
    let (requests, mcp, uses) = split(records);
    let json = |e| sqlx::Error::Encode(Box::new(e));
    let rows = serde_json::to_string(&requests).map_err(json)?;
    let uses = serde_json::to_string(&uses).map_err(json)?;
    let mcp = serde_json::to_string(&mcp).map_err(json)?;
    sqlx::query(POSTGRES_APPEND).bind(rows).bind(uses).bind(mcp).execute(&mut *conn).await.map(drop)
}

/// SQLite: the batch as one script on the writer connection (see [`sqlite_script`]).
async fn sqlite_append(db: &Db, records: &[Logged]) -> Result<(), sqlx::Error> {
    let (requests, mcp, uses) = split(records);
    let sql = sqlite_script(requests.len(), mcp.len(), uses.len());
    let mut query = sqlx::query(&sql);
    for r in &requests {
        query = r.bind(query);
    }
    for m in &mcp {
        query = m.bind(query);
    }
    for u in &uses {
        query = query.bind(u.at).bind(u.id).bind(u.stale_before);
    }
    let mut conn = db.write_pool().acquire().await?;
    let done = query.execute(&mut *conn).await;
    if done.is_err() {
        // The script stopped part-way; end its transaction so the connection is clean.
        let _ = sqlx::query("rollback").execute(&mut *conn).await;
    }
    done.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch script has one placeholder per value `sqlite_append` binds, all anonymous.
    #[test]
    fn script_has_a_placeholder_per_bound_value() {
        let sql = sqlite_script(2, 1, 2);
        let bound = 2 * REQUEST_COLUMNS.len() + MCP_COLUMNS.len() + 2 * 3;
        assert_eq!(sql.matches('?').count(), bound);
        assert!(!sql.contains('$'));
        assert!(sql.starts_with("begin immediate;") && sql.ends_with("commit;"));
        assert!(!sqlite_script(0, 0, 0).contains("insert"));
    }
}
