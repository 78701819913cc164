//! The HTTP surface: routes (pages, server functions, the REST API, health) and their
//! middleware — the edge every request passes (id, span, request facts, security headers),
//! then, on people's side only, the CSRF check, session lookup and the page gate that sends
//! people to setup or sign-in.

use app::api::door::session_cookie_name;
use app::domain::{AppError, ErrorCode};
use app::server::request;
use app::server::services::{auth, setup};
use app::server::{AppState, RequestMeta, SessionCtx, Shared};
use app::ui::split::hash_of;
use app::ui::{CspNonce, is_link_page};
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use rand::RngCore;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tracing::Instrument as _;

/// Largest request body accepted by server functions.
const BODY_LIMIT: usize = 256 * 1024;

/// The server functions that take a whole backup file.
const BACKUP_UPLOADS: [&str; 2] = ["/rpc/backup_check", "/rpc/backup_restore"];

/// Builds the whole application router.
pub fn router(state: AppState, https: bool, mcp: crate::mcp::Endpoint) -> Router {
    let state = AppState::new(Shared { leptos_options: Arc::new(pin_site(&state.leptos_options)), ..(*state).clone() });
    let routes = generate_route_list(App);
    let options = (*state.leptos_options).clone();
    // People's side: pages, server functions, downloads and MCP (sessions, the CSRF check,
    // the body limit, the page gate). The REST API and the health checks skip those layers:
    // they carry no cookie and no body, and a machine read is the hottest path there is.
    let people = Router::new()
        .merge(crate::downloads::routes())
        .merge(crate::mcp::router(state.clone(), mcp))
        .leptos_routes_with_context(&state, routes, || {}, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn(rpc_error_status))
        .layer(from_fn_with_state(state.clone(), page_gate))
        .layer(from_fn_with_state(state.clone(), session))
        .layer(from_fn(csrf))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::rest::router())
        .merge(people)
        .layer(from_fn_with_state(Edge { state: state.clone(), https }, edge))
        .with_state(state)
}

/// Process is up.
async fn healthz() -> Response {
    json(StatusCode::OK, r#"{"status":"ok"}"#)
}

/// Database is reachable.
/// Ready when the database answers and this node holds every master key still in use (a
/// node started before another one began wrapping with a newer key is taken out of rotation
/// by its load balancer instead of failing those vaults' requests).
async fn readyz(State(state): State<AppState>) -> Response {
    if !state.db.ping().await {
        return json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"unavailable","database":"unreachable"}"#);
    }
    match app::server::services::master_keys::missing(&state.db, &state.master).await {
        Ok(missing) if missing.is_empty() => json(StatusCode::OK, r#"{"status":"ready","database":"ok"}"#),
        Ok(missing) => {
            let body =
                serde_json::json!({ "status": "unavailable", "database": "ok", "missing_master_key_ids": missing });
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")],
                body.to_string(),
            )
                .into_response()
        }
        Err(_) => json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"unavailable","database":"unreachable"}"#),
    }
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// Name of the bundle's files (`LEPTOS_OUTPUT_NAME`): `pkg/secryn.<hash>.wasm` and so on.
const OUTPUT_NAME: &str = "secryn";

/// The hash file of the site this process serves (set by [`pin_site`]).
static HASH_FILE: OnceLock<PathBuf> = OnceLock::new();

/// Serves the build that `site_root` (the `target/site` link) names when the server starts:
/// scripts/build.sh swaps the link to a new folder and keeps the previous one, so a server
/// started before a rebuild keeps pages and assets of one build. With a `hash.txt` there,
/// pages name content-hashed assets. The hash file's path is absolute: Leptos joins it to
/// the binary's folder, which an absolute path replaces.
fn pin_site(options: &LeptosOptions) -> LeptosOptions {
    let mut pinned = options.clone();
    if let Ok(root) = std::fs::canonicalize(&*options.site_root) {
        let hash_file = root.join("hash.txt");
        pinned.hash_files = hash_file.is_file();
        pinned.hash_file = hash_file.to_string_lossy().into();
        pinned.site_root = root.to_string_lossy().into();
        let _ = HASH_FILE.set(hash_file);
    }
    pinned
}

