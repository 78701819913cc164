//! Reading the logs: one filtered, keyset-paged query per log, newest first. A page costs
//! an index walk from the cursor, never an offset, so page 20,000 is as quick as page 1.
//! Every user-given value is a bound parameter; text matches are lower-cased `like` with the
//! wildcards in the value escaped.

use crate::domain::logs::{AuditRow, FieldChange, LogFilter, McpRow, RequestRow, UserLogRow};
use crate::server::db::{Db, Tx};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A bound value.
enum Arg {
    Text(String),
    Int(i64),
}

/// The `where` clause under construction.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    /// The next placeholder (`$n`) for `arg`.
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    fn time_range(&mut self, f: &LogFilter) {
        if let Some(from) = f.from {
            let p = self.bind(Arg::Int(from));
            self.push(format!("at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = self.bind(Arg::Int(to));
            self.push(format!("at < {p}"));
        }
    }

    /// `lower(col) like '%value%'` over any of `columns`.
    fn contains(&mut self, columns: &[&str], value: &str) {
        let p = self.bind(Arg::Text(format!("%{}%", escape_like(&value.to_lowercase()))));
        let any: Vec<String> = columns.iter().map(|c| format!("lower({c}) like {p} escape '\\'")).collect();
        self.push(format!("({})", any.join(" or ")));
    }

    /// `lower(col) like 'value%'`.
    fn starts_with(&mut self, column: &str, value: &str) {
        let p = self.bind(Arg::Text(format!("{}%", escape_like(&value.to_lowercase()))));
        self.push(format!("lower({column}) like {p} escape '\\'"));
    }

    fn equals(&mut self, column: &str, value: &str) {
        let p = self.bind(Arg::Text(value.to_owned()));
        self.push(format!("{column} = {p}"));
    }

    /// `col = value` or a name containing it: ids are exact, names are searched.
    fn id_or_name(&mut self, id_col: &str, name_cols: &[&str], value: &str) {
        let exact = self.bind(Arg::Text(value.to_owned()));
        let like = self.bind(Arg::Text(format!("%{}%", escape_like(&value.to_lowercase()))));
        let names: Vec<String> = name_cols.iter().map(|c| format!("lower({c}) like {like} escape '\\'")).collect();
        self.push(format!("({id_col} = {exact} or {})", names.join(" or ")));
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" where {}", self.clauses.join(" and ")) }
    }

    async fn fetch(self, db: &Db, sql: String) -> Result<Vec<AnyRow>, sqlx::Error> {
        let mut q = sqlx::query(&sql);
        for arg in self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s),
                Arg::Int(i) => q.bind(i),
            };
        }
        q.fetch_all(db.reader()).await
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn given(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// Where a page of a log keyed by (time, id) starts: strictly older than this row.
pub type TimeCursor = (i64, String);

fn time_cursor(w: &mut Where, after: Option<&TimeCursor>) {
    if let Some((at, id)) = after {
        let (a, a2, i) = (w.bind(Arg::Int(*at)), w.bind(Arg::Int(*at)), w.bind(Arg::Text(id.clone())));
        w.push(format!("(at < {a} or (at = {a2} and id < {i}))"));
    }
}

/// Up to `limit` audit entries matching `f`, older than sequence number `before`.
pub async fn audit(db: &Db, f: &LogFilter, before: Option<i64>, limit: usize) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut w = Where::default();
    w.time_range(f);
    if let Some(seq) = before {
        let p = w.bind(Arg::Int(seq));
        w.push(format!("seq < {p}"));
    }
    if let Some(v) = given(&f.actor) {
        w.id_or_name("actor_id", &["actor_name"], v);
    }
    if let Some(v) = given(&f.action) {
        w.starts_with("action", v);
    }
    if let Some(v) = given(&f.resource_type) {
        w.equals("resource_type", v);
    }
    if let Some(v) = given(&f.resource) {
        w.id_or_name("resource_id", &["resource_name"], v);
    }
    if let Some(v) = given(&f.ip) {
        w.starts_with("source_ip", v);
    }
    if let Some(v) = given(&f.text) {
        w.contains(&["actor_name", "resource_name"], v);
    }
    let sql = format!(
        "select seq, id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id, resource_name, \
         changes, source_ip, request_id from audit_log{} order by seq desc limit {limit}",
        w.sql()
    );
    w.fetch(db, sql).await?.iter().map(audit_row).collect()
}

