//! Server functions for secrets. Values travel only in answers to an explicit reveal, copy or
//! compare, which the service audits; every response from here is `Cache-Control: no-store`.

// A server function takes its form's fields as arguments; the create form has eight.
#![allow(clippy::too_many_arguments)]

use crate::domain::AppError;
use crate::domain::dotenv::ImportReport;
use crate::domain::ids::SecretId;
use crate::domain::secret::{DiffLine, SecretListing, SecretPage, SecretValue};
use crate::domain::validate::SecretInput;
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::door::{self, ids},
    crate::domain::secret::{SecretQuery, SecretSort, SecretStatus},
    crate::server::services::{secrets as svc, vaults as vault_svc},
};

/// Reads a `datetime-local` field (taken as UTC); empty means "not set".
#[cfg(feature = "ssr")]
pub(crate) fn when(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let parsed = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| AppError::validation(field, "Enter a date and time like 2027-02-11T22:26."))?;
    Ok(Some(parsed.and_utc().timestamp_micros()))
}

/// One page of a vault's secrets: filter text (name or tag), exact tag, status (empty for
/// all), sort column (`name`, `version`, `updated`), direction and page (from 1).
#[server(prefix = "/rpc", endpoint = "secrets_list", protocol = WireProtocol)]
pub async fn list_secrets(
    vault_id: String,
    text: String,
    tag: String,
    status: String,
    sort: String,
    descending: bool,
    page: i64,
) -> Result<SecretListing, AppError> {
    door::respond(async {
        let query = SecretQuery {
            text,
            tag,
            status: SecretStatus::parse(&status),
            sort: SecretSort::parse(&sort),
            descending,
            page,
        };
        svc::page(&door::caller()?, ids::vault(&vault_id)?, &query).await
    })
    .await
}

/// Previews (`apply` false) or runs an import of `.env` text into a vault.
#[server(prefix = "/rpc", endpoint = "secrets_import", protocol = WireProtocol)]
pub async fn import_secrets(
    vault_id: String,
    text: SecretInput,
    new_versions: bool,
    apply: bool,
) -> Result<ImportReport, AppError> {
    door::respond(async {
        let text = crate::server::crypto::SecretText::new(text.take());
        let vault = ids::vault(&vault_id)?;
        svc::import(&door::caller()?, vault, text.expose(), new_versions, apply).await
    })
    .await
}

/// Creates a secret and returns its id. An empty value needs `allow_empty` (a ticked box).
#[server(prefix = "/rpc", endpoint = "secrets_create", protocol = WireProtocol)]
#[allow(clippy::too_many_arguments)]
pub async fn create_secret(
    vault_id: String,
    name: String,
    value: SecretInput,
    content_type: String,
    description: String,
    tags: String,
    activation_at: String,
    expiration_at: String,
    allow_empty: Option<String>,
) -> Result<SecretId, AppError> {
    door::respond(async {
        let input = svc::NewSecretInput {
            name,
            value: SecretValue::parse_confirmed("value", value.take(), allow_empty.is_some())?,
            content_type,
            description,
            tags,
            activation_at: when("activation_at", &activation_at)?,
            expiration_at: when("expiration_at", &expiration_at)?,
        };
        svc::create(&door::caller()?, ids::vault(&vault_id)?, input).await
    })
    .await
}

/// The secret page: metadata, status, history and the vault it lives in.
#[server(prefix = "/rpc", endpoint = "secrets_get", protocol = WireProtocol)]
pub async fn get_secret(id: String) -> Result<SecretPage, AppError> {
    door::respond(async {
        let caller = door::caller()?;
        let id = ids::secret(&id)?;
        let secret = svc::get(&caller, id).await?;
        let versions = svc::history(&caller, id).await?;
        let vault = vault_svc::get(&caller, secret.vault_id).await?;
        let status = secret.status(crate::server::clock::now());
        Ok(SecretPage { meta: secret, status, versions, vault })
    })
    .await
}

/// A version's value (the current one without `version`); `kind` is reveal, copy or compare.
#[server(prefix = "/rpc", endpoint = "secrets_reveal", protocol = WireProtocol)]
pub async fn reveal_secret(id: String, version: Option<i64>, kind: String) -> Result<SecretValue, AppError> {
    door::respond(async {
        let kind = match kind.as_str() {
            "copy" => svc::RevealKind::Copy,
            "compare" => svc::RevealKind::Compare,
            _ => svc::RevealKind::Reveal,
        };
        svc::reveal(&door::caller()?, ids::secret(&id)?, version, kind).await
    })
    .await
}

/// Saves a new version; `seen_version` is the version the page showed. An empty value needs
/// `allow_empty` (a ticked box).
#[server(prefix = "/rpc", endpoint = "secrets_version", protocol = WireProtocol)]
pub async fn new_secret_version(
    id: String,
    value: SecretInput,
    note: String,
    seen_version: Option<i64>,
    allow_empty: Option<String>,
) -> Result<i64, AppError> {
    door::respond(async {
        let value = SecretValue::parse_confirmed("value", value.take(), allow_empty.is_some())?;
        svc::new_version(&door::caller()?, ids::secret(&id)?, value, &note, seen_version).await
    })
    .await
}

/// Restores a version as a new one.
#[server(prefix = "/rpc", endpoint = "secrets_restore", protocol = WireProtocol)]
pub async fn restore_secret(id: String, version: i64) -> Result<i64, AppError> {
    door::respond(async { svc::restore(&door::caller()?, ids::secret(&id)?, version).await }).await
}

/// Enables or disables a secret.
#[server(prefix = "/rpc", endpoint = "secrets_enabled", protocol = WireProtocol)]
pub async fn set_secret_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    door::respond(async { svc::set_enabled(&door::caller()?, ids::secret(&id)?, enabled).await }).await
}

/// A line diff between two versions.
#[server(prefix = "/rpc", endpoint = "secrets_compare", protocol = WireProtocol)]
pub async fn compare_secret_versions(id: String, a: i64, b: i64) -> Result<Vec<DiffLine>, AppError> {
    door::respond(async { svc::compare(&door::caller()?, ids::secret(&id)?, a, b).await }).await
}

/// Changes a secret's metadata (no new version).
#[server(prefix = "/rpc", endpoint = "secrets_meta", protocol = WireProtocol)]
pub async fn update_secret_meta(
    id: String,
    content_type: String,
    description: String,
    tags: String,
    activation_at: String,
    expiration_at: String,
    seen_updated_at: Option<i64>,
) -> Result<(), AppError> {
    door::respond(async {
        let input = svc::MetaInput {
            content_type,
            description,
            tags,
            activation_at: when("activation_at", &activation_at)?,
            expiration_at: when("expiration_at", &expiration_at)?,
            seen_updated_at,
        };
        svc::update_meta(&door::caller()?, ids::secret(&id)?, input).await
    })
    .await
}
