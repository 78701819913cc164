//! Keys for people: generated or uploaded under the permission function, the private half
//! sealed with the vault's data key like a secret value, every step audited (never the key).
//! A key never changes once made; tags, dates, the enabled flag and public visibility are its
//! only metadata. Generation and upload parsing are CPU work a browser can ask for, so they
//! run on the bounded [`CpuPool`] in `AppState::keygen`, never on the async workers.

use crate::domain::AppError;
use crate::domain::ids::{KeyId, VaultId};
use crate::domain::key::{KeyAlgorithm, KeyMeta, KeyView, Origin, OutputFormat, UPLOAD_MAX};
use crate::domain::permission::{Action, ProjectFacts, Resource, VaultFacts};
use crate::domain::secret::{SecretName, check_dates, parse_tags};
use crate::domain::time::Micros;
use crate::server::audit::{self, Change, Entry};
use crate::server::cpu::CpuPool;
use crate::server::crypto::{DataKey, SecretText};
use crate::server::error::unique_or;
use crate::server::key_material::{self, KeyError, KeyPair};
use crate::server::repo::keys::{self as repo, NewKey};
use crate::server::repo::pki::{self as pki_repo, Table};
use crate::server::services::pki::{self, Target};
use crate::server::services::vaults::{data_key, load as load_vault};
use crate::server::services::{actor, require};
use crate::server::{AppState, Caller, clock};

/// The pool keys are generated on: one core short of all of them (at least one), so health
/// checks, pages and REST reads always keep a core; 16 more requests may wait.
pub fn generation_pool(cores: usize) -> CpuPool {
    CpuPool::new(cores.saturating_sub(1).max(1), 16, "The server is busy generating other keys; try again in a moment.")
}

/// The associated data binding a sealed private key to its vault and key.
pub fn private_aad(vault: VaultId, key: KeyId) -> Vec<u8> {
    format!("key:{vault}/{key}").into_bytes()
}

/// A key and the asker's facts about its vault; "not found" when either is missing.
async fn load(caller: &Caller, id: KeyId) -> Result<(KeyMeta, ProjectFacts, VaultFacts), AppError> {
    let key = repo::find(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such key."))?;
    let (_, _, pf, vf) = load_vault(caller, key.vault_id).await?;
    Ok((key, pf, vf))
}

async fn allow(caller: &Caller, action: Action, facts: (ProjectFacts, VaultFacts)) -> Result<(), AppError> {
    require(caller, action, Resource::Vault(facts.0, facts.1), "key").await
}

fn entry<'a>(
    caller: &Caller,
    who: &'a audit::Actor,
    action: &'a str,
    key: &KeyMeta,
    changes: Vec<Change>,
) -> Entry<'a> {
    Entry::about(who, action, "key", (key.id.to_string(), &key.name), changes, caller.meta.ip.clone())
}

/// A refusal of key material as the form shows it, beside `field`.
fn refused(field: &str, e: KeyError) -> AppError {
    match e {
        KeyError::Generation => {
            tracing::error!("key material could not be produced");
            AppError::internal()
        }
        other => AppError::validation(field, other.to_string()),
    }
}

/// What making a key needs, as a form sends it.
#[derive(Debug, Default)]
pub struct NewKeyInput {
    pub name: String,
    /// `rsa_2048` … `ed25519` (generation only; an upload's type is read from the key).
    pub algorithm: String,
    /// `pem`, `openssh` or `both`.
    pub output_format: String,
    pub tags: String,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
}

/// The input's fields, checked before any CPU is spent on the key.
struct Checked {
    name: SecretName,
    output_format: OutputFormat,
    tags: Vec<String>,
    activation_at: Option<Micros>,
    expiration_at: Option<Micros>,
}

async fn check(caller: &Caller, vault: VaultId, input: &NewKeyInput) -> Result<Checked, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    let name = SecretName::parse("name", input.name.trim())?;
    let output_format = OutputFormat::parse(&input.output_format)
        .ok_or_else(|| AppError::validation("output_format", "Choose PEM, OpenSSH or both."))?;
    let tags = parse_tags("tags", &input.tags)?;
    check_dates(input.activation_at, input.expiration_at)?;
    if pki_repo::name_taken(&caller.state.db, Table::Keys, vault, name.as_str()).await? {
        return Err(duplicate());
    }
    Ok(Checked { name, output_format, tags, activation_at: input.activation_at, expiration_at: input.expiration_at })
}

