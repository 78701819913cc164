//! Access keys, as Admins and the project's Project Managers manage them: create (the key is
//! returned once and stored as a hash), list, revoke. Every change is audited. In an archived
//! project keys can still be listed and revoked (revoking only takes access away), but not
//! created.

use crate::domain::AppError;
use crate::domain::access_key::{AccessKeyInfo, CreatedAccessKey, NAME_MAX};
use crate::domain::ids::{AccessKeyId, VaultId};
use crate::domain::permission::{Action, Resource};
use crate::domain::secret::SecretValue;
use crate::domain::time::{Micros, rfc3339};
use crate::server::audit::{self, Change, Entry};
use crate::server::repo::access_keys::{self as repo, NewKey};
use crate::server::services::vaults::load as load_vault;
use crate::server::services::{actor, require};
use crate::server::tokens::{self, TokenKind};
use crate::server::{Caller, clock};

/// Characters of a key kept as its hint (the prefix plus a few random ones).
const HINT_LEN: usize = 16;

/// Checks `action` (listing and revoking, or creating) on `vault` for the asker.
async fn allow(caller: &Caller, vault: VaultId, action: Action) -> Result<(), AppError> {
    let (_, _, pf, vf) = load_vault(caller, vault).await?;
    require(caller, action, Resource::Vault(pf, vf), "vault").await
}

fn check_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "Enter a name that says who uses the key, such as “CI deploy”."));
    }
    if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(AppError::validation(
            "name",
            format!("Use at most {NAME_MAX} characters, without control characters."),
        ));
    }
    Ok(name.to_owned())
}

/// The keys of a vault.
pub async fn list(caller: &Caller, vault: VaultId) -> Result<Vec<AccessKeyInfo>, AppError> {
    allow(caller, vault, Action::ManageAccessKeys).await?;
    Ok(repo::list(&caller.state.db, vault).await?)
}

/// Creates a key for a vault; the returned key is the only time it exists in full.
pub async fn create(
    caller: &Caller,
    vault: VaultId,
    name: &str,
    expires_at: Option<Micros>,
) -> Result<CreatedAccessKey, AppError> {
    allow(caller, vault, Action::CreateAccessKey).await?;
    let name = check_name(name)?;
    if expires_at.is_some_and(|e| e <= clock::now()) {
        return Err(AppError::validation("expires_at", "Choose an expiry in the future, or none."));
    }
    let token = tokens::generate(TokenKind::AccessKey);
    let hint = format!("{}…", &token.expose()[..HINT_LEN]);
    let id = AccessKeyId::new();
    let mut tx = caller.state.db.begin().await?;
    let new = NewKey {
        id,
        vault,
        name: &name,
        token_hash: &tokens::token_hash(token.expose()),
        hint: &hint,
        expires_at,
        by: caller.user().id,
    };
    repo::insert(&mut tx, new).await?;
    let changes = vec![
        Change::values("vault", None, Some(&vault.to_string())),
        Change::values("expires_at", None, expires_at.map(rfc3339).as_deref()),
    ];
    let who = actor(caller);
    let e =
        Entry::about(&who, "access_key.create", "access_key", (id.to_string(), &name), changes, caller.meta.ip.clone());
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    let info = repo::find(&caller.state.db, id).await?.ok_or_else(AppError::internal)?;
    let key = SecretValue::parse("key", token.expose().to_owned())?;
    Ok(CreatedAccessKey { info, key })
}

/// Revokes a key: the very next request carrying it is refused, on every node. Allowed in an
/// archived project too, so machines can be cut off from one without unarchiving it.
pub async fn revoke(caller: &Caller, id: AccessKeyId) -> Result<(), AppError> {
    let key = repo::find(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such access key."))?;
    allow(caller, key.vault_id, Action::ManageAccessKeys).await?;
    let mut tx = caller.state.db.begin().await?;
    if !repo::revoke(&mut tx, id, caller.user().id).await? {
        return Err(AppError::conflict("This access key is already revoked."));
    }
    let changes = vec![Change::values("revoked", Some("false"), Some("true"))];
    let who = actor(caller);
    let e = Entry::about(
        &who,
        "access_key.revoke",
        "access_key",
        (id.to_string(), &key.name),
        changes,
        caller.meta.ip.clone(),
    );
    audit::append(&mut tx, &caller.state.audit_key, e).await?;
    tx.commit().await?;
    Ok(())
}
