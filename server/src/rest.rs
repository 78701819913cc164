//! The REST API for machines under `/api` (SPEC §3). Handlers parse the request, call one
//! function of `services::machine` (which checks the key first and records the call before
//! anything leaves) and map the result. The edge (`http::edge`) refuses tokens in query
//! strings before any route runs and marks every answer `no-store`.

use app::domain::{AppError, ErrorCode};
use app::server::services::machine::{
    self, Call, Machine, Presented, SecretJson, SecretList, SecretRef, VaultAnswer, VaultJson, VaultRead,
};
use app::server::services::machine_keys::{self, CertJson, ExpiredJson, KeyJson, Pem};
use app::server::{AppState, Caller, RequestMeta};
use axum::Router;
use axum::extract::{Path, Query, Request};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::{Deserialize, Serialize};
use std::pin::Pin;

/// Path templates, as logged and as the OpenAPI document names them.
pub const VAULT_PATH: &str = "/api/v1/vaults/{vault_id}";
pub const SECRET_PATH: &str = "/api/v1/vaults/{vault_id}/secrets/{name}";
pub const KEYS_PATH: &str = "/api/v1/vaults/{vault_id}/keys";
pub const KEY_DOWNLOAD_PATH: &str = "/api/v1/vaults/{vault_id}/keys/{key_id}/download";
pub const PUBLIC_KEY_PATH: &str = "/api/v1/keys/{key_id}";
pub const CERTS_PATH: &str = "/api/v1/vaults/{vault_id}/certificates";
pub const CERT_DOWNLOAD_PATH: &str = "/api/v1/vaults/{vault_id}/certificates/{cert_id}/download";
pub const PUBLIC_CERT_PATH: &str = "/api/v1/certificates/{cert_id}";
const OPENAPI_PATH: &str = "/api/v1/openapi.json";
const DOCS_PATH: &str = "/api/docs";
const UNMATCHED: &str = "(no such path)";
const REFUSED: &str = "(token in query refused)";

/// The `/api` routes at their full paths, merged into the main router: one route lookup per
/// call and no prefix stripped (a nested router rebuilt every request's URI). Anything else
/// under `/api/` is answered here too, as JSON. Tokens in the query are refused before any of
/// these runs, by the edge ([`refuse_token_in_query`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(VAULT_PATH, get(read_vault).fallback(async |m: Doorway| m.not_allowed(VAULT_PATH, "vault").await))
        .route(SECRET_PATH, get(read_secret).fallback(async |m: Doorway| m.not_allowed(SECRET_PATH, "secret").await))
        .route(KEYS_PATH, get(list_keys).fallback(async |m: Doorway| m.not_allowed(KEYS_PATH, "key").await))
        .route(
            KEY_DOWNLOAD_PATH,
            get(download_key).fallback(async |m: Doorway| m.not_allowed(KEY_DOWNLOAD_PATH, "key").await),
        )
        .route(
            PUBLIC_KEY_PATH,
            get(public_key).fallback(async |m: Doorway| m.not_allowed(PUBLIC_KEY_PATH, "key").await),
        )
        .route(
            CERTS_PATH,
            get(list_certificates).fallback(async |m: Doorway| m.not_allowed(CERTS_PATH, "certificate").await),
        )
        .route(
            CERT_DOWNLOAD_PATH,
            get(download_certificate)
                .fallback(async |m: Doorway| m.not_allowed(CERT_DOWNLOAD_PATH, "certificate").await),
        )
        .route(
            PUBLIC_CERT_PATH,
            get(public_certificate).fallback(async |m: Doorway| m.not_allowed(PUBLIC_CERT_PATH, "certificate").await),
        )
        .route(OPENAPI_PATH, get(openapi_json))
        .route(DOCS_PATH, get(docs_page))
        .route(
            "/api/{*rest}",
            any(async |m: Doorway| {
                m.answer(UNMATCHED, "none", Err::<(), _>(AppError::not_found("No such API path."))).await
            }),
        )
}

/// Whether a path is the API's (everything [`router`] answers).
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A machine call as it arrives: its caller (state, presented key, request facts) and method.
struct Doorway {
    caller: Machine,
    method: Method,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Doorway
where
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = <AppState as axum::extract::FromRef<S>>::from_ref(state);
        Ok(Doorway::new(state, &parts.method, &parts.headers, &parts.extensions))
    }
}

