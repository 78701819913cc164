//! The MCP endpoint (`/mcp`, Streamable HTTP; SPEC §4): the third front door, beside the web
//! UI and the REST API. `rmcp` speaks the protocol and keeps the sessions; the guard in front
//! of it holds the rules `rmcp` alone does not:
//!
//! - every request but `initialize` must carry a live `Mcp-Session-Id` (400 without one, 404
//!   for an unknown, expired or ended one): `rmcp` would also run a tool for a request that
//!   carries the newer protocol's per-request `_meta` and no session at all;
//! - a browser's `Origin` must be the public URL's (DNS rebinding); agents send none;
//! - every refusal is a JSON-RPC error body with the HTTP status (`rmcp` answers plain text)
//!   and an MCP-log entry: malformed JSON, batches (removed in protocol 2025-06-18), bodies
//!   over the limit, missing or forged session ids;
//! - handshakes without a credential count against the address's rate like any anonymous call
//!   (see `flood`), and at most [`MAX_SESSIONS`] sessions are open at once, so a stranger
//!   cannot fill the log or the memory.
//!
//! Tool calls go to `tools`, which calls the same machine services as the REST API.

pub mod remote;
pub mod tools;

use app::domain::AppError;
use app::server::services::machine::{self, Call, Machine, McpCall, Presented};
use app::server::{AppState, Caller, RequestMeta};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{SessionManager, StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Where the endpoint is mounted.
pub const PATH: &str = "/mcp";
/// Largest JSON-RPC message accepted (a tool call is a few hundred bytes).
const BODY_LIMIT: usize = 64 * 1024;
/// Most sessions open at once on one node; past it a handshake is answered 503.
pub const MAX_SESSIONS: usize = 10_000;
/// The session header, as the protocol names it.
const SESSION_HEADER: &str = "mcp-session-id";

/// JSON-RPC error codes used here (the last one is the SDKs' "session not found").
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const SESSION_NOT_FOUND: i64 = -32001;
const SERVER_ERROR: i64 = -32000;

/// What the endpoint needs besides the state: the public URL's origin (for the `Origin`
/// check), how long an idle session lives, and the token that ends open streams at shutdown.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub origin: String,
    pub idle: Duration,
    pub shutdown: CancellationToken,
}

/// The guard's view: the state (for logging through the services) and the sessions.
#[derive(Clone)]
struct Gate {
    state: AppState,
    sessions: Arc<LocalSessionManager>,
    origin: Arc<str>,
}

/// The `/mcp` route, its guard in front.
pub fn router(state: AppState, endpoint: Endpoint) -> Router<AppState> {
    let sessions = Arc::new({
        let mut m = LocalSessionManager::default();
        m.session_config.keep_alive = Some(endpoint.idle);
        m
    });
    let config = StreamableHttpServerConfig::default()
        // Hosts vary behind proxies; the Origin check below stops DNS rebinding instead.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(BODY_LIMIT)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .with_cancellation_token(endpoint.shutdown);
    let for_sessions = state.clone();
    let service =
        StreamableHttpService::new(move || Ok(tools::SecrynMcp::local(for_sessions.clone())), sessions.clone(), config);
    let gate = Gate { state, sessions, origin: Arc::from(endpoint.origin) };
    Router::new().route_service(PATH, service).route_layer(from_fn_with_state(gate, guard))
}

/// A JSON-RPC error answer with `status`.
fn rpc_error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string()).into_response()
}

/// The caller of an MCP request as the services see it.
fn caller(state: &AppState, req_headers: &HeaderMap, meta: Option<&RequestMeta>) -> Machine {
    let presented = Presented::header(req_headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes));
    Caller::new(state.clone(), presented, meta.cloned().unwrap_or_default())
}

