//! The MCP tools (SPEC §4): read a vault's secrets, keys and certificates. Each call parses its
//! arguments, then runs through a backend: the built-in endpoint calls the same machine
//! services as the REST API (same permission, activation, expiry and logging rules, the call
//! recorded in the MCP log before anything leaves); the stdio bridge forwards to a Secryn
//! instance's REST API (see `remote`). Results are structured content plus a text rendering;
//! a refusal the REST API would answer with a status (401, 403, 404, 410…) is a tool error
//! carrying that status, and malformed arguments are a JSON-RPC "invalid params" error.
//!
//! Credentials come with each call and are never kept: `Authorization: Bearer <access key>`
//! on the HTTP request, or the `vault` (alias `credentials`) argument with `vaultId` and
//! `accessKey`. Keys and certificates may be fetched with `preferPublic` and their public
//! token as `code`; secrets always need an access key.

use super::remote::Remote;
use app::domain::AppError;
use app::server::request::{self, RequestId};
use app::server::services::machine::{self, Call, McpCall, Presented, VaultAnswer, VaultRead};
use app::server::services::machine_keys::{self, Pem};
use app::server::{AppState, Caller, RequestMeta};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, CustomRequest, CustomResult, ErrorCode,
    Implementation, InitializeRequestParams, InitializeResult, JsonObject, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;

/// Credentials given in a call's arguments instead of (or beside) the `Authorization` header.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultCreds {
    /// The vault's id (UUID). May be left out when the access key is sent as `Authorization:
    /// Bearer`: the key's own vault is read.
    pub vault_id: Option<String>,
    /// An access key of that vault (`secryn_ak_…`), when it is not in the `Authorization`
    /// header.
    pub access_key: Option<String>,
    /// The Secryn API to call; used by the stdio bridge, ignored by the built-in endpoint.
    pub base_url: Option<String>,
}

/// `list_secrets`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListSecretsArgs {
    /// Also return every secret's value (each read is recorded). Default: names only.
    #[serde(default)]
    pub include_values: bool,
    /// Vault and access key, when not sent in the `Authorization` header (alias `credentials`).
    #[serde(default, alias = "credentials")]
    pub vault: Option<VaultCreds>,
}

/// `get_secret`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetSecretArgs {
    /// The secret's name (case-sensitive), as `list_secrets` shows it.
    pub name: String,
    /// Vault and access key, when not sent in the `Authorization` header (alias `credentials`).
    #[serde(default, alias = "credentials")]
    pub vault: Option<VaultCreds>,
}

/// `list_keys` and `list_certificates`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListArgs {
    /// Vault and access key, when not sent in the `Authorization` header (alias `credentials`).
    #[serde(default, alias = "credentials")]
    pub vault: Option<VaultCreds>,
}

/// `get_key`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetKeyArgs {
    /// The key's id (UUID), as `list_keys` shows it.
    pub key_id: String,
    /// `pem` (default) or `openssh` (keys whose output format allows it); with an access key only.
    pub format: Option<String>,
    /// Fetch only the public half with the key's public token in `code` (no access key needed).
    #[serde(default)]
    pub prefer_public: bool,
    /// The key's public token (`secryn_pub_…`), with `preferPublic`.
    pub code: Option<String>,
    /// Vault and access key, when not sent in the `Authorization` header (alias `credentials`).
    #[serde(default, alias = "credentials")]
    pub vault: Option<VaultCreds>,
}

/// `get_certificate`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetCertificateArgs {
    /// The certificate's id (UUID), as `list_certificates` shows it.
    pub certificate_id: String,
    /// Fetch only the chain with the certificate's public token in `code` (no access key needed).
    #[serde(default)]
    pub prefer_public: bool,
    /// The certificate's public token (`secryn_pub_…`), with `preferPublic`.
    pub code: Option<String>,
    /// Vault and access key, when not sent in the `Authorization` header (alias `credentials`).
    #[serde(default, alias = "credentials")]
    pub vault: Option<VaultCreds>,
}

