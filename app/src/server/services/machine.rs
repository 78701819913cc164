//! What machines may read with an access key (SPEC §3): the key's own vault, active secrets
//! only, expired ones marked. The key is looked up on every request, so a revocation or an
//! expiry counts at once on every node. Statuses: 401 for a missing, malformed, unknown,
//! revoked or expired key; 403 for a key used on another vault; 404 for what is not there,
//! disabled or not active yet.
//!
//! Every machine door (REST today, MCP next) goes through [`guarded`], which holds the two
//! rules a door must not forget: the key is checked before anything else is looked up (a bad
//! key reads 401, never a 404 that would tell what exists), and nothing leaves until the
//! call's request-log record is committed (else 503: no record, no secret).

use crate::domain::AppError;
use crate::domain::ids::{AccessKeyId, SecretId, VaultId};
use crate::domain::secret::{SecretMeta, SecretStatus, SecretValue};
use crate::domain::time::{Micros, rfc3339};
use crate::server::flood::Door;
use crate::server::repo::access_keys::KeyRecord;
use crate::server::repo::secrets::{self as secrets_repo, Only};
use crate::server::repo::{access_keys, vaults};
use crate::server::request_log::{Logged, McpRecord, Record};
use crate::server::services::machine_keys::{self, CertItem, CertJson, KeyItem, KeyJson, Listed, Pem};
use crate::server::services::secrets::unseal;
use crate::server::tokens::{self, TokenKind};
use crate::server::{AppState, Caller, clock};
use serde::Serialize;
use std::time::Instant;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Ref, Schema};
use utoipa::{PartialSchema, ToSchema};

/// The credential a machine presented (the `Authorization` header's value), not yet checked.
#[derive(Clone, Default)]
pub struct Presented(Option<Vec<u8>>);

impl Presented {
    pub fn header(value: Option<&[u8]>) -> Self {
        Presented(value.map(<[u8]>::to_vec))
    }
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Presented([redacted])" } else { "Presented(none)" })
    }
}

/// A machine's caller: the state, the presented key and the request's facts.
pub type Machine = Caller<Presented>;

/// The access key a request carries, once checked.
#[derive(Clone, Debug)]
pub struct KeyCtx {
    pub id: AccessKeyId,
    pub vault_id: VaultId,
}

/// What the log keeps of a call besides its outcome: the door fills it in when the call
/// arrives. A REST call names its path as its template (never the raw path or query); an MCP
/// call names its session, tool and what it asked for (never an argument's value).
#[derive(Clone, Debug)]
pub struct Call {
    via: Via,
    pub resource_type: &'static str,
    at: Micros,
    started: Instant,
}

/// The door a call came through, with what its log keeps of it.
#[derive(Clone, Debug)]
enum Via {
    Rest { method: String, path: &'static str },
    Mcp(McpCall),
}

/// An MCP event as the MCP door describes it.
#[derive(Clone, Debug, Default)]
pub struct McpCall {
    /// `handshake`, `tool_call`, `session_end` or `rejected`.
    pub event: &'static str,
    pub session_id: Option<String>,
    pub tool: Option<String>,
    /// The vault the call named (the key's own vault is noted once the key is known).
    pub vault_id: Option<String>,
    /// The secret's name or the key's or certificate's id asked for.
    pub resource: Option<String>,
}

/// Longest text the MCP log keeps of a name a caller chose (a tool or a resource).
const MCP_TEXT_MAX: usize = 200;

impl Call {
    /// A REST call.
    pub fn new(method: &str, path: &'static str, resource_type: &'static str) -> Self {
        let method = method.chars().take(16).collect();
        Call::via(Via::Rest { method, path }, resource_type)
    }

    /// An MCP event (names cut to a bounded length: a caller chooses them).
    pub fn mcp(mut event: McpCall, resource_type: &'static str) -> Self {
        let cut = |t: Option<String>| t.map(|t| t.chars().take(MCP_TEXT_MAX).collect());
        event.tool = cut(event.tool);
        event.vault_id = cut(event.vault_id);
        event.resource = cut(event.resource);
        event.session_id = cut(event.session_id);
        Call::via(Via::Mcp(event), resource_type)
    }

