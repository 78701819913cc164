//! What machines read of keys and certificates (SPEC §3): metadata lists and downloads of
//! private material with a vault access key, public material (a key's public half, a
//! certificate's chain) with the resource's public token. A key or certificate fetched
//! directly answers by its status — disabled 404, not active yet 403, expired 410 — and a
//! list leaves out disabled and not-yet-active ones and shows an expired one only as
//! `{"id","message"}`. Every call goes through the machine guard, so it is recorded before
//! anything leaves.

use crate::domain::AppError;
use crate::domain::certificate::CertMeta;
use crate::domain::ids::{CertificateId, KeyId, VaultId};
use crate::domain::key::KeyMeta;
use crate::domain::secret::SecretStatus;
use crate::domain::time::rfc3339;
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::crypto::SecretText;
use crate::server::repo::certificates as cert_repo;
use crate::server::repo::keys as repo;
use crate::server::services::certificates as cert_service;
use crate::server::services::keys::{self as keys_service, Download};
use crate::server::services::machine::{Call, KeyCtx, Machine, commit, guarded, vault_for, with_key};
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
        one_of_or_expired(
            KeyJson::name(),
            "A key's metadata, or for an expired key only its id and `Resource expired`.",
        )
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

/// How a list shows a resource in `status`: left out, as the expired stub, or in full.
fn listed<T>(status: SecretStatus, id: String, full: impl FnOnce() -> T) -> Option<Listed<T>> {
    match status {
        SecretStatus::Disabled | SecretStatus::Scheduled => None,
        SecretStatus::Expired => Some(Listed::Expired(ExpiredJson { id, message: "Resource expired" })),
        SecretStatus::Active | SecretStatus::Expiring => Some(Listed::Item(full())),
    }
}

/// The keys of a vault as lists show them.
pub(super) async fn listing(state: &AppState, vault: VaultId) -> Result<Vec<Listed<KeyJson>>, AppError> {
    let now = clock::now();
    let keys = repo::list(&state.db, vault).await?;
    Ok(keys.iter().filter_map(|k| listed(k.status(now), k.id.to_string(), || KeyJson::from(k))).collect())
}

/// The certificates of a vault as lists show them.
pub(super) async fn cert_listing(state: &AppState, vault: VaultId) -> Result<Vec<Listed<CertJson>>, AppError> {
    let now = clock::now();
    let certs = cert_repo::list(&state.db, vault).await?;
    Ok(certs.iter().filter_map(|c| listed(c.status(now), c.id.to_string(), || CertJson::from(c))).collect())
}

/// Whether a resource in `status` may be fetched now, with the status that says why not.
fn fetchable(status: SecretStatus, what: &str) -> Result<(), AppError> {
    match status {
        SecretStatus::Disabled => Err(AppError::not_found(format!("No such {what} in this vault."))),
        SecretStatus::Scheduled => Err(AppError::forbidden(format!("This {what} is not active yet."))),
        SecretStatus::Expired => Err(AppError::gone("Resource expired")),
        SecretStatus::Active | SecretStatus::Expiring => Ok(()),
    }
}

/// A key of `vault` by id, fetchable now; `None` when the vault has no key by that id.
async fn fetch(state: &AppState, vault: VaultId, id: KeyId) -> Result<Option<KeyMeta>, AppError> {
    match repo::find(&state.db, id).await? {
        Some(k) if k.vault_id == vault => fetchable(k.status(clock::now()), "key").map(|()| Some(k)),
        _ => Ok(None),
    }
}

/// A certificate of `vault` by id, fetchable now; `None` when the vault has none by that id.
async fn fetch_cert(state: &AppState, vault: VaultId, id: CertificateId) -> Result<Option<CertMeta>, AppError> {
    match cert_repo::find(&state.db, id).await? {
        Some(c) if c.vault_id == vault => fetchable(c.status(clock::now()), "certificate").map(|()| Some(c)),
        _ => Ok(None),
    }
}

/// A certificate's bundle as a PEM file: the chain, then the private key if one is kept.
async fn cert_file(state: &AppState, cert: &CertMeta) -> Result<Pem, AppError> {
    Ok(Pem { file_name: format!("{}.pem", cert.name), text: cert_service::bundle_text(state, cert).await? })
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
    if let Some(key) = fetch(state, vault, KeyId(id)).await? {
        return Ok(Some(private_file(state, &key, Download::Pem).await?));
    }
    match fetch_cert(state, vault, CertificateId(id)).await? {
        Some(cert) => Ok(Some(cert_file(state, &cert).await?)),
        None => Ok(None),
    }
}

