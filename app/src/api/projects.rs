//! Server functions for projects, members and vaults. Each parses ids (a malformed id is
//! simply "not found"), calls one service function and returns its result.

use crate::domain::AppError;
use crate::domain::ids::{ProjectId, VaultId};
use crate::domain::org::{
    AccessHolder, ProjectAccess, ProjectDetail, ProjectSummary, VaultAccessList, VaultDetail, VaultSummary,
};
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::door::{self, ids},
    crate::server::services::{projects as svc, vaults as vault_svc},
};

/// Projects the signed-in user can see, filtered by name.
#[server(prefix = "/rpc", endpoint = "projects_list", protocol = WireProtocol)]
pub async fn list_projects(search: String, show_archived: bool) -> Result<Vec<ProjectSummary>, AppError> {
    door::respond(async { svc::list(&door::caller()?, &search, show_archived).await }).await
}

/// Creates a project (Admin) and returns its id.
#[server(prefix = "/rpc", endpoint = "projects_create", protocol = WireProtocol)]
pub async fn create_project(name: String, description: String) -> Result<ProjectId, AppError> {
    door::respond(async { svc::create(&door::caller()?, &name, &description).await }).await
}

/// One project.
#[server(prefix = "/rpc", endpoint = "projects_get", protocol = WireProtocol)]
pub async fn get_project(id: String) -> Result<ProjectDetail, AppError> {
    door::respond(async { svc::get(&door::caller()?, ids::project(&id)?).await }).await
}

/// Renames and re-describes a project.
#[server(prefix = "/rpc", endpoint = "projects_update", protocol = WireProtocol)]
pub async fn update_project(id: String, name: String, description: String) -> Result<(), AppError> {
    door::respond(async { svc::update(&door::caller()?, ids::project(&id)?, &name, &description).await }).await
}

/// Archives or unarchives a project.
#[server(prefix = "/rpc", endpoint = "projects_archive", protocol = WireProtocol)]
pub async fn set_project_archived(id: String, archived: bool) -> Result<(), AppError> {
    door::respond(async { svc::set_archived(&door::caller()?, ids::project(&id)?, archived).await }).await
}

/// Who has access to a project: its Admins and members.
#[server(prefix = "/rpc", endpoint = "project_access", protocol = WireProtocol)]
pub async fn get_project_access(id: String) -> Result<ProjectAccess, AppError> {
    door::respond(async { svc::who_has_access(&door::caller()?, ids::project(&id)?).await }).await
}

/// Adds a member with a role (no `user_id`: nobody was picked, which the person is told).
#[server(prefix = "/rpc", endpoint = "members_add", protocol = WireProtocol)]
pub async fn add_member(project_id: String, user_id: Option<String>, role: String) -> Result<(), AppError> {
    door::respond(async {
        let user = ids::user(user_id.as_deref().unwrap_or_default())?;
        let (project, role) = (ids::project(&project_id)?, ids::role("role", &role)?);
        svc::add_member(&door::caller()?, project, user, role).await
    })
    .await
}

/// Changes a member's role from the one shown (`from`) to `to`.
#[server(prefix = "/rpc", endpoint = "members_role", protocol = WireProtocol)]
pub async fn change_member_role(project_id: String, user_id: String, from: String, to: String) -> Result<(), AppError> {
    door::respond(async {
        let (project, user) = (ids::project(&project_id)?, ids::user(&user_id)?);
        let (from, to) = (ids::role("role", &from)?, ids::role("role", &to)?);
        svc::change_role(&door::caller()?, project, user, from, to).await
    })
    .await
}

/// Removes a member.
#[server(prefix = "/rpc", endpoint = "members_remove", protocol = WireProtocol)]
pub async fn remove_member(project_id: String, user_id: String) -> Result<(), AppError> {
    door::respond(async {
        let (project, user) = (ids::project(&project_id)?, ids::user(&user_id)?);
        svc::remove_member(&door::caller()?, project, user).await
    })
    .await
}

/// The vaults of a project the user can see.
#[server(prefix = "/rpc", endpoint = "vaults_list", protocol = WireProtocol)]
pub async fn list_vaults(project_id: String) -> Result<Vec<VaultSummary>, AppError> {
    door::respond(async { vault_svc::list(&door::caller()?, ids::project(&project_id)?).await }).await
}

/// Creates a vault and returns its id.
#[server(prefix = "/rpc", endpoint = "vaults_create", protocol = WireProtocol)]
pub async fn create_vault(project_id: String, name: String, description: String) -> Result<VaultId, AppError> {
    door::respond(async {
        let project = ids::project(&project_id)?;
        vault_svc::create(&door::caller()?, project, &name, &description).await
    })
    .await
}

/// One vault.
#[server(prefix = "/rpc", endpoint = "vaults_get", protocol = WireProtocol)]
pub async fn get_vault(id: String) -> Result<VaultDetail, AppError> {
    door::respond(async { vault_svc::get(&door::caller()?, ids::vault(&id)?).await }).await
}

/// Renames and re-describes a vault.
#[server(prefix = "/rpc", endpoint = "vaults_update", protocol = WireProtocol)]
pub async fn update_vault(id: String, name: String, description: String) -> Result<(), AppError> {
    door::respond(async { vault_svc::update(&door::caller()?, ids::vault(&id)?, &name, &description).await }).await
}

/// Saves the vault's access settings (checkboxes: present means on).
#[server(prefix = "/rpc", endpoint = "vaults_settings", protocol = WireProtocol)]
pub async fn save_vault_settings(
    id: String,
    restricted: Option<String>,
    contributors_manage_keys: Option<String>,
) -> Result<(), AppError> {
    door::respond(async {
        let (restricted, keys) = (restricted.is_some(), contributors_manage_keys.is_some());
        vault_svc::set_settings(&door::caller()?, ids::vault(&id)?, restricted, keys).await
    })
    .await
}

/// Who can see a vault.
#[server(prefix = "/rpc", endpoint = "vaults_who", protocol = WireProtocol)]
pub async fn vault_who_has_access(id: String) -> Result<Vec<AccessHolder>, AppError> {
    door::respond(async { vault_svc::who_has_access(&door::caller()?, ids::vault(&id)?).await }).await
}

/// The restricted vault's member list and candidates.
#[server(prefix = "/rpc", endpoint = "vaults_access", protocol = WireProtocol)]
pub async fn get_vault_access(id: String) -> Result<VaultAccessList, AppError> {
    door::respond(async { vault_svc::access_list(&door::caller()?, ids::vault(&id)?).await }).await
}

/// Puts a user on (`listed` true) or takes them off a vault's member list (no `user_id`:
/// nobody was picked).
#[server(prefix = "/rpc", endpoint = "vaults_member", protocol = WireProtocol)]
pub async fn set_vault_member(vault_id: String, user_id: Option<String>, listed: bool) -> Result<(), AppError> {
    door::respond(async {
        let (vault, user) = (ids::vault(&vault_id)?, ids::user(user_id.as_deref().unwrap_or_default())?);
        vault_svc::set_listed(&door::caller()?, vault, user, listed).await
    })
    .await
}
