//! Server functions for keys. Private material never travels through here: downloads are
//! plain links (see the server's `downloads`), so the browser saves the file itself. A public
//! token travels once, in the answer that issued it.

// A server function takes its form's fields as arguments; the create forms have seven.
#![allow(clippy::too_many_arguments)]

use crate::domain::AppError;
use crate::domain::key::{IssuedToken, KeyRow, KeyView};
use crate::domain::org::VaultDetail;
use crate::domain::validate::SecretInput;
use crate::wire::WireProtocol;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::door::{self, ids},
    super::secrets::when,
    crate::server::services::keys::{self as svc, KeyMetaInput, NewKeyInput},
};

/// The keys of a vault with their status now.
#[server(prefix = "/rpc", endpoint = "keys_list", protocol = WireProtocol)]
pub async fn list_keys(vault_id: String) -> Result<Vec<KeyRow>, AppError> {
    door::respond(async {
        let now = crate::server::clock::now();
        let keys = svc::list(&door::caller()?, ids::vault(&vault_id)?).await?;
        Ok(keys.into_iter().map(|meta| KeyRow { status: meta.status(now), meta }).collect())
    })
    .await
}

#[cfg(feature = "ssr")]
fn new_key_input(
    name: String,
    algorithm: String,
    output_format: String,
    tags: String,
    activation_at: &str,
    expiration_at: &str,
) -> Result<NewKeyInput, AppError> {
    Ok(NewKeyInput {
        name,
        algorithm,
        output_format,
        tags,
        activation_at: when("activation_at", activation_at)?,
        expiration_at: when("expiration_at", expiration_at)?,
    })
}

/// Generates a key pair and returns its id.
#[server(prefix = "/rpc", endpoint = "keys_generate", protocol = WireProtocol)]
pub async fn generate_key(
    vault_id: String,
    name: String,
    algorithm: String,
    output_format: String,
    tags: String,
    activation_at: String,
    expiration_at: String,
) -> Result<String, AppError> {
    door::respond(async {
        let input = new_key_input(name, algorithm, output_format, tags, &activation_at, &expiration_at)?;
        Ok(svc::generate(&door::caller()?, ids::vault(&vault_id)?, input).await?.to_string())
    })
    .await
}

/// Stores an uploaded private key (PEM or OpenSSH) and returns its id.
#[server(prefix = "/rpc", endpoint = "keys_upload", protocol = WireProtocol)]
pub async fn upload_key(
    vault_id: String,
    name: String,
    output_format: String,
    tags: String,
    activation_at: String,
    expiration_at: String,
    private_key: SecretInput,
) -> Result<String, AppError> {
    door::respond(async {
        let text = crate::server::crypto::SecretText::new(private_key.take());
        let input = new_key_input(name, String::new(), output_format, tags, &activation_at, &expiration_at)?;
        Ok(svc::upload(&door::caller()?, ids::vault(&vault_id)?, input, text).await?.to_string())
    })
    .await
}

/// One key: metadata and its public half.
#[server(prefix = "/rpc", endpoint = "keys_get", protocol = WireProtocol)]
pub async fn get_key(id: String) -> Result<KeyView, AppError> {
    door::respond(async { svc::get(&door::caller()?, ids::key(&id)?).await }).await
}

/// What the key page shows: the key, and its vault for the trail and for what the viewer may
/// do there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPage {
    pub key: KeyView,
    pub vault: VaultDetail,
}

/// One key with its vault, in one call: the page's one resource reads both. (Two calls in one
/// loader broke hydration: server rendering may start a page twice, and the first start's
/// second call then ran without the request's context.)
#[server(prefix = "/rpc", endpoint = "keys_page", protocol = WireProtocol)]
pub async fn get_key_page(id: String) -> Result<KeyPage, AppError> {
    door::respond(async {
        let caller = door::caller()?;
        let key = svc::get(&caller, ids::key(&id)?).await?;
        let vault = crate::server::services::vaults::get(&caller, key.meta.vault_id).await?;
        Ok(KeyPage { key, vault })
    })
    .await
}

/// Enables or disables a key.
#[server(prefix = "/rpc", endpoint = "keys_enabled", protocol = WireProtocol)]
pub async fn set_key_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    door::respond(async { svc::set_enabled(&door::caller()?, ids::key(&id)?, enabled).await }).await
}

/// Changes a key's tags and dates.
#[server(prefix = "/rpc", endpoint = "keys_meta", protocol = WireProtocol)]
pub async fn update_key_meta(
    id: String,
    tags: String,
    activation_at: String,
    expiration_at: String,
    seen_updated_at: i64,
) -> Result<(), AppError> {
    door::respond(async {
        let input = KeyMetaInput {
            tags,
            activation_at: when("activation_at", &activation_at)?,
            expiration_at: when("expiration_at", &expiration_at)?,
            seen_updated_at,
        };
        svc::update_meta(&door::caller()?, ids::key(&id)?, input).await
    })
    .await
}

/// Turns public visibility on (the answer carries the new token, once) or off.
#[server(prefix = "/rpc", endpoint = "keys_public", protocol = WireProtocol)]
pub async fn set_key_public(id: String, public: bool) -> Result<Option<IssuedToken>, AppError> {
    door::respond(async {
        let key = ids::key(&id)?;
        issued(svc::set_public(&door::caller()?, key, public).await?, format!("/api/v1/keys/{key}"))
    })
    .await
}

/// A token just issued (if any) as the page shows it once, with the path it opens.
#[cfg(feature = "ssr")]
pub(crate) fn issued(
    token: Option<crate::server::crypto::SecretText>,
    path: String,
) -> Result<Option<IssuedToken>, AppError> {
    token
        .map(|t| {
            let token = crate::domain::secret::SecretValue::parse("token", t.expose().to_owned())?;
            Ok(IssuedToken { token, path })
        })
        .transpose()
}
