//! People as pages see them: the Users page's rows, the links an Admin hands out, and who a
//! link belongs to. Shared by the browser and the services (which return these, never
//! data-layer rows).

use super::ids::UserId;
use super::time::Micros;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A user's lifecycle state, as pages show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Pending,
    Active,
    Disabled,
}

impl UserStatus {
    /// Every state, in the order filters offer them.
    pub const ALL: [UserStatus; 3] = [UserStatus::Pending, UserStatus::Active, UserStatus::Disabled];

    /// The submitted form (also the filter value).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Pending => "pending",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    /// The word people see.
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Pending => "Pending",
            UserStatus::Active => "Active",
            UserStatus::Disabled => "Disabled",
        }
    }

    /// The badge colour class.
    pub fn badge(self) -> &'static str {
        match self {
            UserStatus::Pending => "badge warn",
            UserStatus::Active => "badge ok",
            UserStatus::Disabled => "badge bad",
        }
    }
}

/// One row of the Users page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub status: UserStatus,
    pub created_at: Micros,
}

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    Invitation,
    PasswordReset,
}

/// A link just issued, shown to the Admin once. `path` carries the token (`/invite/…` or
/// `/reset/…`); the page puts the browser's origin in front of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedLinkView {
    pub purpose: LinkPurpose,
    pub path: String,
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub expires_at: Micros,
    /// Also queued to them by e-mail.
    pub emailed: bool,
}

impl fmt::Debug for IssuedLinkView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedLinkView")
            .field("purpose", &self.purpose)
            .field("path", &"[redacted]")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Who a usable link belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkOwner {
    pub email: String,
    pub name: String,
}