/// The session id a request names, as sent (checked against the live sessions elsewhere).
pub(super) fn session_of(headers: &HeaderMap) -> Option<String> {
    headers.get(SESSION_HEADER).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A refusal: logged as a `rejected` MCP event (or answered 429 when the address is past its
/// rate), then sent as a JSON-RPC error with the refusal's status.
async fn reject(caller: &Machine, session_id: Option<String>, id: Value, code: i64, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let message = error.message.clone();
    let event = McpCall { event: "rejected", session_id, ..McpCall::default() };
    match machine::answered(caller, Call::mcp(event, "none"), Err::<(), _>(error)).await {
        Err(e) if e.code.status() != status.as_u16() => {
            let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            rpc_error(status, id, SERVER_ERROR, &e.message)
        }
        _ => rpc_error(status, id, code, &message),
    }
}

fn bad_request(message: &str) -> AppError {
    AppError::new(app::domain::ErrorCode::BadRequest, message)
}

async fn guard(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let caller = caller(&gate.state, &parts.headers, parts.extensions.get::<RequestMeta>());
    let session_id = session_of(&parts.headers);
    if let Some(origin) = parts.headers.get(header::ORIGIN)
        && origin.as_bytes() != gate.origin.as_bytes()
    {
        let e = AppError::forbidden("This origin may not use the MCP endpoint.");
        return reject(&caller, session_id, Value::Null, INVALID_REQUEST, e).await;
    }
    let known = match session_id.as_deref() {
        Some(id) => gate.sessions.has_session(&Arc::from(id)).await.unwrap_or(false),
        None => false,
    };
    match parts.method {
        Method::POST => {
            let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
                Ok(b) => b,
                Err(_) => {
                    let e = AppError::new(app::domain::ErrorCode::PayloadTooLarge, "The message is too large.");
                    return reject(&caller, session_id, Value::Null, INVALID_REQUEST, e).await;
                }
            };
            post(&gate, caller, session_id, known, Request::from_parts(parts, Body::empty()), bytes, next).await
        }
        Method::DELETE if session_id.is_some() && !known => {
            let e = AppError::not_found("No such MCP session (it may have expired or ended).");
            reject(&caller, session_id, Value::Null, SESSION_NOT_FOUND, e).await
        }
        Method::DELETE => {
            let res = jsonrpc_errors(next.run(Request::from_parts(parts, body)).await).await;
            if res.status().is_success() {
                let event = McpCall { event: "session_end", session_id, ..McpCall::default() };
                let _ = machine::answered(&caller, Call::mcp(event, "none"), Ok(())).await;
            }
            res
        }
        _ => jsonrpc_errors(next.run(Request::from_parts(parts, body)).await).await,
    }
}

/// A POST: one JSON-RPC message (no batch), in a live session unless it opens one.
async fn post(
    gate: &Gate,
    caller: Machine,
    session_id: Option<String>,
    known: bool,
    head: Request,
    bytes: Bytes,
    next: Next,
) -> Response {
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return reject(&caller, session_id, Value::Null, PARSE_ERROR, bad_request("Parse error.")).await,
    };
    if message.is_array() {
        let e = bad_request("Batch requests are not supported; send one message per request.");
        return reject(&caller, session_id, Value::Null, INVALID_REQUEST, e).await;
    }
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let e = bad_request("Not a JSON-RPC 2.0 message.");
        return reject(&caller, session_id, id, INVALID_REQUEST, e).await;
    }
    let opens = message.get("method").and_then(Value::as_str) == Some("initialize");
    if !opens && session_id.is_none() {
        let e = bad_request("The Mcp-Session-Id header is required; start with initialize.");
        return reject(&caller, session_id, id, INVALID_REQUEST, e).await;
    }
    if !opens && !known {
        let e = AppError::not_found("No such MCP session (it may have expired or ended); initialize again.");
        return reject(&caller, session_id, id, SESSION_NOT_FOUND, e).await;
    }
    if opens && let Err(e) = machine::may_open(&caller) {
        let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
        return rpc_error(status, id, SERVER_ERROR, &e.message);
    }
    if opens && gate.sessions.sessions.read().await.len() >= MAX_SESSIONS {
        let e = AppError::unavailable("Too many MCP sessions are open; try again later.");
        return reject(&caller, session_id, id, SERVER_ERROR, e).await;
    }
    let (parts, _) = head.into_parts();
    let res = jsonrpc_errors(next.run(Request::from_parts(parts, Body::from(bytes))).await).await;
    if opens && res.status().is_success() {
        handshake(gate, &caller, session_of(res.headers()), id, res).await
    } else {
        res
    }
}

/// Records a new session's handshake; a handshake that cannot be recorded (or is past the
/// address's rate) ends the session it opened and is refused.
async fn handshake(gate: &Gate, caller: &Machine, session_id: Option<String>, id: Value, res: Response) -> Response {
    let event = McpCall { event: "handshake", session_id: session_id.clone(), ..McpCall::default() };
    match machine::answered(caller, Call::mcp(event, "none"), Ok(())).await {
        Ok(()) => res,
        Err(e) => {
            if let Some(s) = session_id {
                let _ = gate.sessions.close_session(&Arc::from(s.as_str())).await;
            }
            let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            rpc_error(status, id, SERVER_ERROR, &e.message)
        }
    }
}

/// `rmcp`'s own refusals (wrong `Accept`, a method other than GET/POST/DELETE…) are plain
/// text; they become JSON-RPC errors with the same status.
async fn jsonrpc_errors(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let text = axum::body::to_bytes(res.into_body(), 4096).await.unwrap_or_default();
    let message: String = String::from_utf8_lossy(&text).chars().take(200).collect();
    let mut out = rpc_error(status, Value::Null, INVALID_REQUEST, message.trim());
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}