    fn via(via: Via, resource_type: &'static str) -> Self {
        Call { via, resource_type, at: clock::now(), started: Instant::now() }
    }

    /// The log record of this call, ended with `error` (or success).
    pub(super) fn record(self, caller: &Machine, key: Option<&KeyCtx>, error: Option<&AppError>) -> Logged {
        let status = error.map_or(200, |e| e.code.status());
        let duration_us = i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX);
        let access_key_id = key.map(|k| k.id.to_string());
        let request_id = crate::server::request::current_id();
        match self.via {
            Via::Rest { method, path } => Logged::Request(Record {
                at: self.at,
                method,
                path,
                resource_type: self.resource_type,
                status,
                duration_us,
                ip: caller.meta.ip.clone(),
                access_key_id,
                public_resource: None,
                request_id,
            }),
            Via::Mcp(m) => Logged::Mcp(McpRecord {
                at: self.at,
                event: m.event,
                session_id: m.session_id,
                tool: m.tool,
                vault_id: m.vault_id.or_else(|| key.map(|k| k.vault_id.to_string())),
                resource_type: self.resource_type,
                resource: m.resource,
                status,
                message: error.map(|e| e.message.clone()),
                duration_us,
                ip: caller.meta.ip.clone(),
                access_key_id,
                public_resource: None,
                request_id,
            }),
        }
    }
}

impl Presented {
    /// The token after `Bearer ` in the header, if there is one (not yet checked).
    pub(super) fn bearer(&self) -> Option<&str> {
        std::str::from_utf8(self.0.as_deref()?)
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
    }
}

/// The hash of the presented access key (`Bearer <access key>`), checked without any lookup.
fn bearer_hash(presented: &Presented) -> Result<String, AppError> {
    if presented.0.is_none() {
        return Err(AppError::unauthorized("Send an access key as “Authorization: Bearer <key>”."));
    }
    presented
        .bearer()
        .filter(|t| tokens::well_formed(TokenKind::AccessKey, t))
        .map(tokens::token_hash)
        .ok_or_else(|| AppError::unauthorized("The Authorization header does not carry a valid access key."))
}

/// A key found by its hash, if it is neither revoked nor expired.
fn usable(key: Option<KeyRecord>) -> Result<KeyCtx, AppError> {
    let key = key.ok_or_else(|| AppError::unauthorized("This access key is not valid."))?;
    if key.revoked_at.is_some() {
        return Err(AppError::unauthorized("This access key has been revoked."));
    }
    if key.expires_at.is_some_and(|e| e <= clock::now()) {
        return Err(AppError::unauthorized("This access key has expired."));
    }
    Ok(KeyCtx { id: key.id, vault_id: key.vault_id })
}

/// The one way a machine read runs: `read` gets the presented key's hash only once it is
/// well formed and answers the key it found usable (if any) with its result; the call is then
/// recorded and the result released only once the record is committed.
pub(super) async fn guarded<T, F, Fut>(caller: &Machine, call: Call, read: F) -> Result<T, AppError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = (Option<KeyCtx>, Result<T, AppError>)>,
{
    let (key, result) = match bearer_hash(&caller.who) {
        Ok(hash) => read(hash).await,
        Err(e) => (None, Err(e)),
    };
    if let Some(k) = &key {
        tracing::Span::current().record("access_key", tracing::field::display(k.id));
    }
    commit(caller, call.record(caller, key.as_ref(), result.as_ref().err())).await?;
    result
}

