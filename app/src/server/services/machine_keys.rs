//! What machines read of keys (SPEC §3): metadata lists and private-key downloads with a
//! vault access key, public halves with a key's public token. A key fetched directly answers
//! by its status — disabled 404, not active yet 403, expired 410 — and a list leaves out
//! disabled and not-yet-active keys and shows an expired one only as `{"id","message"}`.
//! Every call goes through the machine guard, so it is recorded before anything leaves.

use crate::domain::AppError;
use crate::domain::ids::{KeyId, VaultId};
use crate::domain::key::KeyMeta;
use crate::domain::secret::SecretStatus;
use crate::domain::time::rfc3339;
use crate::server::crypto::SecretText;
use crate::server::repo::keys as repo;
use crate::server::services::keys::{self as keys_service, Download};
use crate::server::services::machine::{Call, KeyCtx, Machine, check_vault, commit, guarded, parse_vault, with_key};
use crate::server::tokens::{self, TokenKind};
use crate::server::{AppState, clock};
use serde::Serialize;
use utoipa::ToSchema;

/// A PEM file as a machine receives it (`application/x-pem-file`).
#[derive(Clone, Debug)]
pub struct Pem {
    pub file_name: String,
    pub text: SecretText,
}

/// Key metadata as machines receive it (never key material).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KeyJson {
    /// The key's id (UUID).
    #[schema(value_type = String, format = Uuid)]
    pub id: KeyId,
    pub name: String,
    /// `generated` or `uploaded`.
    #[serde(rename = "type")]
    pub origin: &'static str,
    /// `RSA`, `EC` or `Ed25519`.
    pub key_type: &'static str,
    /// RSA only: 2048, 3072 or 4096.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    /// EC only: `P-256` or `P-384`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_curve: Option<&'static str>,
    /// `pem`, `openssh` or `both`.
    pub output_format: &'static str,
    /// RFC 3339 UTC, or null.
    pub activation_date: Option<String>,
    /// RFC 3339 UTC, or null.
    pub expiration_date: Option<String>,
    pub tags: Vec<String>,
    pub created_at: String,
}

impl From<&KeyMeta> for KeyJson {
    fn from(k: &KeyMeta) -> Self {
        KeyJson {
            id: k.id,
            name: k.name.clone(),
            origin: k.origin.as_str(),
            key_type: k.algorithm.key_type(),
            key_size: k.algorithm.key_size(),
            key_curve: k.algorithm.key_curve(),
            output_format: k.output_format.as_str(),
            activation_date: k.activation_at.map(rfc3339),
            expiration_date: k.expiration_at.map(rfc3339),
            tags: k.tags.clone(),
            created_at: rfc3339(k.created_at),
        }
    }
}

/// What a list shows of an expired key or certificate.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExpiredJson {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// Always `Resource expired`.
    pub message: &'static str,
}

/// One entry of a key or certificate list.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Listed<T> {
    Item(T),
    Expired(ExpiredJson),
}

/// How the API document names one entry of a key list (`Listed<KeyJson>`): exactly one of a
/// key's metadata and the expired stub. Never built; it only describes.
pub struct KeyItem;

impl utoipa::PartialSchema for KeyItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{OneOfBuilder, Ref};
        OneOfBuilder::new()
            .description(Some("A key's metadata, or for an expired key only its id and `Resource expired`."))
            .item(Ref::from_schema_name(KeyJson::name()))
            .item(Ref::from_schema_name(ExpiredJson::name()))
            .into()
    }
}

impl ToSchema for KeyItem {
    fn name() -> std::borrow::Cow<'static, str> {
        "KeyItem".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema as _;
        schemas.push((KeyJson::name().into_owned(), KeyJson::schema()));
        schemas.push((ExpiredJson::name().into_owned(), ExpiredJson::schema()));
    }
}

/// A list answer: `{"data":[...]}`.
#[derive(Clone, Debug, Serialize)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

/// The keys of a vault as lists show them.
pub(super) async fn listing(state: &AppState, vault: VaultId) -> Result<Vec<Listed<KeyJson>>, AppError> {
    let now = clock::now();
    Ok(repo::list(&state.db, vault)
        .await?
        .iter()
        .filter_map(|k| match k.status(now) {
            SecretStatus::Disabled | SecretStatus::Scheduled => None,
            SecretStatus::Expired => {
                Some(Listed::Expired(ExpiredJson { id: k.id.to_string(), message: "Resource expired" }))
            }
            SecretStatus::Active | SecretStatus::Expiring => Some(Listed::Item(KeyJson::from(k))),
        })
        .collect())
}

