//! Secrets: created, versioned, revealed and restored under the permission function, sealed
//! with the vault's data key, every step audited (never the value). A version is never edited:
//! a change of value is a new version; restoring is a new version carrying an old value.

use crate::domain::AppError;
use crate::domain::dotenv::{self, ImportLine, ImportOutcome, ImportReport};
use crate::domain::ids::{SecretId, UserId, VaultId};
use crate::domain::permission::{Action, ProjectFacts, Resource, VaultFacts};
use crate::domain::secret::{
    CONTENT_TYPE_MAX, NAME_MAX, NOTE_MAX, PAGE_SIZE, SecretListing, SecretMeta, SecretName, SecretQuery, SecretRow,
    SecretValue, TAG_MAX, VersionInfo, check_dates, parse_tags,
};
use crate::domain::time::Micros;
use crate::server::audit::{self, Change, Entry};
use crate::server::crypto::{DataKey, SecretText};
use crate::server::db::Tx;
use crate::server::error::unique_or;
use crate::server::repo::secrets::{self as repo, MetaUpdate, NewSecret};
use crate::server::services::vaults::{data_key, load as load_vault};
use crate::server::services::{actor, require};
use crate::server::{AppState, Caller, RequestMeta};

/// The associated data binding a sealed value to its vault, secret and version.
pub fn value_aad(vault: VaultId, secret: SecretId, version: i64) -> Vec<u8> {
    // Written piece by piece (the same bytes as `format!("secret:{vault}/{secret}/v{version}")`):
    // a whole-vault read builds one per value.
    let mut uuid = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let mut aad = Vec::with_capacity(7 + 2 * uuid.len() + 3 + 20);
    aad.extend_from_slice(b"secret:");
    aad.extend_from_slice(vault.0.hyphenated().encode_lower(&mut uuid).as_bytes());
    aad.push(b'/');
    aad.extend_from_slice(secret.0.hyphenated().encode_lower(&mut uuid).as_bytes());
    aad.extend_from_slice(b"/v");
    aad.extend_from_slice(version.to_string().as_bytes());
    aad
}

/// A secret and the asker's facts about its vault; "not found" when either is missing.
async fn load(caller: &Caller, id: SecretId) -> Result<(SecretMeta, ProjectFacts, VaultFacts), AppError> {
    let secret = repo::find(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such secret."))?;
    let (_, _, pf, vf) = load_vault(caller, secret.vault_id).await?;
    Ok((secret, pf, vf))
}

async fn allow(caller: &Caller, action: Action, facts: (ProjectFacts, VaultFacts)) -> Result<(), AppError> {
    require(caller, action, Resource::Vault(facts.0, facts.1), "secret").await
}

fn entry<'a>(
    actor: &'a audit::Actor,
    meta: &RequestMeta,
    action: &'a str,
    secret: (SecretId, &str),
    changes: Vec<Change>,
) -> Entry<'a> {
    Entry::about(actor, action, "secret", (secret.0.to_string(), secret.1), changes, meta.ip.clone())
}

fn check_note(note: &str) -> Result<String, AppError> {
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(AppError::validation("note", format!("Use at most {NOTE_MAX} characters.")));
    }
    Ok(note.to_owned())
}

fn check_content_type(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    let s = if s.is_empty() { "text/plain" } else { s };
    if s.len() > CONTENT_TYPE_MAX || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(AppError::validation(
            "content_type",
            "Enter a content type such as text/plain or application/json.",
        ));
    }
    Ok(s.to_owned())
}

/// Seals `value` as `version` and inserts the version row inside `tx`.
async fn write_version(
    tx: &mut Tx,
    key: &DataKey,
    secret: (VaultId, SecretId),
    version: i64,
    value: &SecretValue,
    note: &str,
    by: UserId,
) -> Result<(), AppError> {
    let sealed = key.seal(value.expose().as_bytes(), &value_aad(secret.0, secret.1, version));
    repo::insert_version(tx, secret.1, version, &sealed, note, by).await?;
    Ok(())
}