/// Waits for `record` to be committed; 503 when it cannot be. A call that carried no
/// credential (neither a usable access key nor a public token) from an address past its rate
/// is answered 429 and only counted (see `flood`).
pub(super) async fn commit(caller: &Machine, record: Logged) -> Result<(), AppError> {
    let anonymous = record.access_key_id().is_none() && record.public_resource().is_none();
    let door = if matches!(record, Logged::Mcp(_)) { Door::Mcp } else { Door::Api };
    if anonymous && !caller.state.flood.admit(door, record.ip(), record.at()) {
        return Err(AppError::rate_limited(
            "Too many calls without a valid credential from your network address. Try again in a minute.",
        ));
    }
    if caller.state.request_log.record(record).await {
        Ok(())
    } else {
        Err(AppError::unavailable("The request could not be recorded, so nothing is served. Try again."))
    }
}

/// Whether a caller may open an MCP session now: a handshake carries no checked credential,
/// so it counts against the address's rate like any anonymous call (429 past it, and only
/// counted).
pub fn may_open(caller: &Machine) -> Result<(), AppError> {
    if caller.state.flood.allows(Door::Mcp, caller.meta.ip.as_deref(), clock::now()) {
        return Ok(());
    }
    Err(AppError::rate_limited("Too many MCP sessions opened from your network address. Try again in a minute."))
}

/// Looks the key up by its hash, then runs `read` with it (the usual order of [`guarded`]).
pub(super) async fn with_key<T>(
    state: &AppState,
    hash: String,
    read: impl AsyncFnOnce(&KeyCtx) -> Result<T, AppError>,
) -> (Option<KeyCtx>, Result<T, AppError>) {
    let key = match access_keys::by_hash(&state.db, &hash).await.map_err(AppError::from).and_then(usable) {
        Ok(key) => key,
        Err(e) => return (None, Err(e)),
    };
    let result = read(&key).await;
    (Some(key), result)
}

/// Records a call a door answered without reading anything (an unknown path or method, a
/// token in the URL, the API's own documents) and returns `outcome` once it is recorded.
pub async fn answered<T>(caller: &Machine, call: Call, outcome: Result<T, AppError>) -> Result<T, AppError> {
    commit(caller, call.record(caller, None, outcome.as_ref().err())).await?;
    outcome
}

/// What a vault read asks for (its query string).
#[derive(Clone, Debug, Default)]
pub struct VaultRead {
    /// Only ids and names, no values (`secrets=names`).
    pub names_only: bool,
    /// `keys`, `certificates` or both, comma-separated.
    pub include: String,
    /// One resource's id instead of the whole vault (`resource=`).
    pub resource: Option<String>,
}

/// A vault read's answer: the vault, or the one resource asked for (a secret as JSON, a key
/// or certificate as its PEM).
#[derive(Clone, Debug)]
pub enum VaultAnswer {
    Vault(VaultJson),
    Secret(SecretJson),
    Pem(Pem),
}

/// Reads a vault (or one resource of it). Ids arrive as text and are read after the key is
/// checked, so a malformed id with a bad key is still 401.
pub async fn read_vault(
    caller: &Machine,
    call: Call,
    vault: Option<&str>,
    read: VaultRead,
) -> Result<VaultAnswer, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key| {
            let vault = vault_for(key, vault)?;
            match read.resource.as_deref() {
                Some(id) => {
                    let no_such = || AppError::not_found("No such resource in this vault.");
                    let uuid = uuid::Uuid::parse_str(id).map_err(|_| no_such())?;
                    if let Some(pem) = machine_keys::resource(&caller.state, vault, uuid).await? {
                        return Ok(VaultAnswer::Pem(pem));
                    }
                    Ok(VaultAnswer::Secret(secret(&caller.state, vault, SecretId(uuid)).await?))
                }
                None => {
                    Ok(VaultAnswer::Vault(whole_vault(&caller.state, vault, read.names_only, &read.include).await?))
                }
            }
        })
    })
    .await
}

