//! Projects and their members. Only Admins create, rename and archive projects; Project
//! Managers manage Contributor and Read-only members of their own projects (SPEC §2).

use crate::domain::AppError;
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::org::{
    ProjectAccess, ProjectDetail, ProjectSummary, parse_description, parse_resource_name, sort_holders,
};
use crate::domain::permission::{Action, Decision, ProjectFacts, ProjectRole, Resource, can};
use crate::server::audit::{self, Change, Entry};
use crate::server::error::unique_or;
use crate::server::repo::projects::{self, ProjectRow};
use crate::server::repo::{memberships, users};
use crate::server::services::{actor, principal, require};
use crate::server::{Caller, RequestMeta};

/// A project and the asker's facts about it, or "not found" for a project that does not
/// exist (the permission check turns "not a member" into the same answer).
pub(super) async fn load(caller: &Caller, id: ProjectId) -> Result<(ProjectRow, ProjectFacts), AppError> {
    let project = projects::find(&caller.state.db, id).await?.ok_or_else(|| AppError::not_found("No such project."))?;
    let role = memberships::role(&caller.state.db, id, caller.user().id).await?;
    let facts = ProjectFacts { role, archived: project.archived };
    Ok((project, facts))
}

fn entry<'a>(
    actor: &'a audit::Actor,
    meta: &RequestMeta,
    action: &'a str,
    project: &ProjectRow,
    changes: Vec<Change>,
) -> Entry<'a> {
    Entry::about(actor, action, "project", (project.id.to_string(), &project.name), changes, meta.ip.clone())
}

fn duplicate_name(e: sqlx::Error) -> AppError {
    unique_or(e, "name", "A project with this name already exists.")
}

/// Projects the asker belongs to (all for Admins), filtered by name.
pub async fn list(caller: &Caller, search: &str, show_archived: bool) -> Result<Vec<ProjectSummary>, AppError> {
    if !principal(caller).active {
        return Err(AppError::forbidden("Your account is not active."));
    }
    let search: String = search.chars().take(100).collect();
    Ok(projects::list(&caller.state.db, caller.user().id, caller.user().is_admin, &search, show_archived).await?)
}

/// Creates a project (Admin only).
pub async fn create(caller: &Caller, name: &str, description: &str) -> Result<ProjectId, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "project").await?;
    let name = parse_resource_name("name", name)?;
    let description = parse_description("description", description)?;
    let mut tx = caller.state.db.begin().await?;
    let id = projects::insert(&mut tx, &name, &description, caller.user().id).await.map_err(duplicate_name)?;
    let row = ProjectRow { id, name: name.clone(), description: description.clone(), archived: false };
    let changes =
        vec![Change::values("name", None, Some(&name)), Change::values("description", None, Some(&description))];
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, "project.create", &row, changes),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One project as its page shows it.
pub async fn get(caller: &Caller, id: ProjectId) -> Result<ProjectDetail, AppError> {
    let (project, facts) = load(caller, id).await?;
    require(caller, Action::ViewProject, Resource::Project(facts), "project").await?;
    Ok(ProjectDetail {
        id: project.id,
        name: project.name,
        description: project.description,
        facts,
        viewer: principal(caller),
    })
}