/// The stylesheet's URL for pages Leptos does not render (API docs, the gone page): the
/// hashed name when the site has one, else the plain name.
pub fn stylesheet_href() -> String {
    let hashes = HASH_FILE.get().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    match hash_of(&hashes, "css") {
        Some(h) if is_content_hash(h) => format!("/pkg/{OUTPUT_NAME}.{h}.css"),
        _ => format!("/pkg/{OUTPUT_NAME}.css"),
    }
}

/// What scripts/build.sh puts in a file name: 16 lowercase hex digits of its SHA-256.
fn is_content_hash(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Files served from the site folder (the bundle and `public/`).
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/") || matches!(path, "/favicon.svg" | "/favicon.ico" | "/robots.txt" | "/forms.js")
}

/// Paths that are assets or machine endpoints rather than pages.
fn is_page(path: &str) -> bool {
    !(is_static(path)
        || path.starts_with("/rpc/")
        || crate::rest::is_api_path(path)
        || matches!(path, "/healthz" | "/readyz" | crate::mcp::PATH))
}

/// Cache policy of a static file. A bundle file named `<stem>.<hash>.<ext>` (the frame, the
/// parts and packs of each area and their loader carry the build id, the stylesheet its
/// content hash)
/// never changes content, so browsers keep it a year without asking; other names (favicon,
/// the unhashed aliases) are revalidated on each use; a missing file is never cached (it may
/// appear with the next build).
fn static_cache_control(path: &str, status: StatusCode) -> &'static str {
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return "no-store";
    }
    let hashed = path
        .strip_prefix("/pkg/")
        .and_then(|name| name.rsplit_once('.'))
        .and_then(|(rest, ext)| Some((rest.rsplit_once('.')?, ext)))
        .is_some_and(|((stem, hash), ext)| {
            !stem.is_empty() && is_content_hash(hash) && matches!(ext, "wasm" | "js" | "css" | "pack")
        });
    if hashed { "public, max-age=31536000, immutable" } else { "no-cache" }
}

/// A fresh CSP nonce from the thread's CSPRNG (seeded from the system, no system call per
/// request).
fn nonce() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The policy of everything that is not a page (the API, its documents, assets): the same
/// sources as pages, but no script may run, so no nonce is drawn for it.
const CSP_NO_SCRIPT: &str = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether a path is answered by a page or a server function, whose scripts need a nonce.
fn runs_scripts(path: &str) -> bool {
    is_page(path) || path.starts_with("/rpc/")
}

/// Sets the security headers on a response: the CSP (with the page's nonce, if it drew one),
/// framing, sniffing, referrer and permissions policies, HSTS behind HTTPS, and the cache
/// policy of pages (never stored) and assets (see [`static_cache_control`]).
fn secure(res: &mut Response, https: bool, nonce: Option<&str>, page: bool, asset: Option<&str>) {
    let status = res.status();
    let h = res.headers_mut();
    let csp = match nonce {
        Some(n) => HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(CSP_NO_SCRIPT)),
        None => HeaderValue::from_static(CSP_NO_SCRIPT),
    };
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    if page && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(path) = asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(static_cache_control(path, status)));
    }
}

/// A body declared larger than its path accepts, refused with 413 before anything reads it.
fn declared_too_large(req: &Request) -> bool {
    // A backup upload is streamed (never held whole) and bounded by the backup service.
    let limit = if BACKUP_UPLOADS.contains(&req.uri().path()) {
        app::server::services::backup::MAX_FILE
    } else {
        BODY_LIMIT as u64
    };
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    declared.is_some_and(|n| n > limit)
}

/// Server functions answer only to pages of this origin: a cross-site form or script is
/// refused before anything runs.
async fn csrf(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && (path.starts_with("/rpc/") || path.starts_with("/admin/")) && cross_site(req.headers()) {
        return AppError::forbidden("Cross-site requests are not accepted.").into_response();
    }
    next.run(req).await
}

fn accepts_html(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

fn cross_site(h: &HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), h.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) => origin.split("://").nth(1) != Some(host),
        (Some(_), None) => true,
        _ => false,
    }
}