/// The metadata a new secret starts with (checked).
struct Fields<'a> {
    content_type: &'a str,
    description: &'a str,
    tags: &'a [String],
    activation_at: Option<Micros>,
    expiration_at: Option<Micros>,
}

/// Inserts a secret and its version 1 inside `tx`; a taken name is a validation error.
async fn insert_secret(
    tx: &mut Tx,
    key: &DataKey,
    (vault, name): (VaultId, &SecretName),
    f: Fields<'_>,
    value: &SecretValue,
    note: &str,
    by: UserId,
) -> Result<SecretId, AppError> {
    let id = SecretId::new();
    let new = NewSecret {
        id,
        vault,
        name: name.as_str(),
        content_type: f.content_type,
        description: f.description,
        tags: f.tags,
        activation_at: f.activation_at,
        expiration_at: f.expiration_at,
        by,
    };
    repo::insert(tx, new)
        .await
        .map_err(|e| unique_or(e, "name", "A secret with this name already exists in the vault."))?;
    write_version(tx, key, (vault, id), 1, value, note, by).await?;
    Ok(id)
}

/// What creating a secret needs.
#[derive(Debug)]
pub struct NewSecretInput {
    pub name: String,
    pub value: SecretValue,
    pub content_type: String,
    pub description: String,
    pub tags: String,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
}

/// Creates a secret with its first version.
pub async fn create(caller: &Caller, vault: VaultId, input: NewSecretInput) -> Result<SecretId, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::WriteSecrets, (pf, vf)).await?;
    let name = SecretName::parse("name", &input.name)?;
    let content_type = check_content_type(&input.content_type)?;
    let description = crate::domain::org::parse_description("description", &input.description)?;
    let tags = parse_tags("tags", &input.tags)?;
    check_dates(input.activation_at, input.expiration_at)?;
    let key = data_key(&caller.state, vault).await?;
    let fields = Fields {
        content_type: &content_type,
        description: &description,
        tags: &tags,
        activation_at: input.activation_at,
        expiration_at: input.expiration_at,
    };
    let mut tx = caller.state.db.begin().await?;
    let id = insert_secret(&mut tx, &key, (vault, &name), fields, &input.value, "", caller.user().id).await?;
    let changes = vec![
        Change::values("name", None, Some(name.as_str())),
        Change::changed("value"),
        Change::values("tags", None, Some(&tags.join(", "))),
    ];
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, "secret.create", (id, name.as_str()), changes),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a new version with `value`. `seen_version` is the version the person was looking at:
/// if the secret changed since, nothing is saved and they are told (pass `None` to save anyway).
pub async fn new_version(
    caller: &Caller,
    id: SecretId,
    value: SecretValue,
    note: &str,
    seen_version: Option<i64>,
) -> Result<i64, AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::WriteSecrets, (pf, vf)).await?;
    let note = check_note(note)?;
    save_version(caller, &secret, &value, &note, seen_version, "secret.new_version").await
}

#[allow(clippy::too_many_arguments)]
async fn save_version(
    caller: &Caller,
    secret: &SecretMeta,
    value: &SecretValue,
    note: &str,
    seen_version: Option<i64>,
    action: &str,
) -> Result<i64, AppError> {
    let key = data_key(&caller.state, secret.vault_id).await?;
    let mut tx = caller.state.db.begin().await?;
    let version = repo::next_version(&mut tx, secret.id, caller.user().id).await?;
    if let Some(seen) = seen_version
        && seen != version - 1
    {
        return Err(AppError::conflict(format!(
            "This secret changed since you opened it (you saw version {seen}, the current one is {}). Nothing was saved; review the latest version first.",
            version - 1
        )));
    }
    write_version(&mut tx, &key, (secret.vault_id, secret.id), version, value, note, caller.user().id).await?;
    let changes = vec![
        Change::values("version", Some(&(version - 1).to_string()), Some(&version.to_string())),
        Change::changed("value"),
    ];
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, action, (secret.id, &secret.name), changes),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Restores an old version by creating a new one that carries its value.
pub async fn restore(caller: &Caller, id: SecretId, version: i64) -> Result<i64, AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::WriteSecrets, (pf, vf)).await?;
    let value = open_version(&caller.state, &secret, version).await?;
    let note = format!("restored from version {version}");
    save_version(caller, &secret, &value, &note, None, "secret.restore").await
}

