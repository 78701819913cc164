//! Vaults: created, renamed and configured by Admins and the project's Project Managers;
//! seen by project members unless restricted. Each vault gets its own data key, wrapped by
//! the master key with the vault id as associated data.

use crate::domain::AppError;
use crate::domain::ids::{ProjectId, UserId, VaultId};
use crate::domain::org::{
    AccessHolder, VaultAccessList, VaultDetail, VaultSummary, parse_description, parse_resource_name, sort_holders,
};
use crate::domain::permission::{Action, Decision, ProjectFacts, Resource, VaultFacts, can};
use crate::server::audit::{self, Change, Entry};
use crate::server::crypto::DataKey;
use crate::server::error::unique_or;
use crate::server::repo::vaults::{self, NewVault, VaultRow};
use crate::server::repo::{memberships, users};
use crate::server::services::{actor, principal, projects as project_service, require};
use crate::server::{AppState, Caller, RequestMeta};

/// The associated data binding a vault's wrapped key to the vault.
pub fn key_aad(vault: VaultId) -> Vec<u8> {
    format!("vault-key:{vault}").into_bytes()
}

/// A vault with the asker's facts about it and its project.
pub(super) async fn load(
    caller: &Caller,
    id: VaultId,
) -> Result<(VaultRow, String, ProjectFacts, VaultFacts), AppError> {
    let vault = vaults::find(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such vault."))?;
    let (project, pf) = project_service::load(caller, vault.project_id).await?;
    let on_member_list = vaults::is_listed(&caller.state.db, id, caller.user().id).await?;
    let vf = VaultFacts {
        restricted: vault.restricted,
        on_member_list,
        contributors_manage_keys: vault.contributors_manage_keys,
    };
    Ok((vault, project.name, pf, vf))
}

fn entry<'a>(
    actor: &'a audit::Actor,
    meta: &RequestMeta,
    action: &'a str,
    vault: &VaultRow,
    changes: Vec<Change>,
) -> Entry<'a> {
    Entry::about(actor, action, "vault", (vault.id.to_string(), &vault.name), changes, meta.ip.clone())
}

fn duplicate_name(e: sqlx::Error) -> AppError {
    unique_or(e, "name", "A vault with this name already exists in the project.")
}

/// The vaults of a project the asker may see.
pub async fn list(caller: &Caller, project: ProjectId) -> Result<Vec<VaultSummary>, AppError> {
    let (_, pf) = project_service::load(caller, project).await?;
    require(caller, Action::ViewProject, Resource::Project(pf), "project").await?;
    let who = principal(caller);
    Ok(vaults::list(&caller.state.db, project, caller.user().id)
        .await?
        .into_iter()
        .filter(|(v, listed)| {
            let vf = VaultFacts {
                restricted: v.restricted,
                on_member_list: *listed,
                contributors_manage_keys: v.contributors_manage_keys,
            };
            can(who, Action::ViewVault, Resource::Vault(pf, vf)) == Decision::Allow
        })
        .map(|(v, _)| VaultSummary { id: v.id, name: v.name, description: v.description, restricted: v.restricted })
        .collect())
}