/// Reads one served secret by name, with a single query for the key and the secret (the
/// API's hot path); the key's verdict still comes first.
pub async fn read_secret(
    caller: &Machine,
    call: Call,
    vault: Option<&str>,
    name: &str,
) -> Result<SecretJson, AppError> {
    guarded(caller, call, |hash| async move {
        let vault = match vault {
            None => match own_vault(&caller.state, &hash).await {
                Ok(v) => v,
                Err(e) => return (None, Err(e)),
            },
            Some(raw) => match VaultId::parse(raw) {
                Some(v) => v,
                None => {
                    return with_key(&caller.state, hash, async |_| Err(AppError::not_found("No such vault."))).await;
                }
            },
        };
        let (record, row) = match secrets_repo::key_and_secret(&caller.state.db, &hash, vault, name).await {
            Ok(Some(found)) => (Some(found.key), found.secret),
            Ok(None) => (None, None),
            Err(e) => return (None, Err(e.into())),
        };
        let key = match usable(record) {
            Ok(k) => k,
            Err(e) => return (None, Err(e)),
        };
        let result = async {
            check_vault(&key, vault)?;
            first_served(open(&caller.state, vault, row.into_iter().collect()).await?)
        }
        .await;
        (Some(key), result)
    })
    .await
}

/// The vault a call reads: the one it names (which must be the key's), or with none named
/// (an MCP call with its key in the header) the key's own vault.
pub(super) fn vault_for(key: &KeyCtx, named: Option<&str>) -> Result<VaultId, AppError> {
    let Some(raw) = named else { return Ok(key.vault_id) };
    let vault = VaultId::parse(raw).ok_or_else(|| AppError::not_found("No such vault."))?;
    check_vault(key, vault)?;
    Ok(vault)
}

/// The vault of the key whose hash is `hash`, when the call named none.
async fn own_vault(state: &AppState, hash: &str) -> Result<VaultId, AppError> {
    let key = access_keys::by_hash(&state.db, hash).await.map_err(AppError::from).and_then(usable)?;
    Ok(key.vault_id)
}

fn first_served(served: Vec<SecretJson>) -> Result<SecretJson, AppError> {
    served.into_iter().next().ok_or_else(|| AppError::not_found("No active secret by that name or id in this vault."))
}

/// A secret as machines receive it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SecretJson {
    /// The secret's id (UUID).
    #[schema(value_type = String, format = Uuid)]
    pub id: SecretId,
    pub name: String,
    /// The value of the current version.
    #[schema(value_type = String)]
    pub value: SecretValue,
    pub content_type: String,
    pub tags: Vec<String>,
    /// The current version number (1, 2, 3…).
    pub version: i64,
    /// RFC 3339 UTC with microseconds.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// RFC 3339 UTC with microseconds, or null when the secret never expires.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// True once `expires_at` has passed (the secret is still served).
    pub expired: bool,
}

/// A secret's id and name only (`?secrets=names`), with no other field, so it is never
/// mistaken for a full secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
// Never deserialized: this only makes the document say `additionalProperties: false`, so a
// full secret does not also match this schema inside the `oneOf` of `SecretList`.
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    #[schema(value_type = String, format = Uuid)]
    pub id: SecretId,
    pub name: String,
}

/// The secrets of a vault read, with values or names only.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum SecretList {
    Full(Vec<SecretJson>),
    Names(Vec<SecretRef>),
}

/// Documented as one array whose every item is exactly one of `SecretJson` and `SecretRef`.
/// A `oneOf` of two arrays would be false: an empty list matches both, so a validator that
/// follows JSON Schema would refuse a vault with nothing served.
impl utoipa::PartialSchema for SecretList {
    fn schema() -> RefOr<Schema> {
        let item = OneOfBuilder::new()
            .item(Ref::from_schema_name(SecretJson::name()))
            .item(Ref::from_schema_name(SecretRef::name()));
        ArrayBuilder::new()
            .description(Some(
                "Every served secret: each one with its value (`SecretJson`), or with `secrets=names` each only \
                 with `id` and `name` (`SecretRef`).",
            ))
            .items(item)
            .into()
    }
}