/// Opens a sealed value of `secret`'s `version` (the one place values are decrypted).
pub fn unseal(
    key: &DataKey,
    vault: VaultId,
    secret: SecretId,
    version: i64,
    sealed: &[u8],
) -> Result<SecretValue, AppError> {
    let plain = key.open(sealed, &value_aad(vault, secret, version)).map_err(|_| {
        tracing::error!(%secret, version, "a secret version failed its integrity check");
        AppError::internal()
    })?;
    let text = String::from_utf8(plain.to_vec()).map_err(|_| AppError::internal())?;
    // Stored values passed the size check when they were written.
    SecretValue::parse_confirmed("value", text, true).map_err(|_| AppError::internal())
}

async fn open_version(state: &AppState, secret: &SecretMeta, version: i64) -> Result<SecretValue, AppError> {
    let sealed = repo::ciphertext(&state.db, secret.id, version)
        .await?
        .ok_or_else(|| AppError::not_found(format!("This secret has no version {version}.")))?;
    let key = data_key(state, secret.vault_id).await?;
    unseal(&key, secret.vault_id, secret.id, version, &sealed)
}

/// How a value left the server, for the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevealKind {
    Reveal,
    Copy,
    Compare,
}

/// The value of a version (the current one by default), for those who may reveal. Audited.
pub async fn reveal(
    caller: &Caller,
    id: SecretId,
    version: Option<i64>,
    kind: RevealKind,
) -> Result<SecretValue, AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::RevealSecrets, (pf, vf)).await?;
    let version = version.unwrap_or(secret.current_version);
    let value = open_version(&caller.state, &secret, version).await?;
    let action = match kind {
        RevealKind::Reveal => "secret.reveal",
        RevealKind::Copy => "secret.copy",
        RevealKind::Compare => "secret.compare",
    };
    let mut tx = caller.state.db.begin().await?;
    let changes = vec![Change::values("version", None, Some(&version.to_string()))];
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, action, (secret.id, &secret.name), changes),
    )
    .await?;
    tx.commit().await?;
    Ok(value)
}

/// A line diff between two versions, for those who may reveal. Audited as a compare of each.
pub async fn compare(
    caller: &Caller,
    id: SecretId,
    a: i64,
    b: i64,
) -> Result<Vec<crate::domain::secret::DiffLine>, AppError> {
    let old = reveal(caller, id, Some(a), RevealKind::Compare).await?;
    let new = reveal(caller, id, Some(b), RevealKind::Compare).await?;
    Ok(crate::domain::secret::diff_lines(old.expose(), new.expose()))
}

/// A secret's metadata (anyone who sees the vault).
pub async fn get(caller: &Caller, id: SecretId) -> Result<SecretMeta, AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    Ok(secret)
}

/// Every secret of a vault (metadata only).
pub async fn list(caller: &Caller, vault: VaultId) -> Result<Vec<SecretMeta>, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    Ok(repo::list(&caller.state.db, vault).await?)
}

/// The version history (no values).
pub async fn history(caller: &Caller, id: SecretId) -> Result<Vec<VersionInfo>, AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    Ok(repo::versions(&caller.state.db, secret.id).await?)
}

/// Details as a form sends them. `seen_updated_at` is when the secret last changed as the
/// page showed it: if it changed since, nothing is saved and the person is told (pass `None`
/// to save anyway) — the same rule as for values.
#[derive(Debug)]
pub struct MetaInput {
    pub content_type: String,
    pub description: String,
    pub tags: String,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
    pub seen_updated_at: Option<Micros>,
}

fn show_time(t: Option<Micros>) -> Option<String> {
    t.map(crate::domain::time::rfc3339)
}

fn changed_since_opened() -> AppError {
    AppError::conflict(
        "This secret changed since you opened it. Nothing was saved; reload to see the latest details first.",
    )
}

