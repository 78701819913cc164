//! Projects, members and vaults as pages see them. Each carries the facts the permission
//! function needs, so the UI asks `can` exactly as the server does.

use super::ids::{ProjectId, UserId, VaultId};
use super::permission::{Action, Decision, Principal, ProjectFacts, ProjectRole, Resource, VaultFacts, can};
use serde::{Deserialize, Serialize};

/// Longest project or vault description.
pub const DESCRIPTION_MAX: usize = 500;
/// Longest project or vault name.
pub const RESOURCE_NAME_MAX: usize = 64;

/// A row of the projects list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub vault_count: i64,
    pub member_count: i64,
    pub my_role: Option<ProjectRole>,
}

/// One project with the asker's standing in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDetail {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub facts: ProjectFacts,
    /// The asker as the permission function sees them, so the page decides with the same
    /// facts as the server without reaching for other state.
    pub viewer: Principal,
}

/// A member of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: ProjectRole,
}

/// A person who can be picked (to add as a member).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserOption {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// A person who can see a project or a vault, and why: a row of "Who has access". System
/// accounts and disabled users are never one (they cannot sign in, so they have no access).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessHolder {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    /// An Admin sees every project and vault, member or not, so is never a removable member
    /// because of it.
    pub is_admin: bool,
    /// Their role in the project, when they are a member (an Admin may be one as well).
    pub role: Option<ProjectRole>,
    /// On the vault's member list (counts only while the vault is restricted).
    pub listed: bool,
    /// Invited and not joined yet: the access starts the moment they accept.
    pub pending: bool,
}

impl AccessHolder {
    /// Whether this person sees the project (`vault: None`) or the vault, asked of the one
    /// permission function as if they were signed in, so the list can never disagree with
    /// what the server enforces.
    pub fn can_see(&self, project: ProjectFacts, vault: Option<VaultFacts>) -> bool {
        let who = Principal { is_admin: self.is_admin, active: true };
        let project = ProjectFacts { role: self.role, ..project };
        let (action, resource) = match vault {
            Some(v) => (Action::ViewVault, Resource::Vault(project, VaultFacts { on_member_list: self.listed, ..v })),
            None => (Action::ViewProject, Resource::Project(project)),
        };
        can(who, action, resource) == Decision::Allow
    }

    /// The membership behind this access, if any (for the role and removal controls).
    pub fn member(&self) -> Option<Member> {
        self.role.map(|role| Member { user_id: self.user_id, name: self.name.clone(), email: self.email.clone(), role })
    }

    /// Admins first (their access does not depend on the project), then Project Managers,
    /// Contributors and Read-only members; the order among equals is kept.
    fn rank(&self) -> u8 {
        match (self.is_admin, self.role) {
            (true, _) => 0,
            (false, Some(ProjectRole::ProjectManager)) => 1,
            (false, Some(ProjectRole::Contributor)) => 2,
            (false, Some(ProjectRole::ReadOnly)) => 3,
            (false, None) => 4,
        }
    }
}

/// Sorts "Who has access" rows: Admins, then members by role (a stable sort, so rows read
/// by name keep that order within each group).
pub fn sort_holders(people: &mut [AccessHolder]) {
    people.sort_by_key(AccessHolder::rank);
}

/// Who has access to a project, as its "Who has access" section shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectAccess {
    /// Admins and members, Admins first.
    pub people: Vec<AccessHolder>,
    /// Members whose account is disabled: no access while disabled, but the membership is
    /// kept for the record (and returns with the account), so managers can still remove it.
    pub disabled_members: Vec<Member>,
    /// People the viewer may add as members (never system or disabled accounts); empty for a
    /// viewer who may not add members. Sent with the list so the tab loads in one call.
    pub candidates: Vec<UserOption>,
}

/// A row of a project's vault list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSummary {
    pub id: VaultId,
    pub name: String,
    pub description: String,
    pub restricted: bool,
}

/// One vault with what the asker may do there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultDetail {
    pub id: VaultId,
    pub name: String,
    pub description: String,
    pub project_id: ProjectId,
    pub project_name: String,
    pub project: ProjectFacts,
    pub vault: VaultFacts,
    /// The asker as the permission function sees them.
    pub viewer: Principal,
}

/// Vault settings plus the restricted vault's member list (for those who manage it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultAccessList {
    pub members: Vec<UserOption>,
    /// Project members who could be added to the list.
    pub candidates: Vec<UserOption>,
}

/// Checks a project or vault name: trimmed, 1–64 characters, no control characters.
pub fn parse_resource_name(field: &str, raw: &str) -> Result<String, super::AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(super::AppError::validation(field, "Enter a name."));
    }
    if s.chars().count() > RESOURCE_NAME_MAX {
        return Err(super::AppError::validation(field, format!("Use at most {RESOURCE_NAME_MAX} characters.")));
    }
    if s.chars().any(char::is_control) {
        return Err(super::AppError::validation(field, "Remove control characters (such as line breaks)."));
    }
    Ok(s.to_owned())
}

/// Checks a description: up to 500 characters (line breaks allowed).
pub fn parse_description(field: &str, raw: &str) -> Result<String, super::AppError> {
    let s = raw.trim();
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(super::AppError::validation(field, format!("Use at most {DESCRIPTION_MAX} characters.")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(super::AppError::validation(field, "Remove control characters."));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_are_checked() {
        assert_eq!(parse_resource_name("n", "  Payments  ").unwrap(), "Payments");
        assert!(parse_resource_name("n", "").is_err());
        assert!(parse_resource_name("n", &"x".repeat(65)).is_err());
        assert!(parse_resource_name("n", "a\u{7}b").is_err());
        assert!(parse_description("d", "line one\nline two").is_ok());
        assert!(parse_description("d", &"x".repeat(501)).is_err());
        assert_eq!(ProjectRole::parse("contributor"), Some(ProjectRole::Contributor));
        assert_eq!(ProjectRole::parse("owner"), None);
    }

    fn holder(is_admin: bool, role: Option<ProjectRole>, listed: bool) -> AccessHolder {
        AccessHolder {
            user_id: UserId::new(),
            name: String::new(),
            email: String::new(),
            is_admin,
            role,
            listed,
            pending: false,
        }
    }

    #[test]
    fn a_restricted_vault_is_seen_by_admins_project_managers_and_its_list() {
        let project = ProjectFacts { role: None, archived: true };
        let restricted = VaultFacts { restricted: true, on_member_list: false, contributors_manage_keys: false };
        let open = VaultFacts { restricted: false, ..restricted };
        let pm = holder(false, Some(ProjectRole::ProjectManager), false);
        let unlisted = holder(false, Some(ProjectRole::Contributor), false);
        let listed = holder(false, Some(ProjectRole::ReadOnly), true);
        let admin = holder(true, None, false);
        let outsider = holder(false, None, true);
        for (who, sees_restricted) in [(&admin, true), (&pm, true), (&listed, true), (&unlisted, false)] {
            assert_eq!(who.can_see(project, Some(restricted)), sees_restricted);
            assert!(who.can_see(project, Some(open)) && who.can_see(project, None));
        }
        assert!(!outsider.can_see(project, Some(open)) && !outsider.can_see(project, None));
        let mut people = vec![listed.clone(), pm.clone(), admin.clone(), unlisted.clone()];
        sort_holders(&mut people);
        assert_eq!(people, vec![admin, pm, unlisted, listed]);
    }
}
