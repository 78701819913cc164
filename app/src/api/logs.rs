//! Server functions for Admin → Logs: a page of each log, and the audit chain's verifier.
//! The CSV export is a plain link (`/admin/logs/{kind}/export.csv?…`, see the server's
//! `downloads`), so the browser streams it to disk.

use crate::domain::AppError;
use crate::domain::logs::{AuditRow, ChainReport, LogFilter, LogPage, McpRow, RefusedRow, RequestRow, UserLogRow};
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::door, crate::server::services::logs as svc};

/// A page of the audit log, newest first; `cursor` is the previous page's `next`.
#[server(prefix = "/rpc", endpoint = "logs_audit", protocol = WireProtocol)]
pub async fn audit_log_page(filter: LogFilter, cursor: Option<String>) -> Result<LogPage<AuditRow>, AppError> {
    door::respond(async { svc::audit_page(&door::caller()?, &filter, cursor.as_deref()).await }).await
}

/// A page of the request log (REST calls), newest first.
#[server(prefix = "/rpc", endpoint = "logs_requests", protocol = WireProtocol)]
pub async fn request_log_page(filter: LogFilter, cursor: Option<String>) -> Result<LogPage<RequestRow>, AppError> {
    door::respond(async { svc::request_page(&door::caller()?, &filter, cursor.as_deref()).await }).await
}

/// A page of the user log (sign-ins, sign-outs, denied actions), newest first.
#[server(prefix = "/rpc", endpoint = "logs_users", protocol = WireProtocol)]
pub async fn user_log_page(filter: LogFilter, cursor: Option<String>) -> Result<LogPage<UserLogRow>, AppError> {
    door::respond(async { svc::user_page(&door::caller()?, &filter, cursor.as_deref()).await }).await
}

/// A page of the MCP log (handshakes, tool calls, rejected requests), newest first.
#[server(prefix = "/rpc", endpoint = "logs_mcp", protocol = WireProtocol)]
pub async fn mcp_log_page(filter: LogFilter, cursor: Option<String>) -> Result<LogPage<McpRow>, AppError> {
    door::respond(async { svc::mcp_page(&door::caller()?, &filter, cursor.as_deref()).await }).await
}

/// Walks the whole audit chain: "intact, N entries" or the first broken entry and why.
#[server(prefix = "/rpc", endpoint = "logs_verify", protocol = WireProtocol)]
pub async fn verify_audit_chain() -> Result<ChainReport, AppError> {
    door::respond(async { svc::verify_chain(&door::caller()?).await }).await
}

/// The last day's calls refused past their address's rate and only counted.
#[server(prefix = "/rpc", endpoint = "logs_refused", protocol = WireProtocol)]
pub async fn refused_counts() -> Result<Vec<RefusedRow>, AppError> {
    door::respond(async { svc::refused_counts(&door::caller()?).await }).await
}