/// `GET /api/v1/vaults/{vault_id}/keys`.
pub async fn list_keys(
    caller: &Machine,
    call: Call,
    vault: Option<&str>,
) -> Result<DataList<Listed<KeyJson>>, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key: &KeyCtx| {
            let vault = vault_for(key, vault)?;
            Ok(DataList { data: listing(&caller.state, vault).await? })
        })
    })
    .await
}

/// `GET /api/v1/vaults/{vault_id}/keys/{key_id}/download[?format=openssh]`.
pub async fn download_key(
    caller: &Machine,
    call: Call,
    vault: Option<&str>,
    key_id: &str,
    format: Option<&str>,
) -> Result<Pem, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key: &KeyCtx| {
            let vault = vault_for(key, vault)?;
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

/// What a public token opened: the resource's id (for the log) and its public file, or why not.
type Opened = Option<(Opener, Result<Pem, AppError>)>;

/// What a valid public token opens: the resource's type, id and name.
struct Opener {
    resource_type: &'static str,
    id: String,
    name: String,
}

/// One public fetch: the token checked without a lookup, then `open` finds what it opens (and
/// answers 401 when that is not the resource asked for); recorded with the token's resource,
/// never the token, before anything leaves.
async fn public_fetch<F, Fut>(caller: &Machine, call: Call, code: Option<&str>, open: F) -> Result<Pem, AppError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Opened, AppError>>,
{
    let (resource, result) = match public_token_hash(caller, code) {
        Err(e) => (None, Err(e)),
        Ok(hash) => match open(hash).await {
            Err(e) => (None, Err(e)),
            Ok(None) => {
                (None, Err(AppError::unauthorized("This public token is not valid (it may have been revoked).")))
            }
            Ok(Some((opener, outcome))) => (Some(opener), outcome),
        },
    };
    let mut record = call.record(caller, None, result.as_ref().err());
    record.set_public_resource(resource.as_ref().map(|o| o.id.clone()));
    commit(caller, record).await?;
    if let (Ok(_), Some(opener)) = (&result, &resource)
        && caller.state.flood.first_public_read(&opener.id, caller.meta.ip.as_deref(), clock::now())
    {
        record_public_read(caller, opener).await?;
    }
    result
}

/// A public token's use is on the audit record (SPEC §5) before the material leaves; if it
/// cannot be written, nothing is served. Once per resource, address and minute: the request
/// log has every read (see `flood`).
async fn record_public_read(caller: &Machine, o: &Opener) -> Result<(), AppError> {
    let action = match o.resource_type {
        "key" => "key.public_read",
        _ => "certificate.public_read",
    };
    let via = vec![Change::values("via", None, Some("public token"))];
    let who = Actor::Anonymous;
    let e = Entry::about(&who, action, o.resource_type, (o.id.clone(), &o.name), via, caller.meta.ip.clone());
    let mut tx = caller.state.db.begin().await?;
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    Ok(())
}

fn not_this_one() -> AppError {
    AppError::unauthorized("This public token does not open this resource.")
}

/// `GET /api/v1/keys/{key_id}` with the key's public token: its public half as PEM, and
/// nothing else.
pub async fn public_key(caller: &Machine, call: Call, key_id: &str, code: Option<&str>) -> Result<Pem, AppError> {
    public_fetch(caller, call, code, async |hash| {
        let Some(key) = repo::by_public_token(&caller.state.db, &hash).await? else { return Ok(None) };
        let outcome = if KeyId::parse(key_id) == Some(key.id) {
            public_file(&caller.state, &key).await
        } else {
            Err(not_this_one())
        };
        Ok(Some((Opener { resource_type: "key", id: key.id.to_string(), name: key.name }, outcome)))
    })
    .await
}

async fn public_file(state: &AppState, key: &KeyMeta) -> Result<Pem, AppError> {
    fetchable(key.status(clock::now()), "key")?;
    let (der, _) = repo::material(&state.db, key.id).await?.ok_or_else(|| AppError::not_found("No such key."))?;
    Ok(Pem { file_name: format!("{}.pub.pem", key.name), text: SecretText::new(keys_service::public_pem(&der)?) })
}

/// `GET /api/v1/certificates/{cert_id}` with the certificate's public token: its chain as
/// PEM, never its private key.
pub async fn public_certificate(
    caller: &Machine,
    call: Call,
    cert_id: &str,
    code: Option<&str>,
) -> Result<Pem, AppError> {
    public_fetch(caller, call, code, async |hash| {
        let Some(cert) = cert_repo::by_public_token(&caller.state.db, &hash).await? else { return Ok(None) };
        let outcome = if CertificateId::parse(cert_id) == Some(cert.id) {
            match fetchable(cert.status(clock::now()), "certificate") {
                Ok(()) => cert_service::chain(&caller.state, cert.id)
                    .await
                    .map(|text| Pem { file_name: format!("{}.crt", cert.name), text: SecretText::new(text) }),
                Err(e) => Err(e),
            }
        } else {
            Err(not_this_one())
        };
        Ok(Some((Opener { resource_type: "certificate", id: cert.id.to_string(), name: cert.name }, outcome)))
    })
    .await
}

/// `GET /api/v1/vaults/{vault_id}/certificates`.
pub async fn list_certificates(
    caller: &Machine,
    call: Call,
    vault: Option<&str>,
) -> Result<DataList<Listed<CertJson>>, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key: &KeyCtx| {
            let vault = vault_for(key, vault)?;
            Ok(DataList { data: cert_listing(&caller.state, vault).await? })
        })
    })
    .await
}