impl ToSchema for SecretList {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((SecretJson::name().into_owned(), SecretJson::schema()));
        <SecretJson as ToSchema>::schemas(schemas);
        schemas.push((SecretRef::name().into_owned(), SecretRef::schema()));
        <SecretRef as ToSchema>::schemas(schemas);
    }
}

/// A vault as machines receive it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VaultJson {
    #[schema(value_type = String, format = Uuid)]
    pub id: VaultId,
    pub name: String,
    /// Every active secret (with values, or only `id` and `name` with `secrets=names`).
    pub secrets: SecretList,
    /// Present with `include=keys`: key metadata (an expired key as `{"id","message"}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<KeyItem>>)]
    pub keys: Option<Vec<Listed<KeyJson>>>,
    /// Present with `include=certificates`: certificate metadata (an expired one as
    /// `{"id","message"}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<CertItem>>)]
    pub certificates: Option<Vec<Listed<CertJson>>>,
}

fn check_vault(key: &KeyCtx, vault: VaultId) -> Result<(), AppError> {
    if key.vault_id == vault { Ok(()) } else { Err(AppError::forbidden("This access key belongs to another vault.")) }
}

/// Opens the rows that are served now (active or expired; not scheduled).
async fn open(
    state: &AppState,
    vault: VaultId,
    mut rows: Vec<(SecretMeta, Vec<u8>)>,
) -> Result<Vec<SecretJson>, AppError> {
    let now = clock::now();
    // In place: the rows are large, and a vault read has a hundred of them to move otherwise.
    rows.retain(|(m, _)| m.status(now).is_served());
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let key = crate::server::services::vaults::data_key(state, vault).await?;
    rows.into_iter()
        .map(|(m, sealed)| {
            let status = m.status(now);
            let value = unseal(&key, vault, m.id, m.current_version, &sealed)?;
            Ok(SecretJson {
                id: m.id,
                name: m.name,
                value,
                content_type: m.content_type,
                tags: m.tags,
                version: m.current_version,
                updated_at: rfc3339(m.updated_at),
                expires_at: m.expiration_at.map(rfc3339),
                expired: status == SecretStatus::Expired,
            })
        })
        .collect()
}

/// The served secrets' ids and names, read without any value (so nothing is opened): the same
/// secrets in the same order as [`open`] serves them.
async fn served_names(state: &AppState, vault: VaultId) -> Result<Vec<SecretRef>, AppError> {
    let now = clock::now();
    let rows = secrets_repo::enabled_names(&state.db, vault).await?;
    Ok(rows
        .into_iter()
        .filter(|r| SecretStatus::at(true, r.activation_at, r.expiration_at, now).is_served())
        .map(|r| SecretRef { id: r.id, name: r.name })
        .collect())
}

/// The whole vault: every served secret with its value, or with `names_only` just names (read
/// without the values, none of which is decrypted). `include` asks for keys and/or
/// certificates metadata (empty until those exist).
async fn whole_vault(state: &AppState, vault: VaultId, names_only: bool, include: &str) -> Result<VaultJson, AppError> {
    let row = vaults::find(&state.db, vault).await?.ok_or_else(|| AppError::not_found("No such vault."))?;
    let secrets = if names_only {
        SecretList::Names(served_names(state, vault).await?)
    } else {
        let rows = secrets_repo::current_values(&state.db, vault, Only::All).await?;
        SecretList::Full(open(state, vault, rows).await?)
    };
    let wants = |part: &str| include.split(',').any(|p| p.trim() == part);
    let keys = if wants("keys") { Some(machine_keys::listing(state, vault).await?) } else { None };
    let certificates = if wants("certificates") { Some(machine_keys::cert_listing(state, vault).await?) } else { None };
    Ok(VaultJson { id: vault, name: row.name, secrets, keys, certificates })
}

/// One served secret by id (`?resource=`).
async fn secret(state: &AppState, vault: VaultId, id: SecretId) -> Result<SecretJson, AppError> {
    let rows = secrets_repo::current_values(&state.db, vault, Only::Id(id)).await?;
    first_served(open(state, vault, rows).await?)
}
