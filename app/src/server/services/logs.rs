//! The logs for Admins: filtered pages newest first, CSV exports streamed a batch at a time,
//! and the audit chain's verifier. Reading a log is not audited (it would log itself without
//! end); exporting one and verifying the chain are.

use crate::domain::AppError;
use crate::domain::logs::{
    AuditRow, ChainReport, FILTER_MAX, LogFilter, LogKind, LogPage, McpRow, PAGE_SIZE, REFUSED_SHOWN, RefusedRow,
    RequestRow, UserLogRow,
};
use crate::domain::permission::{Action, Resource};
use crate::domain::time::rfc3339;
use crate::server::audit::{self, Change, Entry};
use crate::server::repo::logs::{self as repo, Pruned, TimeCursor};
use crate::server::services::{actor, require};
use crate::server::{AppState, Caller, csv};

/// Rows per query of an export: memory stays flat whatever the log's length.
const EXPORT_BATCH: usize = 1_000;

async fn admin(caller: &Caller) -> Result<(), AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "log").await
}

/// Refuses a filter that could not match anything sensible, before any query.
fn checked(f: &LogFilter) -> Result<(), AppError> {
    for (field, value) in f.pairs() {
        if value.chars().count() > FILTER_MAX {
            return Err(AppError::validation(field, format!("At most {FILTER_MAX} characters.")));
        }
    }
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from >= to
    {
        return Err(AppError::validation("to", "The end of the range must be after its start."));
    }
    Ok(())
}

fn bad_cursor() -> AppError {
    AppError::validation("cursor", "This page link is not valid; start from the first page.")
}

fn seq_cursor(cursor: Option<&str>) -> Result<Option<i64>, AppError> {
    cursor.map(|c| c.parse::<i64>().map_err(|_| bad_cursor())).transpose()
}

fn time_cursor(cursor: Option<&str>) -> Result<Option<TimeCursor>, AppError> {
    let Some(c) = cursor else { return Ok(None) };
    let (at, id) = c.split_once(':').ok_or_else(bad_cursor)?;
    Ok(Some((at.parse().map_err(|_| bad_cursor())?, id.to_owned())))
}

/// Cuts one extra row off `rows` (fetched as `limit + 1`) into the next page's cursor.
fn paged<T>(mut rows: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> LogPage<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    LogPage { rows, next }
}

fn audit_cursor(r: &AuditRow) -> String {
    r.seq.to_string()
}

fn request_cursor(r: &RequestRow) -> String {
    format!("{}:{}", r.at, r.id)
}

fn user_cursor(r: &UserLogRow) -> String {
    format!("{}:{}", r.at, r.id)
}

fn mcp_cursor(r: &McpRow) -> String {
    format!("{}:{}", r.at, r.id)
}

/// A page of the audit log.
pub async fn audit_page(caller: &Caller, f: &LogFilter, cursor: Option<&str>) -> Result<LogPage<AuditRow>, AppError> {
    admin(caller).await?;
    checked(f)?;
    let rows = repo::audit(&caller.state.db, f, seq_cursor(cursor)?, PAGE_SIZE + 1).await?;
    Ok(paged(rows, PAGE_SIZE, audit_cursor))
}

/// A page of the request log.
pub async fn request_page(
    caller: &Caller,
    f: &LogFilter,
    cursor: Option<&str>,
) -> Result<LogPage<RequestRow>, AppError> {
    admin(caller).await?;
    checked(f)?;
    let rows = repo::requests(&caller.state.db, f, time_cursor(cursor)?.as_ref(), PAGE_SIZE + 1).await?;
    Ok(paged(rows, PAGE_SIZE, request_cursor))
}

/// A page of the user log.
pub async fn user_page(caller: &Caller, f: &LogFilter, cursor: Option<&str>) -> Result<LogPage<UserLogRow>, AppError> {
    admin(caller).await?;
    checked(f)?;
    let rows = repo::users(&caller.state.db, f, time_cursor(cursor)?.as_ref(), PAGE_SIZE + 1).await?;
    Ok(paged(rows, PAGE_SIZE, user_cursor))
}

/// A page of the MCP log.
pub async fn mcp_page(caller: &Caller, f: &LogFilter, cursor: Option<&str>) -> Result<LogPage<McpRow>, AppError> {
    admin(caller).await?;
    checked(f)?;
    let rows = repo::mcp(&caller.state.db, f, time_cursor(cursor)?.as_ref(), PAGE_SIZE + 1).await?;
    Ok(paged(rows, PAGE_SIZE, mcp_cursor))
}

/// The last day's counts of calls refused past their address's rate (see `flood`), newest
/// first; at most a page.
pub async fn refused_counts(caller: &Caller) -> Result<Vec<RefusedRow>, AppError> {
    admin(caller).await?;
    let since = crate::server::clock::now() - REFUSED_SHOWN;
    Ok(crate::server::repo::refused::since(&caller.state.db, since, PAGE_SIZE as i64).await?)
}

