//! Certificates for people: self-signed ones made here, or uploads (PEM/CRT bundles with or
//! without a private key, PFX/PKCS#12 with its password), under the permission function and
//! audited. What people see of an upload (subject, issuer, serial, validity, fingerprint) is
//! read from the certificate itself. A kept private key is sealed like a secret value; the
//! chain is public. Nothing of a certificate changes once made but its tags, its enabled flag
//! and its public visibility.

use crate::domain::AppError;
use crate::domain::certificate::{CertMeta, CertView, UPLOAD_MAX, VALIDITY_MAX_DAYS};
use crate::domain::ids::{CertificateId, VaultId};
use crate::domain::key::{KeyAlgorithm, Origin};
use crate::domain::permission::{Action, ProjectFacts, Resource, VaultFacts};
use crate::domain::secret::{SecretName, parse_tags};
use crate::domain::time::Micros;
use crate::server::audit::{self, Change, Entry};
use crate::server::cert_material::{self, Bundle, SelfSigned};
use crate::server::crypto::SecretText;
use crate::server::error::unique_or;
use crate::server::key_material::{self, KeyError};
use crate::server::repo::certificates::{self as repo, NewCertificate};
use crate::server::repo::pki::{self as pki_repo, Table};
use crate::server::services::pki::{self, Target};
use crate::server::services::vaults::{data_key, load as load_vault};
use crate::server::services::{actor, require};
use crate::server::{AppState, Caller, clock};

/// The associated data binding a sealed private key to its vault and certificate.
pub fn private_aad(vault: VaultId, cert: CertificateId) -> Vec<u8> {
    format!("certificate:{vault}/{cert}").into_bytes()
}

async fn load(caller: &Caller, id: CertificateId) -> Result<(CertMeta, ProjectFacts, VaultFacts), AppError> {
    let cert = repo::find(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such certificate."))?;
    let (_, _, pf, vf) = load_vault(caller, cert.vault_id).await?;
    Ok((cert, pf, vf))
}

async fn allow(caller: &Caller, action: Action, facts: (ProjectFacts, VaultFacts)) -> Result<(), AppError> {
    require(caller, action, Resource::Vault(facts.0, facts.1), "certificate").await
}

fn entry<'a>(caller: &Caller, who: &'a audit::Actor, action: &'a str, c: &CertMeta, changes: Vec<Change>) -> Entry<'a> {
    Entry::about(who, action, "certificate", (c.id.to_string(), &c.name), changes, caller.meta.ip.clone())
}

/// A refusal of certificate material as the form shows it, beside `field`.
fn refused(field: &str, e: KeyError) -> AppError {
    match e {
        KeyError::Generation => {
            tracing::error!("certificate material could not be produced");
            AppError::internal()
        }
        KeyError::Password => AppError::validation("password", e.to_string()),
        other => AppError::validation(field, other.to_string()),
    }
}

/// What a self-signed certificate is made from, as a form sends it.
#[derive(Debug, Default)]
pub struct NewCertInput {
    pub name: String,
    pub tags: String,
    pub common_name: String,
    pub organization: String,
    pub unit: String,
    pub country: String,
    pub state: String,
    pub locality: String,
    pub email: String,
    /// `rsa_2048` … `ed25519`.
    pub algorithm: String,
    pub validity_days: String,
    /// DNS names and IP addresses, separated by commas, spaces or new lines.
    pub alt_names: String,
}

/// One optional subject field: at most 64 characters, no control characters.
fn subject_field(field: &str, raw: &str) -> Result<String, AppError> {
    let v = raw.trim();
    if v.chars().count() > 64 || v.chars().any(char::is_control) {
        return Err(AppError::validation(field, "Use at most 64 characters, without control characters."));
    }
    Ok(v.to_owned())
}

/// Checks a self-signed request field by field, before any CPU is spent on it.
fn checked_spec(input: &NewCertInput) -> Result<SelfSigned, AppError> {
    let common_name = subject_field("common_name", &input.common_name)?;
    if common_name.is_empty() {
        return Err(AppError::validation("common_name", "Enter a common name, such as the server's host name."));
    }
    let country = subject_field("country", &input.country)?.to_ascii_uppercase();
    if !country.is_empty() && (country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic())) {
        return Err(AppError::validation("country", "Use a two-letter country code such as DE or US."));
    }
    let email = subject_field("email", &input.email)?;
    if !email.is_empty() && crate::domain::validate::Email::parse("email", &email).is_err() {
        return Err(AppError::validation("email", "Enter an e-mail address such as ops@example.com."));
    }
    let algorithm = KeyAlgorithm::parse(&input.algorithm)
        .ok_or_else(|| AppError::validation("algorithm", "Choose RSA 2048/3072/4096, EC P-256/P-384 or Ed25519."))?;
    let validity_days =
        input.validity_days.trim().parse::<i64>().ok().filter(|d| (1..=VALIDITY_MAX_DAYS).contains(d)).ok_or_else(
            || AppError::validation("validity_days", format!("Enter a number of days from 1 to {VALIDITY_MAX_DAYS}.")),
        )?;
    let alt_names: Vec<String> =
        input.alt_names.split([',', ' ', '\n', '\r', '\t']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let bad_name = |n: &String| {
        n.parse::<std::net::IpAddr>().is_err()
            && (n.len() > 253
                || !n.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
                }))
    };
    if alt_names.len() > 100 || alt_names.iter().any(bad_name) {
        return Err(AppError::validation(
            "alt_names",
            "List up to 100 DNS names (such as api.example.com or *.example.com) or IP addresses.",
        ));
    }
    Ok(SelfSigned {
        common_name,
        organization: subject_field("organization", &input.organization)?,
        unit: subject_field("unit", &input.unit)?,
        country,
        state: subject_field("state", &input.state)?,
        locality: subject_field("locality", &input.locality)?,
        email,
        algorithm,
        validity_days,
        alt_names,
    })
}