impl Doorway {
    fn new(state: AppState, method: &Method, headers: &HeaderMap, extensions: &Extensions) -> Self {
        let meta = extensions.get::<RequestMeta>().cloned().unwrap_or_default();
        let presented = Presented::header(headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes));
        Doorway { caller: Caller::new(state, presented, meta), method: method.clone() }
    }

    fn call(&self, path: &'static str, resource_type: &'static str) -> Call {
        Call::new(self.method.as_str(), path, resource_type)
    }

    /// Records a call answered without a read and turns the outcome into the response.
    async fn answer<T: IntoResponse>(
        &self,
        path: &'static str,
        resource_type: &'static str,
        outcome: Result<T, AppError>,
    ) -> Response {
        respond(machine::answered(&self.caller, self.call(path, resource_type), outcome).await)
    }

    async fn not_allowed(self, path: &'static str, resource_type: &'static str) -> Response {
        let e = AppError::new(ErrorCode::MethodNotAllowed, "This path answers GET (and HEAD) only.");
        let mut res = self.answer(path, resource_type, Err::<(), _>(e)).await;
        if res.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
            res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        res
    }
}

/// A result as the response (errors through the one edge: `IntoResponse for AppError`).
fn respond<T: IntoResponse>(result: Result<T, AppError>) -> Response {
    result.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}

/// A JSON answer, written into a plain buffer: axum's `Json` starts at 128 bytes and writes
/// through `BufMut` a piece at a time, which cost a whole vault's answer (25 KB for a hundred
/// secrets) a tenth of its time in copies and calls.
fn json<T: Serialize>(result: Result<T, AppError>) -> Response {
    let value = match result {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut body = Vec::with_capacity(JSON_START);
    match serde_json::to_writer(&mut body, &value) {
        Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
        Err(e) => {
            // Only a `Serialize` that fails could get here; none of the answers has one.
            tracing::error!(error = %e, "an answer could not be written as JSON");
            AppError::internal().into_response()
        }
    }
}

/// Where a JSON answer's buffer starts: a secret's answer fits, a vault's doubles a few times.
const JSON_START: usize = 1024;

/// A PEM file, whatever the request's `Accept` says (clients send `application/json`).
fn pem_file(pem: Pem) -> Response {
    let mut res = pem.text.expose().to_owned().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file"));
    let safe: String = pem.file_name.chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

fn pem(result: Result<Pem, AppError>) -> Response {
    result.map_or_else(IntoResponse::into_response, pem_file)
}

/// Query parameter names that would carry a credential, as [`plain_name`] reduces them.
const TOKEN_NAMES: [&str; 9] =
    ["accesskey", "accesstoken", "apikey", "apitoken", "xapikey", "token", "key", "authorization", "bearer"];

/// A parameter name reduced to lower-case letters and digits, so `access_key`, `Access-Key`,
/// `access.key` and `access_key[]` all read `accesskey`.
fn plain_name(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Whether decoded text holds a Secryn token (`secryn_…`, in any case, anywhere in it).
fn holds_token(text: &str) -> bool {
    text.to_ascii_lowercase().contains("secryn_")
}

/// The value of one hex digit.
fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Decodes one name or value of a query as a form would (`+` is a space, `%XX` a byte; a `%`
/// without two hex digits stays as it is), as the server's own query parsing reads it. The
/// result is never longer than the input, which the HTTP layer already bounds.
fn form_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                if let [h, l, after @ ..] = tail
                    && let (Some(h), Some(l)) = (hex(*h), hex(*l))
                {
                    out.push((h << 4) | l);
                    rest = after;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the query carries a credential: a parameter named like one, or a name or value
/// holding a `secryn_` token, each compared after percent-decoding (so `access%5Fkey` and
/// `%73ecryn_…` count too). Tokens belong in the header only; `allowed` names the one
/// parameter a path may take a public token in (`code` on the public paths), whose value may
/// then be one public token and nothing else: an access key there is still refused.
fn token_in_query(query: Option<&str>, allowed: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = form_decode(raw_name);
            if allowed.is_some_and(|a| a == name) {
                let value = form_decode(raw_value).to_ascii_lowercase();
                return value.matches("secryn_").count() != usize::from(value.starts_with("secryn_pub_"));
            }
            TOKEN_NAMES.contains(&plain_name(&name).as_str())
                || holds_token(&name)
                || holds_token(&form_decode(raw_value))
        })
    })
}

/// For an API call that carries a token in its URL, its refusal (recorded like every call,
/// when awaited); `None` for every other call, which goes on to its route. Boxed: inline, its
/// state would make every API call's edge future larger, and every move of it a longer copy.
pub fn refuse_token_in_query(
    state: &AppState,
    req: &Request,
) -> Option<Pin<Box<dyn Future<Output = Response> + Send>>> {
    let allowed = is_public_path(req.uri().path()).then_some("code");
    if !token_in_query(req.uri().query(), allowed) {
        return None;
    }
    let e = AppError::unauthorized("Access keys are accepted in the Authorization header only, never in the URL.");
    let doorway = Doorway::new(state.clone(), req.method(), req.headers(), req.extensions());
    Some(Box::pin(async move { doorway.answer(REFUSED, "none", Err::<(), _>(e)).await }))
}

/// The two paths a public token opens (`/api/v1/keys/{id}`, `/api/v1/certificates/{id}`).
fn is_public_path(path: &str) -> bool {
    let mut parts = path.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("api"), Some("v1"), Some("keys" | "certificates"), Some(id), None) if !id.is_empty()
    )
}

