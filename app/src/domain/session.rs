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
    /// For Admins, while the last scheduled backup has failed: when it ran. Every page shows
    /// it until a run succeeds.
    pub backup_failed_at: Option<i64>,
    /// The bell's badge when the page was drawn.
    pub unread_notifications: i64,
}

/// What a sign-in lock holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    /// One account from one network address is refused.
    AccountFromAddress,
    /// One account is slowed down (failures from many addresses).
    AccountSlowed,
    /// One network address is refused for every account.
    Address,
}

/// A sign-in lock or slow-down in force, as an Admin sees it on the Users page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLock {
    /// Opaque handle to clear it with.
    pub key: String,
    pub kind: LockKind,
    pub email: Option<String>,
    pub ip: Option<String>,
    /// Attempts counted in the current window.
    pub attempts: i64,
    /// When it lifts by itself (microseconds since the epoch, UTC).
    pub until: i64,
}