/// The name and tags a new certificate gets, checked, after the permission.
async fn check(caller: &Caller, vault: VaultId, name: &str, tags: &str) -> Result<(SecretName, Vec<String>), AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    let name = SecretName::parse("name", name.trim())?;
    let tags = parse_tags("tags", tags)?;
    if pki_repo::name_taken(&caller.state.db, Table::Certificates, vault, name.as_str()).await? {
        return Err(duplicate());
    }
    Ok((name, tags))
}

fn duplicate() -> AppError {
    AppError::validation("name", "A certificate with this name already exists in the vault.")
}

/// Makes a key and a self-signed certificate for it in `vault`.
pub async fn generate(caller: &Caller, vault: VaultId, input: NewCertInput) -> Result<CertificateId, AppError> {
    let (name, tags) = check(caller, vault, &input.name, &input.tags).await?;
    let spec = checked_spec(&input)?;
    let now = clock::now();
    let made = caller.state.keygen.run(move || cert_material::self_signed(&spec, now)).await?;
    store(caller, vault, (name, tags), Origin::Generated, made.map_err(|e| refused("alt_names", e))?).await
}

/// Stores an uploaded certificate file (PEM/CRT bundle, DER certificate or PFX with
/// `password`); anything over [`UPLOAD_MAX`] is refused before it is read.
pub async fn upload(
    caller: &Caller,
    vault: VaultId,
    (name, tags): (&str, &str),
    file: Vec<u8>,
    password: SecretText,
) -> Result<CertificateId, AppError> {
    let file = zeroize::Zeroizing::new(file);
    if file.len() > UPLOAD_MAX {
        return Err(AppError::validation(
            "file",
            format!("This file is too large for a certificate bundle (at most {} KiB).", UPLOAD_MAX / 1024),
        ));
    }
    if file.is_empty() {
        return Err(AppError::validation("file", "Choose a certificate file (PEM, CRT or PFX)."));
    }
    let checked = check(caller, vault, name, tags).await?;
    let read = caller.state.keygen.run(move || cert_material::read_upload(&file, password.expose())).await?;
    store(caller, vault, checked, Origin::Uploaded, read.map_err(|e| refused("file", e))?).await
}

async fn store(
    caller: &Caller,
    vault: VaultId,
    (name, tags): (SecretName, Vec<String>),
    origin: Origin,
    bundle: Bundle,
) -> Result<CertificateId, AppError> {
    let leaf = bundle.chain.first().ok_or_else(|| AppError::validation("file", "No certificate found in the file."))?;
    let facts = cert_material::facts(leaf).map_err(|e| refused("file", e))?;
    let chain_pem = cert_material::chain_pem(&bundle.chain).map_err(|e| refused("file", e))?;
    let id = CertificateId::new();
    let sealed = match &bundle.key {
        Some(k) => Some(data_key(&caller.state, vault).await?.seal(k.pkcs8_der(), &private_aad(vault, id))),
        None => None,
    };
    let new = NewCertificate {
        id,
        vault,
        name: name.as_str(),
        facts: &facts,
        chain_length: i64::try_from(bundle.chain.len()).unwrap_or(i64::MAX),
        origin,
        chain_pem: &chain_pem,
        private_sealed: sealed.as_deref(),
        tags: &tags,
        by: caller.user().id,
    };
    let mut tx = caller.state.db.begin().await?;
    repo::insert(&mut tx, new)
        .await
        .map_err(|e| unique_or(e, "name", "A certificate with this name already exists in the vault."))?;
    let changes = vec![
        Change::values("name", None, Some(name.as_str())),
        Change::values("subject", None, Some(&facts.subject)),
        Change::values("fingerprint_sha256", None, Some(&facts.fingerprint_sha256)),
        Change::values("origin", None, Some(origin.as_str())),
        Change::values("private_key", None, Some(if bundle.key.is_some() { "stored" } else { "none" })),
    ];
    let who = actor(caller);
    let e = Entry::about(
        &who,
        "certificate.create",
        "certificate",
        (id.to_string(), name.as_str()),
        changes,
        caller.meta.ip.clone(),
    );
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every certificate of a vault (metadata only), for anyone who sees the vault.
pub async fn list(caller: &Caller, vault: VaultId) -> Result<Vec<CertMeta>, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    Ok(repo::list(&caller.state.db, vault).await?)
}

