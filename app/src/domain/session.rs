//! What the browser may know about the person signed in. No hash, no token, ever.

use super::ids::UserId;
use serde::{Deserialize, Serialize};

/// The signed-in user as pages see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub email_notifications: bool,
}

impl CurrentUser {
    /// The principal the permission function needs.
    pub fn principal(&self) -> super::permission::Principal {
        super::permission::Principal { is_admin: self.is_admin, active: true }
    }
}

/// What every page needs to draw the shell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    pub instance_name: String,
    pub user: Option<CurrentUser>,
}