/// Renames and re-describes a project (Admin only; not while archived).
pub async fn update(caller: &Caller, id: ProjectId, name: &str, description: &str) -> Result<(), AppError> {
    let (project, facts) = load(caller, id).await?;
    require(caller, Action::EditProject, Resource::Project(facts), "project").await?;
    if project.archived {
        return Err(AppError::forbidden("This project is archived and read-only. Unarchive it to make changes."));
    }
    let name = parse_resource_name("name", name)?;
    let description = parse_description("description", description)?;
    let mut changes = Vec::new();
    if name != project.name {
        changes.push(Change::values("name", Some(&project.name), Some(&name)));
    }
    if description != project.description {
        changes.push(Change::values("description", Some(&project.description), Some(&description)));
    }
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = caller.state.db.begin().await?;
    projects::update(&mut tx, id, &name, &description).await.map_err(duplicate_name)?;
    let renamed = ProjectRow { name, ..project };
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        entry(&actor(caller), &caller.meta, "project.update", &renamed, changes),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Archives (read-only, hidden by default) or unarchives a project (Admin only).
pub async fn set_archived(caller: &Caller, id: ProjectId, archived: bool) -> Result<(), AppError> {
    let (project, facts) = load(caller, id).await?;
    require(caller, Action::EditProject, Resource::Project(facts), "project").await?;
    if project.archived == archived {
        let now = if archived { "already archived" } else { "not archived" };
        return Err(AppError::conflict(format!(
            "This project is {now}; the page was out of date and has been refreshed."
        )));
    }
    let mut tx = caller.state.db.begin().await?;
    projects::set_archived(&mut tx, id, archived).await?;
    let (old, new) = (project.archived.to_string(), archived.to_string());
    let action = if archived { "project.archive" } else { "project.unarchive" };
    let changes = vec![Change::values("archived", Some(&old), Some(&new))];
    audit::append(&mut tx, &caller.state.audit_key, entry(&actor(caller), &caller.meta, action, &project, changes))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Who has access to a project: the instance's Admins (who see every project) and its
/// members, as the permission function sees them, plus the members whose account is disabled
/// (no access, membership kept). Shown to anyone who can see the project: a member may know
/// who else reads the project's vaults.
pub async fn who_has_access(caller: &Caller, id: ProjectId) -> Result<ProjectAccess, AppError> {
    let (_, facts) = load(caller, id).await?;
    require(caller, Action::ViewProject, Resource::Project(facts), "project").await?;
    let mut people = memberships::holders(&caller.state.db, id, None).await?;
    people.retain(|p| p.can_see(facts, None));
    sort_holders(&mut people);
    let disabled_members = memberships::disabled_members(&caller.state.db, id).await?;
    let may_add = can(principal(caller), Action::ManageMember(ProjectRole::ReadOnly), Resource::Project(facts));
    let candidates = match may_add {
        Decision::Allow => memberships::candidates(&caller.state.db, id).await?,
        _ => Vec::new(),
    };
    Ok(ProjectAccess { people, disabled_members, candidates })
}

async fn member_entry(
    caller: &Caller,
    project: &ProjectRow,
    user: UserId,
    action: &str,
    changes: Vec<Change>,
    tx: &mut crate::server::db::Tx,
) -> Result<(), AppError> {
    let target = users::find(&mut **tx, user).await?.ok_or_else(|| AppError::not_found("No such user."))?;
    audit::append(
        tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor(caller),
            action,
            resource_type: "membership",
            resource_id: Some(format!("{}/{}", project.id, user)),
            resource_name: Some(format!("{} in {}", target.email, project.name)),
            changes,
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Adds a user to a project with a role.
pub async fn add_member(caller: &Caller, id: ProjectId, user: UserId, role: ProjectRole) -> Result<(), AppError> {
    let (project, facts) = load(caller, id).await?;
    require(caller, Action::ManageMember(role), Resource::Project(facts), "project").await?;
    if !memberships::is_pickable(&caller.state.db, user).await? {
        return Err(AppError::validation("user", "Choose a user who exists and is not disabled."));
    }
    const ALREADY: &str = "This user is already a member of the project.";
    if memberships::role(&caller.state.db, id, user).await?.is_some() {
        return Err(AppError::validation("user", ALREADY));
    }
    let mut tx = caller.state.db.begin().await?;
    memberships::insert(&mut tx, id, user, role).await.map_err(|e| unique_or(e, "user", ALREADY))?;
    let changes = vec![Change::values("role", None, Some(role.as_str()))];
    member_entry(caller, &project, user, "membership.add", changes, &mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a member's role. `from` is the role the person saw: if it changed meanwhile,
/// nothing happens and they are told.
#[allow(clippy::too_many_arguments)]
pub async fn change_role(
    caller: &Caller,
    id: ProjectId,
    user: UserId,
    from: ProjectRole,
    to: ProjectRole,
) -> Result<(), AppError> {
    let (project, facts) = load(caller, id).await?;
    let current = memberships::role(&caller.state.db, id, user).await?;
    require(caller, Action::ManageMember(current.unwrap_or(from)), Resource::Project(facts), "project").await?;
    require(caller, Action::ManageMember(to), Resource::Project(facts), "project").await?;
    if current != Some(from) {
        return Err(stale());
    }
    if from == to {
        return Ok(());
    }
    let mut tx = caller.state.db.begin().await?;
    if !memberships::set_role(&mut tx, id, user, from, to).await? {
        return Err(stale());
    }
    let changes = vec![Change::values("role", Some(from.as_str()), Some(to.as_str()))];
    member_entry(caller, &project, user, "membership.change_role", changes, &mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member from a project (and from its restricted-vault lists).
pub async fn remove_member(caller: &Caller, id: ProjectId, user: UserId) -> Result<(), AppError> {
    let (project, facts) = load(caller, id).await?;
    let Some(role) = memberships::role(&caller.state.db, id, user).await? else {
        require(caller, Action::ManageMember(ProjectRole::ReadOnly), Resource::Project(facts), "project").await?;
        return Err(stale());
    };
    require(caller, Action::ManageMember(role), Resource::Project(facts), "project").await?;
    let mut tx = caller.state.db.begin().await?;
    let changes = vec![Change::values("role", Some(role.as_str()), None)];
    member_entry(caller, &project, user, "membership.remove", changes, &mut tx).await?;
    if !memberships::delete(&mut tx, id, user).await? {
        return Err(stale());
    }
    tx.commit().await?;
    Ok(())
}

fn stale() -> AppError {
    AppError::conflict("This membership changed since the page was loaded; nothing was changed. Reload and try again.")
}