/// A parsed tool call.
pub enum ToolCall {
    ListSecrets(ListSecretsArgs),
    GetSecret(GetSecretArgs),
    ListKeys(ListArgs),
    GetKey(GetKeyArgs),
    ListCertificates(ListArgs),
    GetCertificate(GetCertificateArgs),
}

/// Every tool: name, title, description and input schema, in the order `tools/list` shows.
fn catalogue() -> Vec<Tool> {
    fn tool<T: JsonSchema + 'static>(name: &'static str, title: &str, description: &'static str) -> Tool {
        let annotations = ToolAnnotations::new().read_only(true).destructive(false).idempotent(true).open_world(false);
        Tool::new(name, description, rmcp::handler::server::common::schema_for_type::<T>())
            .with_title(title)
            .with_annotations(annotations)
    }
    vec![
        tool::<ListSecretsArgs>(
            "list_secrets",
            "List secrets",
            "Lists the active secrets of a vault: names only, or with `includeValues: true` every value too. \
             Needs an access key of the vault (Authorization: Bearer, or the `vault` argument).",
        ),
        tool::<GetSecretArgs>(
            "get_secret",
            "Get a secret",
            "Reads one active secret's current value by name. Needs an access key of the vault; secrets are \
             never readable with a public token.",
        ),
        tool::<ListArgs>(
            "list_keys",
            "List keys",
            "Lists a vault's active keys (metadata only: id, name, type, algorithm, dates). An expired key \
             appears as `{id, message: \"Resource expired\"}`. Needs an access key of the vault.",
        ),
        tool::<GetKeyArgs>(
            "get_key",
            "Get a key",
            "Returns a key as PEM: its private key with an access key of the vault, or with `preferPublic: true` \
             and `code` (the key's public token) only its public half. Refused when the key is disabled, not \
             active yet or expired.",
        ),
        tool::<ListArgs>(
            "list_certificates",
            "List certificates",
            "Lists a vault's active certificates (metadata only: id, name, subject, issuer, serial, \
             fingerprint, dates). Needs an access key of the vault.",
        ),
        tool::<GetCertificateArgs>(
            "get_certificate",
            "Get a certificate",
            "Returns a certificate as PEM: the chain and its private key (if kept) with an access key of the \
             vault, or with `preferPublic: true` and `code` (its public token) only the chain.",
        ),
    ]
}

fn parse<T: DeserializeOwned>(args: Option<JsonObject>) -> Result<T, String> {
    serde_json::from_value(Value::Object(args.unwrap_or_default())).map_err(|e| reason(&e))
}

/// Why arguments do not fit, without the value that did not (the parser quotes it, and a
/// misplaced access key must not travel on into an error or a log line).
fn reason(e: &serde_json::Error) -> String {
    let message = e.to_string();
    if message.starts_with("missing field") {
        return format!("{message}.");
    }
    match message.split_once(", expected ").map(|(_, x)| x) {
        Some(x) if message.starts_with("unknown field") => format!("Unknown argument; expected {x}."),
        Some(x) => format!("An argument has the wrong type or value: expected {x}."),
        None => "The arguments do not fit the tool's input schema.".to_owned(),
    }
}

impl ToolCall {
    /// The call named `name` with `args`, or why it cannot be made (unknown tool, arguments
    /// that do not fit the tool's schema). The reason never quotes an argument's value.
    pub fn parse(name: &str, args: Option<JsonObject>) -> Result<ToolCall, String> {
        let call = match name {
            "list_secrets" => ToolCall::ListSecrets(parse(args)?),
            "get_secret" => ToolCall::GetSecret(parse(args)?),
            "list_keys" => ToolCall::ListKeys(parse(args)?),
            "get_key" => ToolCall::GetKey(parse(args)?),
            "list_certificates" => ToolCall::ListCertificates(parse(args)?),
            "get_certificate" => ToolCall::GetCertificate(parse(args)?),
            _ => return Err("No such tool; tools/list names them.".to_owned()),
        };
        match &call {
            ToolCall::GetKey(GetKeyArgs { prefer_public: true, code: None, .. })
            | ToolCall::GetCertificate(GetCertificateArgs { prefer_public: true, code: None, .. }) => {
                Err("preferPublic needs the resource's public token in code.".to_owned())
            }
            _ => Ok(call),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ToolCall::ListSecrets(_) => "list_secrets",
            ToolCall::GetSecret(_) => "get_secret",
            ToolCall::ListKeys(_) => "list_keys",
            ToolCall::GetKey(_) => "get_key",
            ToolCall::ListCertificates(_) => "list_certificates",
            ToolCall::GetCertificate(_) => "get_certificate",
        }
    }

