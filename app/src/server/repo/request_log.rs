//! The `request_log` table: one row per REST call, inserted in batches, never changed.

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
)
update access_keys set last_used_at = u.at
    from json_to_recordset($2::json) as u(id text, at bigint)
    where access_keys.id = u.id and (access_keys.last_used_at is null or access_keys.last_used_at < u.at)";

/// Appends `records` and moves each access key's `last_used_at` to its newest use among them
/// (never back: batches from several nodes may arrive late), all or nothing: one round trip
/// on SQLite, one statement in a transaction on PostgreSQL. Ids are time-ordered, so the
/// table's key index grows at its end.
pub async fn append(db: &Db, records: &[Record]) -> Result<(), sqlx::Error> {
    let rows: Vec<Row> = records
        .iter()
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
        if let Some(k) = r.access_key_id.as_deref() {
            let at = newest.entry(k).or_insert(r.at);
            *at = (*at).max(r.at);
        }
    }
    // In key order, so two nodes updating the same keys take their row locks in the same order.
    let mut uses: Vec<Use> = newest.into_iter().map(|(id, at)| Use { id, at }).collect();
    uses.sort_unstable_by_key(|u| u.id);
    let json = |e| sqlx::Error::Encode(Box::new(e));
    let (rows, uses) = (serde_json::to_string(&rows).map_err(json)?, serde_json::to_string(&uses).map_err(json)?);
    match db.engine() {
        Engine::Sqlite => {
            let mut conn = db.write_pool().acquire().await?;
            let done = sqlx::query(SQLITE_APPEND).bind(rows).bind(uses).execute(&mut *conn).await;
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
            sqlx::query(POSTGRES_APPEND).bind(rows).bind(uses).execute(&mut *tx).await?;
            tx.commit().await
        }
    }
}