fn session_token(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// What the edge layer needs: the state (trusted proxies) and whether the server is behind
/// HTTPS (HSTS).
#[derive(Clone)]
struct Edge {
    state: AppState,
    https: bool,
}

/// Every request's first and last step, in one layer: its id and span (see
/// `app::server::request`), the facts services record about it, a declared body too large
/// and an API call with a token in its URL refused before anything reads them, and the
/// security headers on the way out (with a CSP nonce only for pages and server functions;
/// API answers are never stored). A failure on our side gets a log line here,
/// in the span.
async fn edge(State(edge): State<Edge>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let proxies = &edge.state.settings.trusted_proxies;
    let trusted = peer.is_some_and(|p| proxies.trusts(p));
    let proxied = req.headers().get(request::HEADER).and_then(|v| v.to_str().ok());
    let id = request::id_for(proxied, trusted);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %app::server::tokens::redacted_path(req.uri().path()),
        user = tracing::field::Empty,
        access_key = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let path = req.uri().path();
    let api = crate::rest::is_api_path(path);
    let page = runs_scripts(path);
    let asset = is_static(path).then(|| path.to_owned());
    let nonce = page.then(nonce);
    if asset.is_none() {
        let meta = RequestMeta {
            ip: peer.map(|p| proxies.client(p, req.headers()).to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(256).collect()),
        };
        req.extensions_mut().insert(meta);
    }
    if let Some(n) = &nonce {
        req.extensions_mut().insert(CspNonce(n.clone()));
    }
    req.extensions_mut().insert(request::RequestId(Arc::from(id.as_str())));
    let mut res = if declared_too_large(&req) {
        AppError::new(ErrorCode::PayloadTooLarge, "The request body is too large.").into_response()
    } else {
        let refusal = if api { crate::rest::refuse_token_in_query(&edge.state, &req) } else { None };
        let answer = async move {
            match refusal {
                Some(refusal) => refusal.await,
                None => next.run(req).await,
            }
        };
        request::scope(&id, answer.instrument(span.clone())).await
    };
    let status = res.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms, "request failed");
        } else if status >= 400 {
            tracing::debug!(status, ms, "request refused");
        }
    });
    secure(&mut res, edge.https, nonce.as_deref(), page, asset.as_deref());
    if api {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(request::HEADER, v);
    }
    res
}