    pub fn creds(&self) -> Option<&VaultCreds> {
        match self {
            ToolCall::ListSecrets(a) => a.vault.as_ref(),
            ToolCall::GetSecret(a) => a.vault.as_ref(),
            ToolCall::ListKeys(a) | ToolCall::ListCertificates(a) => a.vault.as_ref(),
            ToolCall::GetKey(a) => a.vault.as_ref(),
            ToolCall::GetCertificate(a) => a.vault.as_ref(),
        }
    }

    /// The kind of resource and the one asked for (a name or an id), for the log.
    fn resource(&self) -> (&'static str, Option<String>) {
        match self {
            ToolCall::ListSecrets(_) => ("vault", None),
            ToolCall::GetSecret(a) => ("secret", Some(a.name.clone())),
            ToolCall::ListKeys(_) => ("key", None),
            ToolCall::GetKey(a) => ("key", Some(a.key_id.clone())),
            ToolCall::ListCertificates(_) => ("certificate", None),
            ToolCall::GetCertificate(a) => ("certificate", Some(a.certificate_id.clone())),
        }
    }
}

/// What a tool answers: JSON (as the REST API's) or a PEM file's text.
pub enum Answer {
    Json(Value),
    Pem { id: String, pem: String },
}

/// A refusal as the REST API would answer it.
pub struct Refusal {
    pub status: u16,
    pub error: String,
    pub message: String,
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal { status: e.code.status(), error: e.code.as_str().to_owned(), message: e.message }
    }
}

/// Where the tools read from.
#[derive(Clone)]
enum Backend {
    /// This instance's services (the `/mcp` endpoint).
    Local(AppState),
    /// Another instance's REST API (the stdio bridge).
    Remote(Arc<Remote>),
}

/// The MCP server: one per session (built-in endpoint) or per process (stdio bridge).
#[derive(Clone)]
pub struct SecrynMcp {
    backend: Backend,
}

/// Protocol versions offered: those with sessions and without batches.
const SUPPORTED: &[ProtocolVersion] = &[ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25];

impl SecrynMcp {
    pub fn local(state: AppState) -> Self {
        SecrynMcp { backend: Backend::Local(state) }
    }

    pub fn remote(remote: Remote) -> Self {
        SecrynMcp { backend: Backend::Remote(Arc::new(remote)) }
    }