/// Query parameters of a vault read; anything else is ignored.
#[derive(Debug, Default, Deserialize)]
struct VaultQuery {
    secrets: Option<String>,
    include: Option<String>,
    resource: Option<String>,
}

/// Reads a vault: every active secret with its value (or names only), or one resource.
#[utoipa::path(
    get,
    path = "/api/v1/vaults/{vault_id}",
    tag = "vaults",
    params(
        ("vault_id" = String, Path, description = "The vault's id (UUID)."),
        ("secrets" = Option<String>, Query, description = "`names`: secrets carry only `id` and `name`."),
        ("include" = Option<String>, Query, description = "`keys`, `certificates` or both, comma-separated: adds their metadata."),
        ("resource" = Option<String>, Query, description = "A resource id: answers that one secret instead of the vault."),
    ),
    responses(
        (status = 200, description = "The vault (or, with `resource`, one secret as `SecretJson`).", body = VaultJson),
        (status = 404, description = "No such vault or resource (also a malformed id).", body = ErrorBody),
        Refusals,
    ),
    security(("access_key" = [])),
)]
async fn read_vault(
    doorway: Doorway,
    Path(vault): Path<String>,
    query: Result<Query<VaultQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let call = doorway.call(VAULT_PATH, if q.resource.is_some() { "secret" } else { "vault" });
    let read = VaultRead {
        names_only: q.secrets.as_deref() == Some("names"),
        include: q.include.unwrap_or_default(),
        resource: q.resource,
    };
    match machine::read_vault(&doorway.caller, call, Some(&vault), read).await {
        Ok(VaultAnswer::Vault(v)) => json(Ok(v)),
        Ok(VaultAnswer::Secret(s)) => json(Ok(s)),
        Ok(VaultAnswer::Pem(p)) => pem_file(p),
        Err(e) => e.into_response(),
    }
}

/// Reads one active secret by name.
#[utoipa::path(
    get,
    path = "/api/v1/vaults/{vault_id}/secrets/{name}",
    tag = "secrets",
    params(
        ("vault_id" = String, Path, description = "The vault's id (UUID)."),
        ("name" = String, Path, description = "The secret's name (case-sensitive)."),
    ),
    responses(
        (status = 200, description = "The secret.", body = SecretJson),
        (status = 404, description = "No such secret, or it is disabled or not active yet.", body = ErrorBody),
        Refusals,
    ),
    security(("access_key" = [])),
)]
async fn read_secret(doorway: Doorway, Path((vault, name)): Path<(String, String)>) -> Response {
    let call = doorway.call(SECRET_PATH, "secret");
    json(machine::read_secret(&doorway.caller, call, Some(&vault), &name).await)
}