/// A certificate's chain as PEM (public).
pub async fn chain(state: &AppState, id: CertificateId) -> Result<String, AppError> {
    Ok(repo::material(&state.db, id).await?.ok_or_else(|| AppError::not_found("No such certificate."))?.0)
}

/// A certificate's detail: metadata and its chain (anyone who sees the vault: it is public).
pub async fn get(caller: &Caller, id: CertificateId) -> Result<CertView, AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    Ok(CertView { status: meta.status(clock::now()), chain_pem: chain(&caller.state, id).await?, meta })
}

/// The bundle a download carries: the chain, then the private key if one is kept (PKCS#8).
pub async fn bundle_text(state: &AppState, meta: &CertMeta) -> Result<SecretText, AppError> {
    let (chain_pem, sealed) =
        repo::material(&state.db, meta.id).await?.ok_or_else(|| AppError::not_found("No such certificate."))?;
    let Some(sealed) = sealed else {
        return Ok(SecretText::new(chain_pem));
    };
    let data = data_key(state, meta.vault_id).await?;
    let der = data.open(&sealed, &private_aad(meta.vault_id, meta.id)).map_err(|_| {
        tracing::error!(certificate = %meta.id, "a certificate's private key failed its integrity check");
        AppError::internal()
    })?;
    let pair = key_material::from_pkcs8(&der).map_err(|_| AppError::internal())?;
    let key = pair.private_pem().map_err(|_| AppError::internal())?;
    Ok(SecretText::new(format!("{chain_pem}{}", key.as_str())))
}

/// The PEM bundle (chain, then private key if kept) for those who may download. Audited.
pub async fn download(caller: &Caller, id: CertificateId) -> Result<(String, SecretText), AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::DownloadKeysAndCertificates, (pf, vf)).await?;
    let text = bundle_text(&caller.state, &meta).await?;
    let mut tx = caller.state.db.begin().await?;
    let who = actor(caller);
    let with_key = if meta.has_private_key { "chain and private key" } else { "chain" };
    let changes = vec![Change::values("contents", None, Some(with_key))];
    audit::append(&mut tx, &caller.state.audit_key, entry(caller, &who, "certificate.download", &meta, changes))
        .await?;
    tx.commit().await?;
    Ok((format!("{}.pem", meta.name), text))
}

fn target(meta: &CertMeta) -> Target<'_, CertificateId> {
    Target { table: Table::Certificates, id: meta.id, name: &meta.name, public: meta.public }
}

/// Enables or disables a certificate (a no-op when it already is).
pub async fn set_enabled(caller: &Caller, id: CertificateId, enabled: bool) -> Result<(), AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    pki::set_enabled(caller, target(&meta), enabled).await
}

/// Turns public visibility on (a new token, returned once) or off (revoked at once).
pub async fn set_public(caller: &Caller, id: CertificateId, public: bool) -> Result<Option<SecretText>, AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    pki::set_public(caller, target(&meta), public).await
}

/// Changes a certificate's tags (its only editable detail); nothing is saved if it changed
/// since `seen_updated_at`.
pub async fn update_tags(
    caller: &Caller,
    id: CertificateId,
    tags: &str,
    seen_updated_at: Micros,
) -> Result<(), AppError> {
    let (meta, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ManageKeysAndCertificates, (pf, vf)).await?;
    let tags = parse_tags("tags", tags)?;
    if tags == meta.tags {
        return Ok(());
    }
    let stale = || AppError::conflict("This certificate changed since you opened it. Nothing was saved; reload first.");
    let mut tx = caller.state.db.begin().await?;
    if seen_updated_at != meta.updated_at
        || !repo::update_tags(&mut tx, id, &tags, caller.user().id, meta.updated_at).await?
    {
        return Err(stale());
    }
    let who = actor(caller);
    let changes = vec![Change::values("tags", Some(&meta.tags.join(", ")), Some(&tags.join(", ")))];
    audit::append(&mut tx, &caller.state.audit_key, entry(caller, &who, "certificate.update", &meta, changes)).await?;
    tx.commit().await?;
    Ok(())
}