/// Whether a key may be fetched now, with the status that says why not.
fn fetchable(key: &KeyMeta) -> Result<(), AppError> {
    match key.status(clock::now()) {
        SecretStatus::Disabled => Err(AppError::not_found("No such key in this vault.")),
        SecretStatus::Scheduled => Err(AppError::forbidden("This key is not active yet.")),
        SecretStatus::Expired => Err(AppError::gone("Resource expired")),
        SecretStatus::Active | SecretStatus::Expiring => Ok(()),
    }
}

/// A key of `vault` by id, fetchable now; `None` when the vault has no key by that id.
async fn fetch(state: &AppState, vault: VaultId, id: KeyId) -> Result<Option<KeyMeta>, AppError> {
    match repo::find(&state.db, id).await? {
        Some(k) if k.vault_id == vault => fetchable(&k).map(|()| Some(k)),
        _ => Ok(None),
    }
}

/// The private key as a PEM file (or OpenSSH), for an access key of its vault.
async fn private_file(state: &AppState, key: &KeyMeta, format: Download) -> Result<Pem, AppError> {
    let pair = keys_service::open(state, key).await?;
    let text = keys_service::private_text(&pair, key, format)?;
    Ok(Pem { file_name: keys_service::file_name(key, format), text })
}

/// `?resource={id}` naming a key of the vault: its private key as PEM; `None` when no key
/// has that id (the vault read then looks for a secret).
pub(super) async fn resource(state: &AppState, vault: VaultId, id: uuid::Uuid) -> Result<Option<Pem>, AppError> {
    match fetch(state, vault, KeyId(id)).await? {
        Some(key) => Ok(Some(private_file(state, &key, Download::Pem).await?)),
        None => Ok(None),
    }
}

/// `GET /api/v1/vaults/{vault_id}/keys`.
pub async fn list_keys(caller: &Machine, call: Call, vault: &str) -> Result<DataList<Listed<KeyJson>>, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key: &KeyCtx| {
            let vault = parse_vault(vault)?;
            check_vault(key, vault)?;
            Ok(DataList { data: listing(&caller.state, vault).await? })
        })
    })
    .await
}

/// `GET /api/v1/vaults/{vault_id}/keys/{key_id}/download[?format=openssh]`.
pub async fn download_key(
    caller: &Machine,
    call: Call,
    vault: &str,
    key_id: &str,
    format: Option<&str>,
) -> Result<Pem, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key: &KeyCtx| {
            let vault = parse_vault(vault)?;
            check_vault(key, vault)?;
            let no_such = || AppError::not_found("No such key in this vault.");
            let id = KeyId::parse(key_id).ok_or_else(no_such)?;
            let format = Download::parse(format)?;
            let found = fetch(&caller.state, vault, id).await?.ok_or_else(no_such)?;
            private_file(&caller.state, &found, format).await
        })
    })
    .await
}

/// The public token a caller presents: `Authorization: Bearer` first, else `?code=`.
fn public_token_hash(caller: &Machine, code: Option<&str>) -> Result<String, AppError> {
    let token = caller.who.bearer().or(code).ok_or_else(|| {
        AppError::unauthorized("Send the public token as “Authorization: Bearer <token>” or as ?code=<token>.")
    })?;
    if !tokens::well_formed(TokenKind::PublicToken, token) {
        return Err(AppError::unauthorized("This is not a valid public token."));
    }
    Ok(tokens::token_hash(token))
}

/// `GET /api/v1/keys/{key_id}` with the key's public token: its public half as PEM, and
/// nothing else. Recorded with the token's resource, never the token.
pub async fn public_key(caller: &Machine, call: Call, key_id: &str, code: Option<&str>) -> Result<Pem, AppError> {
    let (resource, result) = match public_token_hash(caller, code) {
        Err(e) => (None, Err(e)),
        Ok(hash) => match repo::by_public_token(&caller.state.db, &hash).await {
            Err(e) => (None, Err(e.into())),
            Ok(None) => {
                (None, Err(AppError::unauthorized("This public token is not valid (it may have been revoked).")))
            }
            Ok(Some(key)) => {
                let outcome = if KeyId::parse(key_id) != Some(key.id) {
                    Err(AppError::unauthorized("This public token does not open this resource."))
                } else {
                    public_file(&caller.state, &key).await
                };
                (Some(key.id.to_string()), outcome)
            }
        },
    };
    let status = result.as_ref().map_or_else(|e| e.code.status(), |_| 200);
    let mut record = call.record(caller, None, status);
    record.public_resource = resource;
    commit(caller, record).await?;
    result
}

async fn public_file(state: &AppState, key: &KeyMeta) -> Result<Pem, AppError> {
    fetchable(key)?;
    let (der, _) = repo::material(&state.db, key.id).await?.ok_or_else(|| AppError::not_found("No such key."))?;
    let text = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &der)
        .map_err(|_| AppError::internal())?;
    Ok(Pem { file_name: format!("{}.pub.pem", key.name), text: SecretText::new(text) })
}