/// Lists a vault's keys (metadata only).
#[utoipa::path(
    get,
    path = "/api/v1/vaults/{vault_id}/keys",
    tag = "keys",
    params(("vault_id" = String, Path, description = "The vault's id (UUID).")),
    responses(
        (status = 200, description = "`{\"data\":[...]}`: every active key's metadata; an expired key appears as `{\"id\",\"message\":\"Resource expired\"}`; disabled and not-yet-active keys are left out.", body = KeyList),
        (status = 404, description = "No such vault.", body = ErrorBody),
        Refusals,
    ),
    security(("access_key" = [])),
)]
async fn list_keys(doorway: Doorway, Path(vault): Path<String>) -> Response {
    let call = doorway.call(KEYS_PATH, "key");
    json(machine_keys::list_keys(&doorway.caller, call, Some(&vault)).await)
}

/// Query parameters of a key download.
#[derive(Debug, Default, Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

/// Downloads a key's private key.
#[utoipa::path(
    get,
    path = "/api/v1/vaults/{vault_id}/keys/{key_id}/download",
    tag = "keys",
    params(
        ("vault_id" = String, Path, description = "The vault's id (UUID)."),
        ("key_id" = String, Path, description = "The key's id (UUID)."),
        ("format" = Option<String>, Query, description = "`pem` (default: PKCS#8) or `openssh` (keys whose output format is `openssh` or `both`)."),
    ),
    responses(
        (status = 200, description = "The private key.", content_type = "application/x-pem-file", body = String),
        (status = 403, description = "The access key belongs to another vault, or the key is not active yet.", body = ErrorBody),
        (status = 404, description = "No such key in this vault, or it is disabled.", body = ErrorBody),
        (status = 410, description = "The key is past its expiration.", body = ErrorBody),
        (status = 422, description = "A `format` this key is not offered in.", body = ErrorBody),
        Refusals,
    ),
    security(("access_key" = [])),
)]
async fn download_key(
    doorway: Doorway,
    Path((vault, key)): Path<(String, String)>,
    query: Result<Query<FormatQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let format = query.map(|Query(q)| q.format).unwrap_or_default();
    let call = doorway.call(KEY_DOWNLOAD_PATH, "key");
    pem(machine_keys::download_key(&doorway.caller, call, Some(&vault), &key, format.as_deref()).await)
}

/// Query parameters of a public fetch.
#[derive(Debug, Default, Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

/// Fetches a public key's public half with its public token.
#[utoipa::path(
    get,
    path = "/api/v1/keys/{key_id}",
    tag = "public",
    params(
        ("key_id" = String, Path, description = "The key's id (UUID)."),
        ("code" = Option<String>, Query, description = "The key's public token, when it is not sent as `Authorization: Bearer`."),
    ),
    responses(
        (status = 200, description = "The public key (`-----BEGIN PUBLIC KEY-----`); never a private key.", content_type = "application/x-pem-file", body = String),
        (status = 401, description = "No public token, or one that is malformed, revoked or for another resource.", body = ErrorBody),
        (status = 403, description = "The key is not active yet.", body = ErrorBody),
        (status = 404, description = "The key is disabled.", body = ErrorBody),
        (status = 410, description = "The key is past its expiration.", body = ErrorBody),
    ),
    security(("public_token" = [])),
)]
async fn public_key(
    doorway: Doorway,
    Path(key): Path<String>,
    query: Result<Query<CodeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let code = query.map(|Query(q)| q.code).unwrap_or_default();
    let call = doorway.call(PUBLIC_KEY_PATH, "key");
    pem(machine_keys::public_key(&doorway.caller, call, &key, code.as_deref()).await)
}

/// Lists a vault's certificates (metadata only).
#[utoipa::path(
    get,
    path = "/api/v1/vaults/{vault_id}/certificates",
    tag = "certificates",
    params(("vault_id" = String, Path, description = "The vault's id (UUID).")),
    responses(
        (status = 200, description = "`{\"data\":[...]}`: every active certificate's metadata; an expired one appears as `{\"id\",\"message\":\"Resource expired\"}`; disabled and not-yet-valid ones are left out.", body = CertList),
        (status = 404, description = "No such vault.", body = ErrorBody),
        Refusals,
    ),
    security(("access_key" = [])),
)]
async fn list_certificates(doorway: Doorway, Path(vault): Path<String>) -> Response {
    let call = doorway.call(CERTS_PATH, "certificate");
    json(machine_keys::list_certificates(&doorway.caller, call, Some(&vault)).await)
}