/// `GET /api/v1/vaults/{vault_id}/certificates/{cert_id}/download`: the chain, then the
/// private key if one is kept.
pub async fn download_certificate(
    caller: &Machine,
    call: Call,
    vault: Option<&str>,
    cert_id: &str,
) -> Result<Pem, AppError> {
    guarded(caller, call, |hash| {
        with_key(&caller.state, hash, async |key: &KeyCtx| {
            let vault = vault_for(key, vault)?;
            let no_such = || AppError::not_found("No such certificate in this vault.");
            let id = CertificateId::parse(cert_id).ok_or_else(no_such)?;
            let found = fetch_cert(&caller.state, vault, id).await?.ok_or_else(no_such)?;
            cert_file(&caller.state, &found).await
        })
    })
    .await
}

/// Certificate metadata as machines receive it (never a private key).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CertJson {
    /// The certificate's id (UUID).
    #[schema(value_type = String, format = Uuid)]
    pub id: CertificateId,
    pub name: String,
    /// `generated` (self-signed here) or `uploaded`.
    #[serde(rename = "type")]
    pub origin: &'static str,
    pub common_name: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Colon-separated hex.
    pub serial: String,
    /// SHA-256 of the certificate (DER), colon-separated upper-case hex.
    pub fingerprint_sha256: String,
    /// RFC 3339 UTC: the certificate's `notBefore`.
    pub activation_date: String,
    /// RFC 3339 UTC: the certificate's `notAfter`.
    pub expires_at: String,
    pub tags: Vec<String>,
    pub created_at: String,
}

impl From<&CertMeta> for CertJson {
    fn from(c: &CertMeta) -> Self {
        CertJson {
            id: c.id,
            name: c.name.clone(),
            origin: c.origin.as_str(),
            common_name: c.common_name.clone(),
            issuer: c.issuer.clone(),
            serial: c.serial.clone(),
            fingerprint_sha256: c.fingerprint_sha256.clone(),
            activation_date: rfc3339(c.not_before),
            expires_at: rfc3339(c.not_after),
            tags: c.tags.clone(),
            created_at: rfc3339(c.created_at),
        }
    }
}

/// How the API document names one entry of a certificate list (`Listed<CertJson>`).
pub struct CertItem;

impl utoipa::PartialSchema for CertItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        one_of_or_expired(
            CertJson::name(),
            "A certificate's metadata, or for an expired one only its id and `Resource expired`.",
        )
    }
}

impl ToSchema for CertItem {
    fn name() -> std::borrow::Cow<'static, str> {
        "CertificateItem".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema as _;
        schemas.push((CertJson::name().into_owned(), CertJson::schema()));
        schemas.push((ExpiredJson::name().into_owned(), ExpiredJson::schema()));
    }
}

/// `oneOf` the named item schema and the expired stub.
fn one_of_or_expired(
    item: std::borrow::Cow<'static, str>,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{OneOfBuilder, Ref};
    OneOfBuilder::new()
        .description(Some(description))
        .item(Ref::from_schema_name(item))
        .item(Ref::from_schema_name(ExpiredJson::name()))
        .into()
}