/// Walks the whole audit chain (one walk at a time) and records that an Admin did (with the
/// outcome).
pub async fn verify_chain(caller: &Caller) -> Result<ChainReport, AppError> {
    admin(caller).await?;
    let _walk = caller.state.audit_key.claim_walk().ok_or_else(|| {
        AppError::conflict("The chain is being verified already. Try again when that check has finished.")
    })?;
    let report = ChainReport::from(audit::verify(&caller.state.db, &caller.state.audit_key).await?);
    let outcome = if report.broken.is_none() { "intact" } else { "broken" };
    let changes = vec![
        Change::values("outcome", None, Some(outcome)),
        Change::values("entries", None, Some(&report.checked.to_string())),
    ];
    let who = actor(caller);
    let e = Entry { changes, ..log_entry(caller, &who, "audit.verify", LogKind::Audit) };
    let mut tx = caller.state.db.begin().await?;
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    Ok(report)
}

fn log_entry<'a>(caller: &Caller, who: &'a audit::Actor, action: &'a str, kind: LogKind) -> Entry<'a> {
    Entry {
        actor: who,
        action,
        resource_type: "log",
        resource_id: Some(kind.as_str().to_owned()),
        resource_name: Some(format!("{} log", kind.label())),
        changes: Vec::new(),
        source_ip: caller.meta.ip.clone(),
    }
}

/// Rows deleted per statement when pruning: short transactions, however much is due.
const PRUNE_BATCH: i64 = 5_000;
/// Arbitrary constant naming the pruning job's advisory lock on PostgreSQL.
const PG_PRUNE_LOCK: i64 = 0x5ec7_9a0e;

/// Deletes request- and MCP-log rows (and refused-call counts) older than the retention setting, as of `now`. Several nodes on
/// one PostgreSQL take turns through an advisory lock: a node that finds it held skips the
/// run (the holder is doing the work). A run that deleted rows is recorded in the audit log
/// as a system event. Returns how many rows went.
pub async fn prune_request_log(state: &AppState, now: crate::domain::time::Micros) -> Result<u64, AppError> {
    let retention_days = state.knobs.get().log_retention_days;
    let cutoff = now - crate::server::clock::minutes(retention_days * 24 * 60);
    let mut total = 0;
    loop {
        let mut tx = state.db.begin().await?;
        if tx.backend_name() == "PostgreSQL" {
            let got: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock($1)")
                .bind(PG_PRUNE_LOCK)
                .fetch_one(&mut *tx)
                .await?;
            if !got {
                return Ok(total);
            }
        }
        let gone = repo::prune(&mut tx, Pruned::Requests, cutoff, PRUNE_BATCH).await?
            + repo::prune(&mut tx, Pruned::Mcp, cutoff, PRUNE_BATCH).await?;
        total += gone;
        if gone < PRUNE_BATCH as u64 {
            total += crate::server::repo::refused::prune(&mut tx, cutoff).await?;
            if total > 0 {
                let days = retention_days.to_string();
                let changes = vec![
                    Change::values("deleted", None, Some(&total.to_string())),
                    Change::values("retention_days", None, Some(&days)),
                ];
                let e = Entry {
                    actor: &audit::Actor::System,
                    action: "log.prune",
                    resource_type: "log",
                    resource_id: Some(LogKind::Requests.as_str().to_owned()),
                    resource_name: Some("Request and MCP logs".to_owned()),
                    changes,
                    source_ip: None,
                };
                audit::append(&mut tx, &state.audit_key, e).await?;
            }
            tx.commit().await?;
            return Ok(total);
        }
        tx.commit().await?;
    }
}

/// A CSV export under way: the file's name and its lines, fetched a batch at a time.
pub struct Export {
    pub file_name: String,
    state: AppState,
    kind: LogKind,
    filter: LogFilter,
    /// The next batch starts after this; `None` before the first.
    cursor: Option<String>,
    /// The head of the log when the export began: rows added later are not in the file.
    head: Option<String>,
    done: bool,
}

impl Export {
    /// The next piece of the file (the header first), or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<String>, AppError> {
        if self.done {
            return Ok(None);
        }
        let first = self.cursor.is_none();
        let after = self.cursor.clone().or_else(|| self.head.clone());
        let (mut out, next) = match self.kind {
            LogKind::Audit => {
                let rows =
                    repo::audit(&self.state.db, &self.filter, seq_cursor(after.as_deref())?, EXPORT_BATCH).await?;
                (rows.iter().map(audit_csv).collect::<String>(), rows.last().map(audit_cursor))
            }
            LogKind::Requests => {
                let c = time_cursor(after.as_deref())?;
                let rows = repo::requests(&self.state.db, &self.filter, c.as_ref(), EXPORT_BATCH).await?;
                (rows.iter().map(request_csv).collect(), rows.last().map(request_cursor))
            }
            LogKind::Users => {
                let c = time_cursor(after.as_deref())?;
                let rows = repo::users(&self.state.db, &self.filter, c.as_ref(), EXPORT_BATCH).await?;
                (rows.iter().map(user_csv).collect(), rows.last().map(user_cursor))
            }
            LogKind::Mcp => {
                let c = time_cursor(after.as_deref())?;
                let rows = repo::mcp(&self.state.db, &self.filter, c.as_ref(), EXPORT_BATCH).await?;
                (rows.iter().map(mcp_csv).collect(), rows.last().map(mcp_cursor))
            }
        };
        if first {
            out.insert_str(0, &csv::line(header(self.kind)));
        }
        self.done = next.is_none();
        self.cursor = next;
        Ok(Some(out).filter(|s| !s.is_empty()))
    }
}