/// Downloads a certificate's PEM bundle.
#[utoipa::path(
    get,
    path = "/api/v1/vaults/{vault_id}/certificates/{cert_id}/download",
    tag = "certificates",
    params(
        ("vault_id" = String, Path, description = "The vault's id (UUID)."),
        ("cert_id" = String, Path, description = "The certificate's id (UUID)."),
    ),
    responses(
        (status = 200, description = "The chain (leaf first), then the private key (PKCS#8) if one is stored.", content_type = "application/x-pem-file", body = String),
        (status = 403, description = "The access key belongs to another vault, or the certificate is not valid yet.", body = ErrorBody),
        (status = 404, description = "No such certificate in this vault, or it is disabled.", body = ErrorBody),
        (status = 410, description = "The certificate is past its expiration.", body = ErrorBody),
        Refusals,
    ),
    security(("access_key" = [])),
)]
async fn download_certificate(doorway: Doorway, Path((vault, cert)): Path<(String, String)>) -> Response {
    let call = doorway.call(CERT_DOWNLOAD_PATH, "certificate");
    pem(machine_keys::download_certificate(&doorway.caller, call, Some(&vault), &cert).await)
}

/// Fetches a public certificate's chain with its public token.
#[utoipa::path(
    get,
    path = "/api/v1/certificates/{cert_id}",
    tag = "public",
    params(
        ("cert_id" = String, Path, description = "The certificate's id (UUID)."),
        ("code" = Option<String>, Query, description = "The certificate's public token, when it is not sent as `Authorization: Bearer`."),
    ),
    responses(
        (status = 200, description = "The chain (`-----BEGIN CERTIFICATE-----`, leaf first); never a private key.", content_type = "application/x-pem-file", body = String),
        (status = 401, description = "No public token, or one that is malformed, revoked or for another resource.", body = ErrorBody),
        (status = 403, description = "The certificate is not valid yet.", body = ErrorBody),
        (status = 404, description = "The certificate is disabled.", body = ErrorBody),
        (status = 410, description = "The certificate is past its expiration.", body = ErrorBody),
    ),
    security(("public_token" = [])),
)]
async fn public_certificate(
    doorway: Doorway,
    Path(cert): Path<String>,
    query: Result<Query<CodeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let code = query.map(|Query(q)| q.code).unwrap_or_default();
    let call = doorway.call(PUBLIC_CERT_PATH, "certificate");
    pem(machine_keys::public_certificate(&doorway.caller, call, &cert, code.as_deref()).await)
}

/// `{"data":[...]}` of certificate metadata (documentation only).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the body `DataList<Listed<CertJson>>` serialises to; never built itself.
struct CertList {
    /// Each item is a certificate's metadata, or `ExpiredJson` for an expired one.
    data: Vec<machine_keys::CertItem>,
}

/// `{"data":[...]}` of key metadata (documentation only).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the body `DataList<Listed<KeyJson>>` serialises to; never built itself.
struct KeyList {
    /// Each item is a key's metadata, or `ExpiredJson` for an expired key.
    data: Vec<machine_keys::KeyItem>,
}

/// The OpenAPI document as JSON, built once.
pub fn openapi() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(<ApiDoc as utoipa::OpenApi>::openapi()).unwrap_or_default())
}

async fn openapi_json(doorway: Doorway) -> Response {
    doorway.answer(OPENAPI_PATH, "none", Ok(axum::Json(openapi()))).await
}

async fn docs_page(doorway: Doorway) -> Response {
    doorway.answer(DOCS_PATH, "none", Ok(axum::response::Html(crate::api_docs::page(openapi())))).await
}