/// Changes details (no new version); the audit entry names every field that changed.
pub async fn update_meta(caller: &Caller, id: SecretId, input: MetaInput) -> Result<(), AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::WriteSecrets, (pf, vf)).await?;
    let content_type = check_content_type(&input.content_type)?;
    let description = crate::domain::org::parse_description("description", &input.description)?;
    let tags = parse_tags("tags", &input.tags)?;
    check_dates(input.activation_at, input.expiration_at)?;
    if input.seen_updated_at.is_some_and(|seen| seen != secret.updated_at) {
        return Err(changed_since_opened());
    }
    let mut changes = Vec::new();
    let mut note = |field: &str, old: Option<String>, new: Option<String>| {
        if old != new {
            changes.push(Change::values(field, old.as_deref(), new.as_deref()));
        }
    };
    note("content_type", Some(secret.content_type.clone()), Some(content_type.clone()));
    note("description", Some(secret.description.clone()), Some(description.clone()));
    note("tags", Some(secret.tags.join(", ")), Some(tags.join(", ")));
    note("activation_at", show_time(secret.activation_at), show_time(input.activation_at));
    note("expiration_at", show_time(secret.expiration_at), show_time(input.expiration_at));
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = caller.state.db.begin().await?;
    let update = MetaUpdate {
        content_type: &content_type,
        description: &description,
        tags: &tags,
        activation_at: input.activation_at,
        expiration_at: input.expiration_at,
    };
    // The changes above were read before this transaction: write only if they still hold.
    if !repo::update_meta(&mut tx, id, update, caller.user().id, Some(secret.updated_at)).await? {
        return Err(changed_since_opened());
    }
    let who = actor(caller);
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&who, &caller.meta, "secret.update", (secret.id, &secret.name), changes),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enables or disables a secret, touching nothing else (a no-op when it already is).
pub async fn set_enabled(caller: &Caller, id: SecretId, enabled: bool) -> Result<(), AppError> {
    let (secret, pf, vf) = load(caller, id).await?;
    allow(caller, Action::WriteSecrets, (pf, vf)).await?;
    let mut tx = caller.state.db.begin().await?;
    if !repo::set_enabled(&mut tx, id, enabled, caller.user().id).await? {
        return Ok(());
    }
    let (action, old) = if enabled { ("secret.enable", "false") } else { ("secret.disable", "true") };
    let changes = vec![Change::values("enabled", Some(old), Some(&enabled.to_string()))];
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, action, (secret.id, &secret.name), changes),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One page of a vault's secrets for its table (metadata only), filtered and sorted in the
/// database.
pub async fn page(caller: &Caller, vault: VaultId, query: &SecretQuery) -> Result<SecretListing, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::ViewVault, (pf, vf)).await?;
    if query.text.chars().count() > NAME_MAX || query.tag.chars().count() > TAG_MAX {
        return Err(AppError::validation("filter", "The filter is too long."));
    }
    let now = crate::server::clock::now();
    let (total, tags) = repo::census(&caller.state.db, vault).await?;
    let pages = ((total.max(1) - 1) / PAGE_SIZE) + 1;
    let query = SecretQuery { page: query.page.clamp(1, pages), ..query.clone() };
    let (metas, matching) = repo::page(&caller.state.db, vault, &query, now).await?;
    let rows = metas
        .into_iter()
        .map(|meta| {
            let status = meta.status(now);
            SecretRow { meta, status }
        })
        .collect();
    let pages = ((matching.max(1) - 1) / PAGE_SIZE) + 1;
    Ok(SecretListing { rows, matching, total, page: query.page.min(pages), pages, tags })
}