/// Starts an export of `kind` filtered by `f`: checks, records the export in the audit log
/// (with its filter), and fixes the log's head so the file holds exactly the rows that
/// matched when it was asked for.
pub async fn export(caller: &Caller, kind: LogKind, f: LogFilter) -> Result<Export, AppError> {
    admin(caller).await?;
    checked(&f)?;
    let head = head_cursor(&caller.state, kind).await?;
    let who = actor(caller);
    let mut changes: Vec<Change> =
        f.pairs().into_iter().map(|(name, value)| Change::values(name, None, Some(&value))).collect();
    if changes.is_empty() {
        changes.push(Change::values("filter", None, Some("none")));
    }
    let e = Entry { changes, ..log_entry(caller, &who, "log.export", kind) };
    let mut tx = caller.state.db.begin().await?;
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    let stamp = chrono::DateTime::from_timestamp_micros(crate::server::clock::now()).unwrap_or_default();
    Ok(Export {
        file_name: format!("secryn-{}-log-{}.csv", kind.as_str(), stamp.format("%Y%m%dT%H%M%SZ")),
        state: caller.state.clone(),
        kind,
        filter: f,
        cursor: None,
        head,
        done: false,
    })
}

/// A cursor just past the newest row (so the first batch starts with it).
async fn head_cursor(state: &AppState, kind: LogKind) -> Result<Option<String>, AppError> {
    let everything = LogFilter::default();
    Ok(match kind {
        LogKind::Audit => repo::audit(&state.db, &everything, None, 1).await?.first().map(|r| (r.seq + 1).to_string()),
        LogKind::Requests => {
            repo::requests(&state.db, &everything, None, 1).await?.first().map(|r| format!("{}:", r.at + 1))
        }
        LogKind::Users => repo::users(&state.db, &everything, None, 1).await?.first().map(|r| format!("{}:", r.at + 1)),
        LogKind::Mcp => repo::mcp(&state.db, &everything, None, 1).await?.first().map(|r| format!("{}:", r.at + 1)),
    })
}

fn header(kind: LogKind) -> &'static [&'static str] {
    match kind {
        LogKind::Audit => &[
            "seq",
            "id",
            "time",
            "actor_type",
            "actor_id",
            "actor",
            "action",
            "resource_type",
            "resource_id",
            "resource_name",
            "changes",
            "source_ip",
            "request_id",
        ],
        LogKind::Requests => &[
            "id",
            "time",
            "method",
            "path",
            "resource_type",
            "status",
            "duration_us",
            "ip",
            "access_key_id",
            "public_resource",
            "request_id",
        ],
        LogKind::Users => &["id", "time", "user_id", "email", "event", "ip", "user_agent", "detail", "request_id"],
        LogKind::Mcp => &[
            "id",
            "time",
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
        ],
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

fn audit_csv(r: &AuditRow) -> String {
    let changes = serde_json::to_string(&r.changes).unwrap_or_default();
    csv::line(&[
        &r.seq.to_string(),
        &r.id,
        &rfc3339(r.at),
        &r.actor_type,
        opt(&r.actor_id),
        &r.actor_name,
        &r.action,
        &r.resource_type,
        opt(&r.resource_id),
        opt(&r.resource_name),
        &changes,
        opt(&r.source_ip),
        opt(&r.request_id),
    ])
}

fn request_csv(r: &RequestRow) -> String {
    csv::line(&[
        &r.id,
        &rfc3339(r.at),
        &r.method,
        &r.path,
        &r.resource_type,
        &r.status.to_string(),
        &r.duration_us.to_string(),
        opt(&r.ip),
        opt(&r.access_key_id),
        opt(&r.public_resource),
        opt(&r.request_id),
    ])
}

fn user_csv(r: &UserLogRow) -> String {
    csv::line(&[
        &r.id,
        &rfc3339(r.at),
        opt(&r.user_id),
        opt(&r.email),
        &r.event,
        opt(&r.ip),
        opt(&r.user_agent),
        opt(&r.detail),
        opt(&r.request_id),
    ])
}

fn mcp_csv(r: &McpRow) -> String {
    csv::line(&[
        &r.id,
        &rfc3339(r.at),
        &r.event,
        opt(&r.session_id),
        opt(&r.tool),
        opt(&r.vault_id),
        &r.resource_type,
        opt(&r.resource),
        &r.status.to_string(),
        opt(&r.message),
        &r.duration_us.to_string(),
        opt(&r.ip),
        opt(&r.access_key_id),
        opt(&r.public_resource),
        opt(&r.request_id),
    ])
}