/// Attaches the signed-in session, if any (people's side only).
async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/pkg/") {
        return next.run(req).await;
    }
    if let Some(token) = session_token(req.headers(), session_cookie_name(state.settings.secure_cookies)) {
        match auth::resolve(&state, &token).await {
            Ok(Some(ctx)) => {
                tracing::Span::current().record("user", tracing::field::display(ctx.user.id));
                req.extensions_mut().insert::<SessionCtx>(ctx);
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

/// Set once per process: an instance never goes back to "not set up".
static SET_UP: AtomicBool = AtomicBool::new(false);

async fn is_set_up(state: &AppState) -> Result<bool, AppError> {
    if SET_UP.load(Ordering::Relaxed) {
        return Ok(true);
    }
    let done = setup::is_set_up(&state.db).await?;
    if done {
        SET_UP.store(true, Ordering::Relaxed);
    }
    Ok(done)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Before setup every page leads to `/setup`; afterwards `/setup` is gone and pages need a
/// session.
async fn page_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_page(req.uri().path()) || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let Ok(set_up) = is_set_up(&state).await else {
        return AppError::unavailable("The database is not answering.").into_response();
    };
    let signed_in = req.extensions().get::<SessionCtx>().is_some();
    match (set_up, path.as_str()) {
        (false, "/setup") => next.run(req).await,
        (false, _) => Redirect::to("/setup").into_response(),
        (true, "/setup") => gone_page(),
        (true, "/login") if signed_in => Redirect::to("/").into_response(),
        (true, "/login") => next.run(req).await,
        // Invitation and password-reset links work signed out (and signed in).
        (true, p) if is_link_page(p) => next.run(req).await,
        (true, _) if !signed_in => {
            let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let to =
                if target == "/" { "/login".to_owned() } else { format!("/login?next={}", percent_encode(target)) };
            Redirect::to(&to).into_response()
        }
        _ => next.run(req).await,
    }
}

/// `/setup` once the instance is set up: a plain 404 page. (Rendering the app here would
/// hydrate the setup wizard in the browser, which still sees `/setup` as its location.)
fn gone_page() -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
        <title>Not found · Secryn</title><link rel=\"stylesheet\" href=\"{}\"></head>\
        <body><main class=\"auth-page\" id=\"main\"><div class=\"auth-card\"><h1>Page not found</h1>\
        <p class=\"lead\">This instance is already set up.</p><p><a class=\"button\" href=\"/\">Go home</a></p>\
        </div></main></body></html>",
        stylesheet_href()
    );
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// Server functions report every error as 500; this gives each its real status from the
/// error's code (a malformed form is a 400, not a server fault). A plain form post (a browser
/// without JavaScript, `Accept: text/html`) is answered with a redirect instead — back to its
/// page with the error in the query, or on to where success leads — so it stays a 303 whatever
/// status the error carries. An answer encoded as JSON for a caller that did not ask for
/// postcard (`app::wire`) is labelled as JSON.
async fn rpc_error_status(req: Request, next: Next) -> Response {
    let rpc = req.uri().path().starts_with("/rpc/");
    let form_post = rpc && accepts_html(req.headers());
    let json = rpc && !app::wire::asks_for_wire(req.headers());
    let mut res = next.run(req).await;
    if form_post && res.headers().contains_key(header::LOCATION) {
        *res.status_mut() = StatusCode::SEE_OTHER;
        return res;
    }
    if json && res.headers().get(header::CONTENT_TYPE).is_some_and(|t| t == app::wire::WIRE_TYPE) {
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if !rpc || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::internal().into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::domain::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_detection() {
        let mut h = HeaderMap::new();
        assert!(!cross_site(&h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:3000"));
        assert!(!cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h));
    }

    #[test]
    fn cookie_and_paths() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; secryn_session=tok; b=2"));
        assert_eq!(session_token(&h, "secryn_session").as_deref(), Some("tok"));
        h.insert(header::COOKIE, HeaderValue::from_static("secryn_session=planted; __Host-secryn_session=mine"));
        assert_eq!(session_token(&h, "__Host-secryn_session").as_deref(), Some("mine"));
        assert!(is_page("/profile") && !is_page("/pkg/secryn.js") && !is_page("/rpc/login"));
        assert!(!is_page("/forms.js"), "the signed-out pages load it before setup too");
        assert_eq!(percent_encode("/a b?x=1&y"), "/a%20b%3Fx%3D1%26y");
        assert!(is_link_page("/invite/secryn_inv_x") && is_link_page("/reset/secryn_rst_x"));
        assert!(!is_link_page("/invite/") && !is_link_page("/invite/a/b") && !is_link_page("/invites"));
    }

    #[test]
    fn hashed_assets_are_immutable_others_revalidated() {
        let ok = StatusCode::OK;
        let year = "public, max-age=31536000, immutable";
        assert_eq!(static_cache_control("/pkg/secryn.0123456789abcdef.wasm", ok), year);
        assert_eq!(static_cache_control("/pkg/secryn.0123456789abcdef.css", StatusCode::NOT_MODIFIED), year);
        assert_eq!(static_cache_control("/pkg/chunk_7.0123456789abcdef.wasm", ok), year);
        assert_eq!(static_cache_control("/pkg/__wasm_split.0123456789abcdef.js", ok), year);
        assert_eq!(static_cache_control("/pkg/pack_vault_area_123.0123456789abcdef.pack", ok), year);
        assert_eq!(static_cache_control("/pkg/0123456789abcdef.js", ok), "no-cache");
        assert_eq!(static_cache_control("/pkg/__wasm_split_manifest.0123456789abcdef.json", ok), "no-cache");
        assert_eq!(static_cache_control("/pkg/secryn.wasm", ok), "no-cache");
        assert_eq!(static_cache_control("/pkg/secryn.0123456789ABCDEF.js", ok), "no-cache");
        assert_eq!(static_cache_control("/pkg/secryn.0123.js", ok), "no-cache");
        assert_eq!(static_cache_control("/favicon.svg", ok), "no-cache");
        assert_eq!(static_cache_control("/pkg/secryn.0123456789abcdef.js", StatusCode::NOT_FOUND), "no-store");
        assert!(is_static("/pkg/secryn.js") && is_static("/favicon.svg") && !is_static("/login"));
    }

    #[test]
    fn hash_file_lines() {
        let hashes = "js: 00000000000000aa\nwasm: 00000000000000bb\ncss: 00000000000000cc\n";
        assert_eq!(hash_of(hashes, "css"), Some("00000000000000cc"));
        assert_eq!(hash_of(hashes, "wasm"), Some("00000000000000bb"));
        assert_eq!(hash_of(hashes, "split"), None);
    }
}