    /// Runs a parsed call against this instance's services, as the HTTP request `parts` asks.
    async fn run_local(state: &AppState, call: ToolCall, parts: Option<&Parts>) -> Result<Answer, Refusal> {
        let creds = call.creds();
        let header = parts.and_then(|p| p.headers.get(header::AUTHORIZATION)).map(HeaderValue::as_bytes);
        let presented = match creds.and_then(|c| c.access_key.as_deref()) {
            Some(key) => Presented::header(Some(format!("Bearer {key}").as_bytes())),
            None => Presented::header(header),
        };
        let meta = parts.and_then(|p| p.extensions.get::<RequestMeta>()).cloned().unwrap_or_default();
        let vault = creds.and_then(|c| c.vault_id.clone());
        let (resource_type, resource) = call.resource();
        let event = McpCall {
            event: "tool_call",
            session_id: parts.and_then(|p| super::session_of(&p.headers)),
            tool: Some(call.name().to_owned()),
            vault_id: vault.clone(),
            resource,
        };
        let log = Call::mcp(event, resource_type);
        let vault = vault.as_deref();
        let caller = Caller::new(state.clone(), presented, meta.clone());
        let json = |v: Result<Value, AppError>| v.map(Answer::Json).map_err(Refusal::from);
        let pem = |id: &str, p: Result<Pem, AppError>| {
            p.map(|p| Answer::Pem { id: id.to_owned(), pem: p.text.expose().to_owned() }).map_err(Refusal::from)
        };
        // A public fetch reads its token from `code` only (never an access key in the header).
        let public = Caller::new(state.clone(), Presented::default(), meta);
        match call {
            ToolCall::ListSecrets(a) => {
                let read = VaultRead { names_only: !a.include_values, ..VaultRead::default() };
                json(machine::read_vault(&caller, log, vault, read).await.and_then(|answer| match answer {
                    VaultAnswer::Vault(v) => to_json(&v),
                    _ => Err(AppError::internal()),
                }))
            }
            ToolCall::GetSecret(a) => {
                json(machine::read_secret(&caller, log, vault, &a.name).await.and_then(|s| to_json(&s)))
            }
            ToolCall::ListKeys(_) => json(machine_keys::list_keys(&caller, log, vault).await.and_then(|l| to_json(&l))),
            ToolCall::ListCertificates(_) => {
                json(machine_keys::list_certificates(&caller, log, vault).await.and_then(|l| to_json(&l)))
            }
            ToolCall::GetKey(a) if a.prefer_public => {
                pem(&a.key_id, machine_keys::public_key(&public, log, &a.key_id, a.code.as_deref()).await)
            }
            ToolCall::GetKey(a) => {
                pem(&a.key_id, machine_keys::download_key(&caller, log, vault, &a.key_id, a.format.as_deref()).await)
            }
            ToolCall::GetCertificate(a) if a.prefer_public => pem(
                &a.certificate_id,
                machine_keys::public_certificate(&public, log, &a.certificate_id, a.code.as_deref()).await,
            ),
            ToolCall::GetCertificate(a) => {
                pem(&a.certificate_id, machine_keys::download_certificate(&caller, log, vault, &a.certificate_id).await)
            }
        }
    }

    /// Records an MCP request refused before any tool ran (bad arguments, an unknown tool or
    /// method); the refusal itself is answered whatever the log says.
    async fn log_refusal(&self, parts: Option<&Parts>, tool: Option<String>, message: &str) {
        let Backend::Local(state) = &self.backend else { return };
        let meta = parts.and_then(|p| p.extensions.get::<RequestMeta>()).cloned().unwrap_or_default();
        let caller = Caller::new(state.clone(), Presented::default(), meta);
        let session_id = parts.and_then(|p| super::session_of(&p.headers));
        let event = McpCall { event: "rejected", session_id, tool, ..McpCall::default() };
        let error = AppError::new(app::domain::ErrorCode::BadRequest, message);
        let work = machine::answered(&caller, Call::mcp(event, "none"), Err::<(), _>(error));
        let _ = in_request(parts, work).await;
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|_| AppError::internal())
}

/// Runs `f` as the HTTP request that carried it (its id in the logs), when there is one.
async fn in_request<F: Future>(parts: Option<&Parts>, f: F) -> F::Output {
    match parts.and_then(|p| p.extensions.get::<RequestId>()) {
        Some(RequestId(id)) => request::scope(id, f).await,
        None => f.await,
    }
}

/// A success: the structured answer and a text rendering of it.
fn success(tool: &str, answer: Answer) -> CallToolResult {
    let (value, text) = match answer {
        Answer::Pem { id, pem } => (json!({"id": id, "pem": pem}), pem),
        Answer::Json(v) => {
            let text = render(tool, &v);
            (v, text)
        }
    };
    let mut result = CallToolResult::structured(value);
    result.content = vec![ContentBlock::text(text)];
    result
}

/// A tool error an agent can act on: the REST status, code and sentence.
fn refused(r: Refusal) -> CallToolResult {
    let text = format!("{} {}: {}", r.status, r.error, r.message);
    let mut result =
        CallToolResult::structured_error(json!({"status": r.status, "error": r.error, "message": r.message}));
    result.content = vec![ContentBlock::text(text)];
    result
}

