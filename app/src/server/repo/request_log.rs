//! The machine-call logs: `request_log` (one row per REST call) and `mcp_log` (one row per
//! MCP event), inserted together in batches, never changed.

use crate::domain::time::Micros;
use crate::server::db::{Db, Engine};
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

/// An access key's newest use in a batch.
#[derive(serde::Serialize)]
struct Use<'a> {
    id: &'a str,
    at: Micros,
}

/// SQLite: the batch and the keys' `last_used_at` in one transaction, sent as one script so
/// the writer hands its connection one job per batch, not one per statement.
///
/// On purpose, a batch of any size is two parameters (JSON arrays), not a `values` row per
/// record: the SQL text is constant (prepared once, cached) and no engine's bind limit applies.
const SQLITE_APPEND: &str = "begin immediate;
insert into request_log (id, at, method, path, resource_type, status, duration_us, ip, access_key_id, public_resource,
                         request_id)
    select value->>'id', value->>'at', value->>'method', value->>'path', value->>'resource_type', value->>'status',
           value->>'duration_us', value->>'ip', value->>'access_key_id', value->>'public_resource', value->>'request_id'
    from json_each($1);
insert into mcp_log (id, at, event, session_id, tool, vault_id, resource_type, resource, status, message, duration_us,
                     ip, access_key_id, public_resource, request_id)
    select value->>'id', value->>'at', value->>'event', value->>'session_id', value->>'tool', value->>'vault_id',
           value->>'resource_type', value->>'resource', value->>'status', value->>'message', value->>'duration_us',
           value->>'ip', value->>'access_key_id', value->>'public_resource', value->>'request_id'
    from json_each($3);
update access_keys set last_used_at = u.at
    from (select value->>'id' as id, value->>'at' as at from json_each($2)) as u
    where access_keys.id = u.id and (access_keys.last_used_at is null or access_keys.last_used_at < u.at);
commit;";

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
    from json_to_recordset($2::json) as u(id text, at bigint)
    where access_keys.id = u.id and (access_keys.last_used_at is null or access_keys.last_used_at < u.at)";

/// Appends `records` (of both logs) and moves each access key's `last_used_at` to its newest use among them
/// (never back: batches from several nodes may arrive late), all or nothing: one round trip
/// on SQLite, one statement in a transaction on PostgreSQL. Ids are time-ordered, so the
/// table's key index grows at its end.
pub async fn append(db: &Db, records: &[Logged]) -> Result<(), sqlx::Error> {
    let requests = records.iter().filter_map(|l| match l {
        Logged::Request(r) => Some(r),
        Logged::Mcp(_) => None,
    });
    let mcp: Vec<McpRow> = records
        .iter()
        .filter_map(|l| match l {
            Logged::Mcp(m) => Some(McpRow::from(m)),
            Logged::Request(_) => None,
        })
        .collect();
    let rows: Vec<Row> = requests
        .map(|r| Row {
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
    let mut uses: Vec<Use> = newest.into_iter().map(|(id, at)| Use { id, at }).collect();
    uses.sort_unstable_by_key(|u| u.id);
    let json = |e| sqlx::Error::Encode(Box::new(e));
    let rows = serde_json::to_string(&rows).map_err(json)?;
    let uses = serde_json::to_string(&uses).map_err(json)?;
    let mcp = serde_json::to_string(&mcp).map_err(json)?;
    match db.engine() {
        Engine::Sqlite => {
            let mut conn = db.write_pool().acquire().await?;
            let done = sqlx::query(SQLITE_APPEND).bind(rows).bind(uses).bind(mcp).execute(&mut *conn).await;
            if done.is_err() {
                // The script stopped part-way; end its transaction so the connection is clean.
                let _ = sqlx::query("rollback").execute(&mut *conn).await;
            }
            done.map(drop)
        }
        Engine::Postgres => {
            // Inside a transaction sqlx knows of: its commit also ends one a cancelled `begin`
            // may have left open on the connection, so the record is durable when we answer.
            let mut tx = db.begin().await?;
            sqlx::query(POSTGRES_APPEND).bind(rows).bind(uses).bind(mcp).execute(&mut *tx).await?;
            tx.commit().await
        }
    }
}