fn audit_row(r: &AnyRow) -> Result<AuditRow, sqlx::Error> {
    let changes: String = r.try_get(10)?;
    Ok(AuditRow {
        seq: r.try_get(0)?,
        id: r.try_get(1)?,
        at: r.try_get(2)?,
        actor_type: r.try_get(3)?,
        actor_id: r.try_get(4)?,
        actor_name: r.try_get(5)?,
        action: r.try_get(6)?,
        resource_type: r.try_get(7)?,
        resource_id: r.try_get(8)?,
        resource_name: r.try_get(9)?,
        changes: serde_json::from_str::<Vec<FieldChange>>(&changes).unwrap_or_default(),
        source_ip: r.try_get(11)?,
        request_id: r.try_get(12)?,
    })
}

/// Up to `limit` request-log records matching `f`, older than `after`.
pub async fn requests(
    db: &Db,
    f: &LogFilter,
    after: Option<&TimeCursor>,
    limit: usize,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let mut w = Where::default();
    w.time_range(f);
    time_cursor(&mut w, after);
    if let Some(v) = given(&f.actor) {
        w.starts_with("access_key_id", v);
    }
    if let Some(v) = given(&f.action) {
        status_filter(&mut w, v);
    }
    if let Some(v) = given(&f.resource_type) {
        w.equals("resource_type", v);
    }
    if let Some(v) = given(&f.resource) {
        w.id_or_name("public_resource", &["path"], v);
    }
    if let Some(v) = given(&f.ip) {
        w.starts_with("ip", v);
    }
    if let Some(v) = given(&f.text) {
        w.contains(&["path", "method"], v);
    }
    let sql = format!(
        "select id, at, method, path, resource_type, status, duration_us, ip, access_key_id, public_resource, \
         request_id from request_log{} order by at desc, id desc limit {limit}",
        w.sql()
    );
    w.fetch(db, sql).await?.iter().map(request_row).collect()
}

/// `404` is that status; `4` or `4xx` every status in that class; anything else matches none.
fn status_filter(w: &mut Where, v: &str) {
    let digits = v.trim_end_matches(['x', 'X']);
    match digits.parse::<i64>() {
        Ok(class @ 1..=5) if digits.len() == 1 => {
            let (lo, hi) = (w.bind(Arg::Int(class * 100)), w.bind(Arg::Int(class * 100 + 99)));
            w.push(format!("status between {lo} and {hi}"));
        }
        Ok(code) if digits.len() == 3 => {
            let p = w.bind(Arg::Int(code));
            w.push(format!("status = {p}"));
        }
        _ => w.push("1 = 0".to_owned()),
    }
}

fn request_row(r: &AnyRow) -> Result<RequestRow, sqlx::Error> {
    Ok(RequestRow {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        method: r.try_get(2)?,
        path: r.try_get(3)?,
        resource_type: r.try_get(4)?,
        status: r.try_get(5)?,
        duration_us: r.try_get(6)?,
        ip: r.try_get(7)?,
        access_key_id: r.try_get(8)?,
        public_resource: r.try_get(9)?,
        request_id: r.try_get(10)?,
    })
}

