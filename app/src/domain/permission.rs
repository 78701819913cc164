//! The one permission function. The UI calls it to show or hide controls; the server calls
//! it to enforce. SPEC §2's evaluation order: Admin → project membership → restricted vault
//! list → role. A user who may not see a thing gets `NotFound`, never a hint it exists.

use serde::{Deserialize, Serialize};

/// A user's role inside one project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRole {
    ProjectManager,
    Contributor,
    ReadOnly,
}

impl ProjectRole {
    /// Every role, for pickers.
    pub const ALL: [ProjectRole; 3] = [ProjectRole::ProjectManager, ProjectRole::Contributor, ProjectRole::ReadOnly];

    /// The stored and submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::ProjectManager => "project_manager",
            ProjectRole::Contributor => "contributor",
            ProjectRole::ReadOnly => "read_only",
        }
    }

    /// Reads the stored or submitted form.
    pub fn parse(s: &str) -> Option<ProjectRole> {
        ProjectRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The label people see.
    pub fn label(self) -> &'static str {
        match self {
            ProjectRole::ProjectManager => "Project Manager",
            ProjectRole::Contributor => "Contributor",
            ProjectRole::ReadOnly => "Read-only",
        }
    }
}

/// Who is asking: the instance-wide facts about a signed-in user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub is_admin: bool,
    /// Disabled and pending users are refused everything.
    pub active: bool,
}

/// What the asker has to do with one project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFacts {
    pub role: Option<ProjectRole>,
    pub archived: bool,
}

/// What the asker has to do with one vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultFacts {
    pub restricted: bool,
    pub on_member_list: bool,
    pub contributors_manage_keys: bool,
}

/// The thing an action touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Instance,
    /// The asker's own account (profile, password, preferences, support tickets).
    OwnAccount,
    Project(ProjectFacts),
    Vault(ProjectFacts, VaultFacts),
}

/// Everything a person can try to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Users, invitations, backups, logs, settings, creating projects.
    ManageInstance,
    ManageOwnAccount,
    ViewProject,
    /// Rename, describe, archive a project (Admin only).
    EditProject,
    /// Add, remove or change a member holding (or getting) this role.
    ManageMember(ProjectRole),
    /// Create vaults, rename them, restrict them, edit settings and member lists.
    ManageVaults,
    ViewVault,
    WriteSecrets,
    RevealSecrets,
    ManageKeysAndCertificates,
    DownloadKeysAndCertificates,
    /// See a vault's access keys and revoke them. Revoking only takes access away, so it stays
    /// allowed in an archived project: that is how machines are cut off from one.
    ManageAccessKeys,
    /// Create an access key: a new grant, so refused in an archived project like any change.
    CreateAccessKey,
}

impl Action {
    /// Whether an archived project refuses the action: everything that changes something,
    /// except managing access keys (listing and revoking them only takes access away).
    /// Unarchiving is allowed separately in [`can`].
    fn refused_when_archived(self) -> bool {
        !matches!(
            self,
            Action::ViewProject
                | Action::ViewVault
                | Action::RevealSecrets
                | Action::DownloadKeysAndCertificates
                | Action::ManageAccessKeys
        )
    }
}

/// Why something was refused, for the message the user sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    Role,
    Archived,
    Inactive,
}

/// The outcome of a permission check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    NotFound,
    Forbidden(Denial),
}

/// Decides whether `who` may do `action` on `resource`.
pub fn can(who: Principal, action: Action, resource: Resource) -> Decision {
    if !who.active {
        return Decision::Forbidden(Denial::Inactive);
    }
    let (project, vault) = match resource {
        Resource::OwnAccount => {
            return if action == Action::ManageOwnAccount {
                Decision::Allow
            } else {
                Decision::Forbidden(Denial::Role)
            };
        }
        Resource::Instance => {
            return match action {
                Action::ManageOwnAccount => Decision::Allow,
                _ if who.is_admin => Decision::Allow,
                _ => Decision::Forbidden(Denial::Role),
            };
        }
        Resource::Project(p) => (p, None),
        Resource::Vault(p, v) => (p, Some(v)),
    };
    // An archived project is read-only for everyone, Admins included (but access keys can
    // still be listed and revoked, and it can be unarchived).
    let archived_block = project.archived && action.refused_when_archived() && action != Action::EditProject;
    if who.is_admin {
        return if archived_block { Decision::Forbidden(Denial::Archived) } else { Decision::Allow };
    }
    let Some(role) = project.role else {
        return Decision::NotFound;
    };
    if let Some(v) = vault
        && v.restricted
        && role != ProjectRole::ProjectManager
        && !v.on_member_list
    {
        return Decision::NotFound;
    }
    if !role_allows(role, action, vault) {
        return Decision::Forbidden(Denial::Role);
    }
    if archived_block { Decision::Forbidden(Denial::Archived) } else { Decision::Allow }
}