fn duplicate() -> AppError {
    AppError::validation("name", "A key with this name already exists in the vault.")
}

/// Generates a key pair in `vault`.
pub async fn generate(caller: &Caller, vault: VaultId, input: NewKeyInput) -> Result<KeyId, AppError> {
    let checked = check(caller, vault, &input).await?;
    let algorithm = KeyAlgorithm::parse(&input.algorithm)
        .ok_or_else(|| AppError::validation("algorithm", "Choose RSA 2048/3072/4096, EC P-256/P-384 or Ed25519."))?;
    let pair = caller.state.keygen.run(move || key_material::generate(algorithm)).await?;
    let pair = pair.map_err(|e| refused("algorithm", e))?;
    store(caller, vault, checked, Origin::Generated, &pair).await
}

/// Stores an uploaded private key (PEM: PKCS#8, PKCS#1, SEC1; or OpenSSH) in `vault`. Its
/// type is read from the key; anything over [`UPLOAD_MAX`] is refused before it is read.
pub async fn upload(caller: &Caller, vault: VaultId, input: NewKeyInput, text: SecretText) -> Result<KeyId, AppError> {
    if text.expose().len() > UPLOAD_MAX {
        return Err(AppError::validation(
            "private_key",
            format!("This file is too large for a private key (at most {} KiB).", UPLOAD_MAX / 1024),
        ));
    }
    let checked = check(caller, vault, &input).await?;
    let pair = caller.state.keygen.run(move || key_material::read_private(text.expose())).await?;
    let pair = pair.map_err(|e| refused("private_key", e))?;
    store(caller, vault, checked, Origin::Uploaded, &pair).await
}

async fn store(caller: &Caller, vault: VaultId, c: Checked, origin: Origin, pair: &KeyPair) -> Result<KeyId, AppError> {
    let data: std::sync::Arc<DataKey> = data_key(&caller.state, vault).await?;
    let id = KeyId::new();
    let sealed = data.seal(pair.pkcs8_der(), &private_aad(vault, id));
    let new = NewKey {
        id,
        vault,
        name: c.name.as_str(),
        algorithm: pair.algorithm(),
        output_format: c.output_format,
        origin,
        public_der: pair.spki_der(),
        private_sealed: &sealed,
        tags: &c.tags,
        activation_at: c.activation_at,
        expiration_at: c.expiration_at,
        by: caller.user().id,
    };
    let mut tx = caller.state.db.begin().await?;
    repo::insert(&mut tx, new)
        .await
        .map_err(|e| unique_or(e, "name", "A key with this name already exists in the vault."))?;
    let changes = vec![
        Change::values("name", None, Some(c.name.as_str())),
        Change::values("algorithm", None, Some(&pair.algorithm().label())),
        Change::values("origin", None, Some(origin.as_str())),
        Change::values("output_format", None, Some(c.output_format.as_str())),
    ];
    let who = actor(caller);
    let e = Entry::about(&who, "key.create", "key", (id.to_string(), c.name.as_str()), changes, caller.meta.ip.clone());
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every key of a vault (metadata only), for anyone who sees the vault.
pub async fn list(caller: &Caller, vault: VaultId) -> Result<Vec<KeyMeta>, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    Ok(repo::list(&caller.state.db, vault).await?)
}

/// The public half of a stored key (SubjectPublicKeyInfo DER), read without the private half.
pub fn public_pem(der: &[u8]) -> Result<String, AppError> {
    pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, der).map_err(|_| AppError::internal())
}

/// A key's detail: metadata and its public half (anyone who sees the vault: it is public).
pub async fn get(caller: &Caller, id: KeyId) -> Result<KeyView, AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    let (public_der, _) =
        repo::material(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such key."))?;
    let public_openssh = if meta.output_format.offers_openssh() {
        Some(key_material::public_openssh(&public_der, &meta.name).map_err(|e| refused("key", e))?)
    } else {
        None
    };
    Ok(KeyView { status: meta.status(clock::now()), public_pem: public_pem(&public_der)?, public_openssh, meta })
}

/// Opens a key's sealed private half (the one place it is decrypted).
pub async fn open(state: &AppState, meta: &KeyMeta) -> Result<KeyPair, AppError> {
    let (_, sealed) = repo::material(&state.db, meta.id).await?.ok_or_else(|| AppError::not_found("No such key."))?;
    let data = data_key(state, meta.vault_id).await?;
    let der = data.open(&sealed, &private_aad(meta.vault_id, meta.id)).map_err(|_| {
        tracing::error!(key = %meta.id, "a key's private half failed its integrity check");
        AppError::internal()
    })?;
    key_material::from_pkcs8(&der).map_err(|_| AppError::internal())
}