/// Creates a vault with a fresh data key.
pub async fn create(caller: &Caller, project: ProjectId, name: &str, description: &str) -> Result<VaultId, AppError> {
    let (_, pf) = project_service::load(caller, project).await?;
    require(caller, Action::ManageVaults, Resource::Project(pf), "project").await?;
    let name = parse_resource_name("name", name)?;
    let description = parse_description("description", description)?;
    let id = VaultId::new();
    let keys = &caller.state.master;
    let wrapped = keys.current().wrap(&DataKey::generate(), &key_aad(id));
    let mut tx = caller.state.db.begin().await?;
    let new = NewVault {
        id,
        project,
        name: &name,
        description: &description,
        wrapped_key: &wrapped,
        master_key_id: keys.current_id(),
        by: caller.user().id,
    };
    vaults::insert(&mut tx, new).await.map_err(duplicate_name)?;
    let row = VaultRow {
        id,
        project_id: project,
        name: name.clone(),
        description: description.clone(),
        restricted: false,
        contributors_manage_keys: false,
    };
    let changes = vec![
        Change::values("name", None, Some(&name)),
        Change::values("description", None, Some(&description)),
        Change::values("project_id", None, Some(&project.to_string())),
    ];
    audit::append(&mut tx, &caller.state.audit_key, entry(&actor(caller), &caller.meta, "vault.create", &row, changes))
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// One vault as its page shows it.
pub async fn get(caller: &Caller, id: VaultId) -> Result<VaultDetail, AppError> {
    let (vault, project_name, pf, vf) = load(caller, id).await?;
    require(caller, Action::ViewVault, Resource::Vault(pf, vf), "vault").await?;
    Ok(VaultDetail {
        id: vault.id,
        name: vault.name,
        description: vault.description,
        project_id: vault.project_id,
        project_name,
        project: pf,
        vault: vf,
        viewer: principal(caller),
    })
}

/// Renames and re-describes a vault.
pub async fn update(caller: &Caller, id: VaultId, name: &str, description: &str) -> Result<(), AppError> {
    let (vault, _, pf, vf) = load(caller, id).await?;
    require(caller, Action::ManageVaults, Resource::Vault(pf, vf), "vault").await?;
    let name = parse_resource_name("name", name)?;
    let description = parse_description("description", description)?;
    let mut changes = Vec::new();
    if name != vault.name {
        changes.push(Change::values("name", Some(&vault.name), Some(&name)));
    }
    if description != vault.description {
        changes.push(Change::values("description", Some(&vault.description), Some(&description)));
    }
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = caller.state.db.begin().await?;
    vaults::update(&mut tx, id, &name, &description).await.map_err(duplicate_name)?;
    let renamed = VaultRow { name, ..vault };
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, "vault.update", &renamed, changes),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns the restriction and the "Contributors may create keys and certificates" setting
/// on or off.
pub async fn set_settings(
    caller: &Caller,
    id: VaultId,
    restricted: bool,
    contributors_manage_keys: bool,
) -> Result<(), AppError> {
    let (vault, _, pf, vf) = load(caller, id).await?;
    require(caller, Action::ManageVaults, Resource::Vault(pf, vf), "vault").await?;
    let mut changes = Vec::new();
    let flag =
        |field: &str, old: bool, new: bool| Change::values(field, Some(&old.to_string()), Some(&new.to_string()));
    if restricted != vault.restricted {
        changes.push(flag("restricted", vault.restricted, restricted));
    }
    if contributors_manage_keys != vault.contributors_manage_keys {
        changes.push(flag("contributors_manage_keys", vault.contributors_manage_keys, contributors_manage_keys));
    }
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = caller.state.db.begin().await?;
    vaults::set_settings(&mut tx, id, restricted, contributors_manage_keys).await?;
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, "vault.settings", &vault, changes),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who can see this vault: Admins, and the project's members — for a restricted vault only
/// its Project Managers and the people on its list — decided person by person by the
/// permission function.
///
/// Shown to everyone who can see the vault, Read-only members included, the same rule as the
/// project's "Who has access" (shown to everyone who can see the project): whoever may read a
/// vault may know who else reads it. The list itself is edited only in Settings, by those
/// who manage the vault.
pub async fn who_has_access(caller: &Caller, id: VaultId) -> Result<Vec<AccessHolder>, AppError> {
    let (vault, _, pf, vf) = load(caller, id).await?;
    require(caller, Action::ViewVault, Resource::Vault(pf, vf), "vault").await?;
    let mut people = memberships::holders(&caller.state.db, vault.project_id, Some(id)).await?;
    people.retain(|p| p.can_see(pf, Some(vf)));
    sort_holders(&mut people);
    Ok(people)
}

/// The restricted vault's member list and who could be added (for those who manage it).
pub async fn access_list(caller: &Caller, id: VaultId) -> Result<VaultAccessList, AppError> {
    let (vault, _, pf, vf) = load(caller, id).await?;
    require(caller, Action::ManageVaults, Resource::Vault(pf, vf), "vault").await?;
    Ok(VaultAccessList {
        members: vaults::members(&caller.state.db, id).await?,
        candidates: vaults::candidates(&caller.state.db, id, vault.project_id).await?,
    })
}

/// Puts a project member on, or takes them off, the vault's member list.
pub async fn set_listed(caller: &Caller, id: VaultId, user: UserId, listed: bool) -> Result<(), AppError> {
    let (vault, _, pf, vf) = load(caller, id).await?;
    require(caller, Action::ManageVaults, Resource::Vault(pf, vf), "vault").await?;
    if listed && memberships::role(&caller.state.db, vault.project_id, user).await?.is_none() {
        return Err(AppError::validation("user", "Only members of the project can be put on a vault's list."));
    }
    if listed && !memberships::is_pickable(&caller.state.db, user).await? {
        return Err(AppError::validation("user", "Choose a member whose account is not disabled."));
    }
    let target = users::find(caller.state.db.reader(), user)
        .await?
        .ok_or_else(|| AppError::validation("user", "No such user."))?;
    let mut tx = caller.state.db.begin().await?;
    let changed = if listed {
        vaults::add_member(&mut tx, id, user).await?
    } else {
        vaults::remove_member(&mut tx, id, user).await?
    };
    if !changed {
        let now = if listed { "already on" } else { "not on" };
        return Err(AppError::conflict(format!("{} is {now} this vault's list; nothing was changed.", target.name)));
    }
    let action = if listed { "vault.member_add" } else { "vault.member_remove" };
    let (old, new) = if listed { (None, Some(target.email.as_str())) } else { (Some(target.email.as_str()), None) };
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, action, &vault, vec![Change::values("member", old, new)]),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A vault's data key, unwrapped once per process and kept (see `AppState::data_keys`).
pub async fn data_key(state: &AppState, vault: VaultId) -> Result<std::sync::Arc<DataKey>, AppError> {
    if let Some(key) = state.data_keys.get(vault) {
        return Ok(key);
    }
    let (wrapped, key_id) =
        vaults::wrapped_key(&state.db, vault).await?.ok_or_else(|| AppError::not_found("No such vault."))?;
    let aad = key_aad(vault);
    let (key, _) = state.master.unwrap_by(key_id.as_deref(), |m| m.unwrap(&wrapped, &aad)).map_err(|e| {
        tracing::error!(%vault, error = %e, "a vault key could not be unwrapped");
        AppError::unavailable(format!("This vault's key cannot be opened on this server: {e}."))
    })?;
    let key = std::sync::Arc::new(key);
    state.data_keys.put(vault, key.clone());
    Ok(key)
}