/// The refusals every API path shares (404 is described per path).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Describes responses for the document; never built itself.
enum Refusals {
    /// No token, a malformed or unknown one, or a revoked or expired access key.
    #[response(status = 401, headers(("WWW-Authenticate" = String, description = "Bearer")))]
    Unauthorized(ErrorBody),
    /// The access key belongs to another vault.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// A method other than GET or HEAD.
    #[response(status = 405)]
    MethodNotAllowed(ErrorBody),
    /// The request could not be recorded; nothing is served.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The error body of every failed call.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the body `IntoResponse for AppError` writes; never built itself.
pub struct ErrorBody {
    /// A machine-readable code such as `unauthorized` or `not_found`.
    error: String,
    /// One human sentence.
    message: String,
    /// The request's id (also in the `X-Request-Id` header): quote it when asking for help.
    request_id: String,
}

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("A vault access key (`secryn_ak_…`), in the Authorization header only.".into());
        components.add_security_scheme("access_key", SecurityScheme::Http(scheme));
        let mut public = Http::new(HttpAuthScheme::Bearer);
        public.description =
            Some("A key's or certificate's public token (`secryn_pub_…`), as Bearer or as `?code=`.".into());
        components.add_security_scheme("public_token", SecurityScheme::Http(public));
    }
}

/// The OpenAPI document, generated from the handlers above and the response types.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Secryn API", description = "Read a vault's secrets with a vault access key. Every call is recorded in the request log."),
    paths(read_vault, read_secret, list_keys, download_key, public_key, list_certificates, download_certificate, public_certificate),
    components(schemas(VaultJson, SecretJson, SecretList, SecretRef, KeyJson, KeyList, CertJson, CertList, ExpiredJson, ErrorBody)),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::{form_decode, token_in_query};

    #[test]
    fn tokens_in_queries_are_spotted() {
        assert!(token_in_query(Some("access_key=abc"), None));
        assert!(token_in_query(Some("secrets=names&Token=x"), None));
        assert!(token_in_query(Some("x=secryn_ak_abc"), None));
        assert!(!token_in_query(Some("secrets=names&include=keys"), None));
        assert!(!token_in_query(Some("resource=0191c0de-0000-7000-8000-000000000000&secrets=names"), None));
        assert!(!token_in_query(None, None));
        assert!(!token_in_query(Some(""), None));
    }

    #[test]
    fn tokens_in_queries_are_spotted_after_decoding() {
        for q in [
            "access%5Fkey=x",
            "ACCESS%5fKEY=x",
            "%61ccess_key=x",
            "access-key=x",
            "access+key=x",
            "access_key[]=x",
            "x-api-key=x",
            "x=%73ecryn_ak_abc",
            "x=%53ECRYN_ak_abc",
            "x=Bearer+secryn_ak_abc",
            "x=Bearer%20%73ecryn%5Fak_abc",
            "secryn_ak_abc",
            "%73ecryn_ak_abc=",
            "secrets=names&x=%73ecryn_ak_abc",
        ] {
            assert!(token_in_query(Some(q), None), "{q}");
        }
        // A `%` without two hex digits is kept as it is; nothing is decoded twice.
        assert!(!token_in_query(Some("x=%zz&y=%7&z=%"), None));
        assert!(!token_in_query(Some("x=%2573ecryn_ak_abc"), None));
        assert_eq!(form_decode("a%20b+c%2x%"), "a b c%2x%");
        assert_eq!(form_decode("%e2%82%ac%ff"), "€\u{fffd}");
    }

    #[test]
    fn one_name_per_path_may_carry_a_token() {
        assert!(super::is_public_path("/api/v1/keys/abc"));
        assert!(super::is_public_path("/api/v1/certificates/abc"));
        assert!(!super::is_public_path("/api/v1/certificates/"));
        assert!(!super::is_public_path("/v1/keys/abc"));
        assert!(!super::is_public_path("/api/v1/vaults/abc"));
        assert!(!super::is_public_path("/api/v1/keys/abc/download"));
        assert!(token_in_query(Some("code=secryn_ak_abc"), Some("code")), "an access key is refused even as code");
        assert!(token_in_query(Some("code=secryn_pub_abc+secryn_ak_x"), Some("code")));
        assert!(!token_in_query(Some("code=secryn_pub_abc"), Some("code")));
        assert!(!token_in_query(Some("c%6Fde=secryn_pub_abc"), Some("code")));
        assert!(token_in_query(Some("code=secryn_pub_abc&token=x"), Some("code")));
        assert!(token_in_query(Some("code=secryn_pub_abc"), None));
    }
}
