//! What machines may read with an access key (SPEC §3): the key's own vault, active secrets
//! only, expired ones marked. The key is looked up on every request, so a revocation or an
//! expiry counts at once on every node. Statuses: 401 for a missing, malformed, unknown,
//! revoked or expired key; 403 for a key used on another vault; 404 for what is not there,
//! disabled or not active yet.

use crate::domain::AppError;
use crate::domain::ids::{AccessKeyId, SecretId, VaultId};
use crate::domain::secret::{SecretMeta, SecretStatus, SecretValue};
use crate::domain::time::rfc3339;
use crate::server::repo::access_keys::KeyRecord;
use crate::server::repo::secrets::{self as secrets_repo, Only};
use crate::server::repo::{access_keys, vaults};
use crate::server::services::secrets::unseal;
use crate::server::tokens::{self, TokenKind};
use crate::server::{AppState, clock};
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Ref, Schema};
use utoipa::{PartialSchema, ToSchema};

/// The access key a request carries, once checked.
#[derive(Clone, Debug)]
pub struct KeyCtx {
    pub id: AccessKeyId,
    pub vault_id: VaultId,
}

/// The hash of the access key in an `Authorization` header value (`Bearer <access key>`).
fn bearer_hash(header: Option<&[u8]>) -> Result<String, AppError> {
    let Some(raw) = header else {
        return Err(AppError::unauthorized("Send an access key as “Authorization: Bearer <key>”."));
    };
    std::str::from_utf8(raw)
        .ok()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
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

/// Checks an `Authorization` header value: `Bearer <access key>`.
pub async fn authenticate(state: &AppState, header: Option<&[u8]>) -> Result<KeyCtx, AppError> {
    let hash = bearer_hash(header)?;
    usable(access_keys::by_hash(&state.db, &hash).await?)
}

/// Authenticates and reads one served secret by name with a single query (the API's hot
/// path). The key comes back whenever it was valid, for the request log, even when the read
/// is refused.
pub async fn secret_by_name(
    state: &AppState,
    header: Option<&[u8]>,
    vault: VaultId,
    name: &str,
) -> (Option<KeyCtx>, Result<SecretJson, AppError>) {
    let found = match bearer_hash(header) {
        Ok(hash) => secrets_repo::key_and_secret(&state.db, &hash, vault, name).await.map_err(AppError::from),
        Err(e) => return (None, Err(e)),
    };
    let (record, row) = match found {
        Ok(Some(found)) => (Some(found.key), found.secret),
        Ok(None) => (None, None),
        Err(e) => return (None, Err(e)),
    };
    let key = match usable(record) {
        Ok(k) => k,
        Err(e) => return (None, Err(e)),
    };
    let result = async {
        check_vault(&key, vault)?;
        open(state, vault, row.into_iter().collect())
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("No active secret by that name or id in this vault."))
    }
    .await;
    (Some(key), result)
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
    /// Present with `include=keys` (key metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub keys: Option<Vec<serde_json::Value>>,
    /// Present with `include=certificates` (certificate metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub certificates: Option<Vec<serde_json::Value>>,
}

fn check_vault(key: &KeyCtx, vault: VaultId) -> Result<(), AppError> {
    if key.vault_id == vault { Ok(()) } else { Err(AppError::forbidden("This access key belongs to another vault.")) }
}

/// Opens the rows that are served now (active or expired; not scheduled).
async fn open(state: &AppState, vault: VaultId, rows: Vec<(SecretMeta, Vec<u8>)>) -> Result<Vec<SecretJson>, AppError> {
    let now = clock::now();
    let served: Vec<_> = rows
        .into_iter()
        .filter_map(|(m, sealed)| {
            let status = SecretStatus::at(m.enabled, m.activation_at, m.expiration_at, now);
            status.is_served().then_some((m, sealed, status))
        })
        .collect();
    if served.is_empty() {
        return Ok(Vec::new());
    }
    let key = crate::server::services::vaults::data_key(state, vault).await?;
    served
        .into_iter()
        .map(|(m, sealed, status)| {
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
pub async fn vault(
    state: &AppState,
    key: &KeyCtx,
    vault: VaultId,
    names_only: bool,
    include: &str,
) -> Result<VaultJson, AppError> {
    check_vault(key, vault)?;
    let row = vaults::find(&state.db, vault).await?.ok_or_else(|| AppError::not_found("No such vault."))?;
    let secrets = if names_only {
        SecretList::Names(served_names(state, vault).await?)
    } else {
        let rows = secrets_repo::current_values(&state.db, vault, Only::All).await?;
        SecretList::Full(open(state, vault, rows).await?)
    };
    let wants = |part: &str| include.split(',').any(|p| p.trim() == part).then(Vec::new);
    Ok(VaultJson { id: vault, name: row.name, secrets, keys: wants("keys"), certificates: wants("certificates") })
}

/// One served secret by id (`?resource=`).
pub async fn secret(state: &AppState, key: &KeyCtx, vault: VaultId, id: SecretId) -> Result<SecretJson, AppError> {
    let which = Only::Id(id);
    check_vault(key, vault)?;
    let rows = secrets_repo::current_values(&state.db, vault, which).await?;
    open(state, vault, rows)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("No active secret by that name or id in this vault."))
}
