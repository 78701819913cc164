//! Projects, members and vaults as pages see them. Each carries the facts the permission
//! function needs, so the UI asks `can` exactly as the server does.

use super::ids::{ProjectId, UserId, VaultId};
use super::permission::{Principal, ProjectFacts, ProjectRole, VaultFacts};
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
}