/// Up to `limit` user-log lines matching `f`, older than `after`.
pub async fn users(
    db: &Db,
    f: &LogFilter,
    after: Option<&TimeCursor>,
    limit: usize,
) -> Result<Vec<UserLogRow>, sqlx::Error> {
    let mut w = Where::default();
    w.time_range(f);
    time_cursor(&mut w, after);
    if let Some(v) = given(&f.actor) {
        w.id_or_name("user_id", &["email"], v);
    }
    if let Some(v) = given(&f.action) {
        w.starts_with("event", v);
    }
    if let Some(v) = given(&f.resource) {
        w.id_or_name("user_id", &["email"], v);
    }
    if let Some(v) = given(&f.ip) {
        w.starts_with("ip", v);
    }
    if let Some(v) = given(&f.text) {
        w.contains(&["email", "detail", "user_agent"], v);
    }
    let sql = format!(
        "select id, at, user_id, email, event, ip, user_agent, detail, request_id from user_log{} \
         order by at desc, id desc limit {limit}",
        w.sql()
    );
    w.fetch(db, sql).await?.iter().map(user_row).collect()
}

fn user_row(r: &AnyRow) -> Result<UserLogRow, sqlx::Error> {
    Ok(UserLogRow {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        user_id: r.try_get(2)?,
        email: r.try_get(3)?,
        event: r.try_get(4)?,
        ip: r.try_get(5)?,
        user_agent: r.try_get(6)?,
        detail: r.try_get(7)?,
        request_id: r.try_get(8)?,
    })
}

/// Up to `limit` MCP-log events matching `f`, older than `after`. The "action" filter takes
/// an event (`tool_call`) or a status (`401`, `4xx`).
pub async fn mcp(db: &Db, f: &LogFilter, after: Option<&TimeCursor>, limit: usize) -> Result<Vec<McpRow>, sqlx::Error> {
    let mut w = Where::default();
    w.time_range(f);
    time_cursor(&mut w, after);
    if let Some(v) = given(&f.actor) {
        w.starts_with("access_key_id", v);
    }
    if let Some(v) = given(&f.action) {
        if v.starts_with(|c: char| c.is_ascii_digit()) {
            status_filter(&mut w, v);
        } else {
            w.starts_with("event", v);
        }
    }
    if let Some(v) = given(&f.resource_type) {
        w.equals("resource_type", v);
    }
    if let Some(v) = given(&f.resource) {
        w.id_or_name("vault_id", &["resource", "public_resource"], v);
    }
    if let Some(v) = given(&f.ip) {
        w.starts_with("ip", v);
    }
    if let Some(v) = given(&f.text) {
        w.contains(&["tool", "resource", "session_id", "message"], v);
    }
    let sql = format!(
        "select id, at, event, session_id, tool, vault_id, resource_type, resource, status, message, duration_us, ip, \
         access_key_id, public_resource, request_id from mcp_log{} order by at desc, id desc limit {limit}",
        w.sql()
    );
    w.fetch(db, sql).await?.iter().map(mcp_row).collect()
}

fn mcp_row(r: &AnyRow) -> Result<McpRow, sqlx::Error> {
    Ok(McpRow {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        event: r.try_get(2)?,
        session_id: r.try_get(3)?,
        tool: r.try_get(4)?,
        vault_id: r.try_get(5)?,
        resource_type: r.try_get(6)?,
        resource: r.try_get(7)?,
        status: r.try_get(8)?,
        message: r.try_get(9)?,
        duration_us: r.try_get(10)?,
        ip: r.try_get(11)?,
        access_key_id: r.try_get(12)?,
        public_resource: r.try_get(13)?,
        request_id: r.try_get(14)?,
    })
}

/// The logs the retention job prunes.
#[derive(Clone, Copy, Debug)]
pub enum Pruned {
    Requests,
    Mcp,
}

/// Deletes up to `limit` rows of `log` older than `cutoff`; how many went.
pub async fn prune(tx: &mut Tx, log: Pruned, cutoff: i64, limit: i64) -> Result<u64, sqlx::Error> {
    let sql = match log {
        Pruned::Requests => "delete from request_log where id in (select id from request_log where at < $1 limit $2)",
        Pruned::Mcp => "delete from mcp_log where id in (select id from mcp_log where at < $1 limit $2)",
    };
    let done = sqlx::query(sql).bind(cutoff).bind(limit).execute(&mut **tx).await?;
    Ok(done.rows_affected())
}