/// The form a private key leaves in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Download {
    Pem,
    Openssh,
}

impl Download {
    /// `pem` (the default) or `openssh`; anything else is refused.
    pub fn parse(raw: Option<&str>) -> Result<Download, AppError> {
        match raw.unwrap_or("pem") {
            "pem" => Ok(Download::Pem),
            "openssh" => Ok(Download::Openssh),
            _ => Err(AppError::validation("format", "Ask for format=pem or format=openssh.")),
        }
    }
}

/// The private key in `format`, as file text (wiped on drop).
pub fn private_text(pair: &KeyPair, meta: &KeyMeta, format: Download) -> Result<SecretText, AppError> {
    let text = match format {
        Download::Pem => pair.private_pem(),
        Download::Openssh if meta.output_format.offers_openssh() => pair.private_openssh(&meta.name),
        Download::Openssh => {
            return Err(AppError::validation("format", "This key is offered as PEM only (its output format is pem)."));
        }
    };
    text.map(|t| SecretText::new(t.to_string())).map_err(|e| refused("format", e))
}

/// The file name a key is saved under.
pub fn file_name(meta: &KeyMeta, format: Download) -> String {
    match format {
        Download::Pem => format!("{}.pem", meta.name),
        Download::Openssh => meta.name.clone(),
    }
}

/// The private key for those who may download it, in `format`. Audited.
pub async fn download(caller: &Caller, id: KeyId, format: Download) -> Result<(String, SecretText), AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::DownloadKeysAndCertificates, (pf, vf)).await?;
    let pair = open(&caller.state, &meta).await?;
    let text = private_text(&pair, &meta, format)?;
    let fmt = if format == Download::Pem { "pem" } else { "openssh" };
    let mut tx = caller.state.db.begin().await?;
    let who = actor(caller);
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(caller, &who, "key.download", &meta, vec![Change::values("format", None, Some(fmt))]),
    )
    .await?;
    tx.commit().await?;
    Ok((file_name(&meta, format), text))
}

/// Enables or disables a key (a no-op when it already is).
pub async fn set_enabled(caller: &Caller, id: KeyId, enabled: bool) -> Result<(), AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    pki::set_enabled(caller, target(&meta), enabled).await
}

fn target(meta: &KeyMeta) -> Target<'_, KeyId> {
    Target { table: Table::Keys, id: meta.id, name: &meta.name, public: meta.public }
}

/// A key's editable details. `seen_updated_at` is when the key last changed as the page showed
/// it: if it changed since, nothing is saved.
#[derive(Debug)]
pub struct KeyMetaInput {
    pub tags: String,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
    pub seen_updated_at: Micros,
}

/// Changes tags and dates; the audit entry names every field that changed.
pub async fn update_meta(caller: &Caller, id: KeyId, input: KeyMetaInput) -> Result<(), AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    let tags = parse_tags("tags", &input.tags)?;
    check_dates(input.activation_at, input.expiration_at)?;
    let show = |t: Option<Micros>| t.map(crate::domain::time::rfc3339);
    let mut changes = Vec::new();
    for (field, old, new) in [
        ("tags", Some(meta.tags.join(", ")), Some(tags.join(", "))),
        ("activation_at", show(meta.activation_at), show(input.activation_at)),
        ("expiration_at", show(meta.expiration_at), show(input.expiration_at)),
    ] {
        if old != new {
            changes.push(Change::values(field, old.as_deref(), new.as_deref()));
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let stale = || AppError::conflict("This key changed since you opened it. Nothing was saved; reload first.");
    if input.seen_updated_at != meta.updated_at {
        return Err(stale());
    }
    let mut tx = caller.state.db.begin().await?;
    let dates = (tags.as_slice(), input.activation_at, input.expiration_at);
    if !repo::update_meta(&mut tx, id, dates, caller.user().id, meta.updated_at).await? {
        return Err(stale());
    }
    let who = actor(caller);
    audit::append(&mut tx, &caller.state.audit_key, entry(caller, &who, "key.update", &meta, changes)).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns public visibility on (a new token, returned once) or off (revoked at once).
pub async fn set_public(caller: &Caller, id: KeyId, public: bool) -> Result<Option<SecretText>, AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    pki::set_public(caller, target(&meta), public).await
}