/// Imports `.env` text into a vault. With `apply` false nothing is written: the report is the
/// preview. Lines that fail to read are reported and skipped; a name that exists gets a new
/// version only when `new_versions` is set. Everything written commits together, one audit
/// entry per secret.
pub async fn import(
    caller: &Caller,
    vault: VaultId,
    text: &str,
    new_versions: bool,
    apply: bool,
) -> Result<ImportReport, AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::WriteSecrets, (pf, vf)).await?;
    // Parsing is linear but up to 1 MiB: it runs beside the async workers, not on them.
    let owned = SecretText::new(text.to_owned());
    let (entries, errors) =
        tokio::task::spawn_blocking(move || dotenv::parse(owned.expose())).await.map_err(|_| AppError::internal())?;
    if entries.is_empty() && errors.is_empty() {
        return Err(AppError::validation("text", "Paste or choose a .env file with at least one NAME=value line."));
    }
    let existing: std::collections::HashMap<String, (SecretId, i64)> = repo::names(&caller.state.db, vault)
        .await?
        .into_iter()
        .map(|(name, id, version)| (name, (id, version)))
        .collect();
    let mut lines: Vec<ImportLine> = errors
        .into_iter()
        .map(|e| ImportLine { line: e.line, name: String::new(), outcome: ImportOutcome::Invalid(e.message) })
        .collect();
    let mut plan = Vec::new();
    for entry in &entries {
        let found = existing.get(&entry.name).copied();
        let outcome = match found {
            None => ImportOutcome::New,
            Some((_, v)) if new_versions => ImportOutcome::NewVersion { after: v },
            Some(_) => ImportOutcome::Exists,
        };
        if !matches!(outcome, ImportOutcome::Exists) {
            plan.push((entry, found.map(|(id, _)| id)));
        }
        lines.push(ImportLine { line: entry.line, name: entry.name.clone(), outcome });
    }
    lines.sort_by_key(|l| l.line);
    if !apply || plan.is_empty() {
        return Ok(ImportReport { lines, applied: apply });
    }
    let key = data_key(&caller.state, vault).await?;
    let who = actor(caller);
    let mut tx = caller.state.db.begin().await?;
    for (entry, found) in plan {
        let (id, version) = match found {
            Some(id) => {
                let version = repo::next_version(&mut tx, id, caller.user().id).await?;
                write_version(&mut tx, &key, (vault, id), version, &entry.value, "imported", caller.user().id).await?;
                (id, version)
            }
            None => {
                let name = SecretName::parse("name", &entry.name)?;
                let fields = Fields {
                    content_type: "text/plain",
                    description: "",
                    tags: &[],
                    activation_at: None,
                    expiration_at: None,
                };
                (
                    insert_secret(&mut tx, &key, (vault, &name), fields, &entry.value, "imported", caller.user().id)
                        .await?,
                    1,
                )
            }
        };
        let changes = vec![Change::values("version", None, Some(&version.to_string())), Change::changed("value")];
        audit::append(
            &mut tx,
            &caller.state.audit_key,
            self::entry(&who, &caller.meta, "secret.import", (id, &entry.name), changes),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ImportReport { lines, applied: true })
}

/// The vault's served secrets (enabled and active; expired ones too) as `.env` text, for
/// those who may reveal, with the vault's name. Audited as one export naming how many
/// secrets left.
pub async fn export(caller: &Caller, vault: VaultId) -> Result<(String, SecretText), AppError> {
    let (row, _, pf, vf) = load_vault(caller, vault).await?;
    allow(caller, Action::RevealSecrets, (pf, vf)).await?;
    let now = crate::server::clock::now();
    let key = data_key(&caller.state, vault).await?;
    let mut pairs = Vec::new();
    for (s, sealed) in repo::current_values(&caller.state.db, vault, repo::Only::All).await? {
        if s.status(now).is_served() {
            let value = unseal(&key, vault, s.id, s.current_version, &sealed)?;
            pairs.push((s.name, value));
        }
    }
    let text = dotenv::render(pairs.iter().map(|(n, v)| (n.as_str(), v.expose())));
    let mut tx = caller.state.db.begin().await?;
    let changes = vec![Change::values("secrets", None, Some(&pairs.len().to_string()))];
    let who = actor(caller);
    let e =
        Entry::about(&who, "vault.export", "vault", (vault.to_string(), &row.name), changes, caller.meta.ip.clone());
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    Ok((row.name, SecretText::new(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values sealed before the piecewise builder must still open: the bytes are the same.
    #[test]
    fn value_aad_keeps_its_bytes() {
        let (vault, secret) = (VaultId::new(), SecretId::new());
        for version in [1, 42, i64::MAX] {
            assert_eq!(value_aad(vault, secret, version), format!("secret:{vault}/{secret}/v{version}").into_bytes());
        }
    }
}