fn role_allows(role: ProjectRole, action: Action, vault: Option<VaultFacts>) -> bool {
    use ProjectRole::*;
    match action {
        Action::ManageInstance | Action::EditProject | Action::ManageOwnAccount => false,
        Action::ViewProject | Action::ViewVault => true,
        Action::ManageMember(target) => role == ProjectManager && target != ProjectManager,
        Action::ManageVaults | Action::ManageAccessKeys | Action::CreateAccessKey => role == ProjectManager,
        Action::WriteSecrets | Action::RevealSecrets | Action::DownloadKeysAndCertificates => role != ReadOnly,
        Action::ManageKeysAndCertificates => match role {
            ProjectManager => true,
            Contributor => vault.is_some_and(|v| v.contributors_manage_keys),
            ReadOnly => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIVE: Principal = Principal { is_admin: false, active: true };
    const ADMIN: Principal = Principal { is_admin: true, active: true };

    fn project(role: Option<ProjectRole>) -> ProjectFacts {
        ProjectFacts { role, archived: false }
    }

    #[test]
    fn evaluation_order_follows_the_spec() {
        let restricted = VaultFacts { restricted: true, on_member_list: false, contributors_manage_keys: false };
        let contributor = project(Some(ProjectRole::Contributor));
        assert_eq!(can(ADMIN, Action::RevealSecrets, Resource::Vault(project(None), restricted)), Decision::Allow);
        assert_eq!(can(ACTIVE, Action::ViewVault, Resource::Vault(project(None), restricted)), Decision::NotFound);
        assert_eq!(can(ACTIVE, Action::ViewVault, Resource::Vault(contributor, restricted)), Decision::NotFound);
        let listed = VaultFacts { on_member_list: true, ..restricted };
        assert_eq!(can(ACTIVE, Action::ViewVault, Resource::Vault(contributor, listed)), Decision::Allow);
        assert_eq!(
            can(ACTIVE, Action::ManageAccessKeys, Resource::Vault(contributor, listed)),
            Decision::Forbidden(Denial::Role)
        );
        let pm = project(Some(ProjectRole::ProjectManager));
        assert_eq!(can(ACTIVE, Action::ViewVault, Resource::Vault(pm, restricted)), Decision::Allow);
    }

    #[test]
    fn archived_projects_are_read_only_and_inactive_users_get_nothing() {
        let archived = ProjectFacts { role: Some(ProjectRole::ProjectManager), archived: true };
        assert_eq!(
            can(ADMIN, Action::ManageVaults, Resource::Project(archived)),
            Decision::Forbidden(Denial::Archived)
        );
        assert_eq!(can(ADMIN, Action::EditProject, Resource::Project(archived)), Decision::Allow);
        assert_eq!(can(ACTIVE, Action::ViewProject, Resource::Project(archived)), Decision::Allow);
        let disabled = Principal { is_admin: true, active: false };
        assert_eq!(
            can(disabled, Action::ViewProject, Resource::Project(archived)),
            Decision::Forbidden(Denial::Inactive)
        );
        assert_eq!(can(ACTIVE, Action::ManageInstance, Resource::Instance), Decision::Forbidden(Denial::Role));
        assert_eq!(can(ACTIVE, Action::ManageOwnAccount, Resource::OwnAccount), Decision::Allow);
    }

    #[test]
    fn access_keys_of_archived_projects_can_be_listed_and_revoked_but_not_created() {
        let vault = VaultFacts { restricted: false, on_member_list: false, contributors_manage_keys: false };
        for role in [None, Some(ProjectRole::ProjectManager)] {
            let who = if role.is_none() { ADMIN } else { ACTIVE };
            let archived = ProjectFacts { role, archived: true };
            assert_eq!(can(who, Action::ManageAccessKeys, Resource::Vault(archived, vault)), Decision::Allow);
            assert_eq!(
                can(who, Action::CreateAccessKey, Resource::Vault(archived, vault)),
                Decision::Forbidden(Denial::Archived)
            );
            let active = ProjectFacts { role, archived: false };
            assert_eq!(can(who, Action::CreateAccessKey, Resource::Vault(active, vault)), Decision::Allow);
        }
        for role in [ProjectRole::Contributor, ProjectRole::ReadOnly] {
            let archived = ProjectFacts { role: Some(role), archived: true };
            for action in [Action::ManageAccessKeys, Action::CreateAccessKey] {
                assert_eq!(can(ACTIVE, action, Resource::Vault(archived, vault)), Decision::Forbidden(Denial::Role));
            }
        }
    }
}