/// Text for a JSON answer: `name=value` lines for secrets, one line per key or certificate.
fn render(tool: &str, v: &Value) -> String {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let expired = |v: &Value| if v.get("expired").and_then(Value::as_bool) == Some(true) { " (expired)" } else { "" };
    let lines: Vec<String> = match tool {
        "get_secret" => return format!("{}={}{}", s(v, "name"), s(v, "value"), expired(v)),
        "list_secrets" => {
            let secrets = v.get("secrets").and_then(Value::as_array).cloned().unwrap_or_default();
            if secrets.is_empty() {
                return "No active secrets in this vault.".to_owned();
            }
            secrets
                .iter()
                .map(|x| match x.get("value") {
                    Some(_) => format!("{}={}{}", s(x, "name"), s(x, "value"), expired(x)),
                    None => s(x, "name"),
                })
                .collect()
        }
        _ => {
            let items = v.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
            if items.is_empty() {
                return format!(
                    "No active {} in this vault.",
                    if tool == "list_keys" { "keys" } else { "certificates" }
                );
            }
            items
                .iter()
                .map(|x| match x.get("message") {
                    Some(_) => format!("{}  (Resource expired)", s(x, "id")),
                    None if tool == "list_keys" => format!("{}  {}  {}", s(x, "id"), s(x, "name"), s(x, "key_type")),
                    None => format!("{}  {}  CN={}", s(x, "id"), s(x, "name"), s(x, "common_name")),
                })
                .collect()
        }
    };
    lines.join("\n")
}

impl ServerHandler for SecrynMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("secryn", env!("CARGO_PKG_VERSION")))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
            .with_instructions(
                "Reads a Secryn vault's secrets, keys and certificates. Send a vault access key as \
                 `Authorization: Bearer <key>` or pass `vault: {vaultId, accessKey}` with each call. \
                 Start with list_secrets (names only), then get_secret by name.",
            )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(SUPPORTED)
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(catalogue()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let parts = context.extensions.get::<Parts>();
        let call = match ToolCall::parse(&request.name, request.arguments) {
            Ok(c) => c,
            Err(why) => {
                let tool = Some(request.name.to_string());
                // The log keeps a fixed sentence: the parser's words may quote an argument.
                self.log_refusal(parts, tool, "Unknown tool or arguments that do not fit its schema.").await;
                return Err(ErrorData::invalid_params(why, None));
            }
        };
        let tool = call.name();
        let outcome = match &self.backend {
            Backend::Local(state) => in_request(parts, Self::run_local(state, call, parts)).await,
            Backend::Remote(remote) => remote.run(call).await,
        };
        Ok(CallToolResponse::Complete(match outcome {
            Ok(answer) => success(tool, answer),
            Err(r) => refused(r),
        }))
    }

    async fn on_custom_request(
        &self,
        _request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        // A fixed sentence: rmcp logs every error it answers, and a method name is the caller's.
        let parts = context.extensions.get::<Parts>();
        self.log_refusal(parts, None, "Unknown or malformed method.").await;
        Err(ErrorData::new(ErrorCode::METHOD_NOT_FOUND, "Unknown or malformed method.", None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_errors_name_the_field_never_the_value() {
        let args = |v: Value| v.as_object().cloned();
        let key = "secryn_ak_misplacedAAAABBBBCCCC";
        let wrong_type = ToolCall::parse("list_secrets", args(json!({"includeValues": key}))).err().unwrap();
        assert!(!wrong_type.contains(key) && wrong_type.contains("a boolean"), "{wrong_type}");
        let unknown = ToolCall::parse("get_secret", args(json!({"name": "a", "code": key}))).err().unwrap();
        assert!(!unknown.contains(key) && unknown.starts_with("Unknown argument"), "{unknown}");
        assert_eq!(ToolCall::parse("get_secret", None).err().unwrap(), "missing field `name`.");
        assert!(ToolCall::parse("nope", None).is_err());
        let public = ToolCall::parse("get_key", args(json!({"keyId": "k", "preferPublic": true}))).err().unwrap();
        assert!(public.contains("code"), "{public}");
    }
}
