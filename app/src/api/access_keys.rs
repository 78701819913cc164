//! Server functions for access keys (Admins and the project's Project Managers).

use crate::domain::AppError;
use crate::domain::access_key::{AccessKeyInfo, CreatedAccessKey};
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::door::{self, ids};

/// The keys of a vault.
#[server(prefix = "/rpc", endpoint = "access_keys_list", protocol = WireProtocol)]
pub async fn list_access_keys(vault_id: String) -> Result<Vec<AccessKeyInfo>, AppError> {
    door::respond(async { crate::server::services::access_keys::list(&door::caller()?, ids::vault(&vault_id)?).await })
        .await
}

/// Creates a key; the answer carries the full key, the only time it exists in full.
#[server(prefix = "/rpc", endpoint = "access_keys_create", protocol = WireProtocol)]
pub async fn create_access_key(
    vault_id: String,
    name: String,
    expires_at: String,
) -> Result<CreatedAccessKey, AppError> {
    door::respond(async {
        let expires_at = super::secrets::when("expires_at", &expires_at)?;
        let vault = ids::vault(&vault_id)?;
        crate::server::services::access_keys::create(&door::caller()?, vault, &name, expires_at).await
    })
    .await
}

/// Revokes a key at once.
#[server(prefix = "/rpc", endpoint = "access_keys_revoke", protocol = WireProtocol)]
pub async fn revoke_access_key(id: String) -> Result<(), AppError> {
    door::respond(async {
        let id =
            crate::domain::ids::AccessKeyId::parse(&id).ok_or_else(|| AppError::not_found("No such access key."))?;
        crate::server::services::access_keys::revoke(&door::caller()?, id).await
    })
    .await
}
