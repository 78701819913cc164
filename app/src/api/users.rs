//! Server functions for managing users (Admins) and for the two public link pages
//! (`/invite/…`, `/reset/…`). Each calls one function of `services::users`; the rules live
//! there.

use crate::domain::AppError;
use crate::domain::ids::UserId;
use crate::domain::time::Micros;
use crate::domain::validate::SecretInput;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;

#[cfg(feature = "ssr")]
use super::door;

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

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use crate::server::repo::invitations::LinkKind;
    use crate::server::repo::users::{UserListItem, UserState};
    use crate::server::services::users::{IssuedLink, LinkUser};

    pub fn status(s: UserState) -> UserStatus {
        match s {
            UserState::Pending => UserStatus::Pending,
            UserState::Active => UserStatus::Active,
            UserState::Disabled => UserStatus::Disabled,
        }
    }

    pub fn summary(item: UserListItem) -> UserSummary {
        let u = item.user;
        UserSummary {
            id: u.id,
            name: u.name,
            email: u.email,
            is_admin: u.is_admin,
            status: status(u.state),
            created_at: item.created_at,
        }
    }

    pub fn link(l: IssuedLink) -> IssuedLinkView {
        IssuedLinkView {
            purpose: match l.kind {
                LinkKind::Invitation => LinkPurpose::Invitation,
                LinkKind::PasswordReset => LinkPurpose::PasswordReset,
            },
            path: l.path(),
            user_id: l.user_id,
            email: l.email.clone(),
            name: l.name.clone(),
            expires_at: l.expires_at,
        }
    }

    pub fn owner(u: LinkUser) -> LinkOwner {
        LinkOwner { email: u.email, name: u.name }
    }
}

/// Users matching a text (part of a name or e-mail) and a state (`all` for any).
#[server(prefix = "/rpc", endpoint = "users_list")]
pub async fn users_list(q: String, status: String) -> Result<Vec<UserSummary>, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        let rows = users::list(&state, &session, &door::meta(), &q, &status).await?;
        Ok(rows.into_iter().map(convert::summary).collect())
    })
    .await
}

/// Invites someone: a pending user and a 7-day invitation link, shown once.
#[server(prefix = "/rpc", endpoint = "users_invite")]
pub async fn users_invite(name: String, email: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        let link = users::invite(&state, &session, &door::meta(), &name, &email).await?;
        Ok(convert::link(link))
    })
    .await
}

/// A fresh invitation link for a pending user (the earlier one stops working).
#[server(prefix = "/rpc", endpoint = "users_reinvite")]
pub async fn users_reinvite(user_id: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        let link = users::reinvite(&state, &session, &door::meta(), &user_id).await?;
        Ok(convert::link(link))
    })
    .await
}

/// A 24-hour password-reset link for an active user, shown once.
#[server(prefix = "/rpc", endpoint = "users_reset_link")]
pub async fn users_reset_link(user_id: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        let link = users::reset_link(&state, &session, &door::meta(), &user_id).await?;
        Ok(convert::link(link))
    })
    .await
}

/// Disables a user and ends their sessions.
#[server(prefix = "/rpc", endpoint = "users_disable")]
pub async fn users_disable(user_id: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        users::disable(&state, &session, &door::meta(), &user_id).await
    })
    .await
}

/// Enables a disabled user; answers the state they are in now.
#[server(prefix = "/rpc", endpoint = "users_enable")]
pub async fn users_enable(user_id: String) -> Result<UserStatus, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        let now = users::enable(&state, &session, &door::meta(), &user_id).await?;
        Ok(convert::status(now))
    })
    .await
}

/// Makes a user an Admin.
#[server(prefix = "/rpc", endpoint = "users_grant_admin")]
pub async fn users_grant_admin(user_id: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        users::grant_admin(&state, &session, &door::meta(), &user_id).await
    })
    .await
}

/// Takes the Admin role away.
#[server(prefix = "/rpc", endpoint = "users_revoke_admin")]
pub async fn users_revoke_admin(user_id: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        users::revoke_admin(&state, &session, &door::meta(), &user_id).await
    })
    .await
}

/// Sign-in locks and slow-downs in force now (Admins).
#[server(prefix = "/rpc", endpoint = "sign_in_locks")]
pub async fn sign_in_locks() -> Result<Vec<crate::domain::session::SignInLock>, AppError> {
    use crate::server::services::users;
    door::respond(async { users::sign_in_locks(&door::state()?, &door::session()?, &door::meta()).await }).await
}

/// Lifts one sign-in lock before its time (Admins).
#[server(prefix = "/rpc", endpoint = "sign_in_lock_clear")]
pub async fn sign_in_lock_clear(key: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async { users::clear_sign_in_lock(&door::state()?, &door::session()?, &door::meta(), &key).await })
        .await
}

/// Who an invitation link is for, while it can be used (public).
#[server(prefix = "/rpc", endpoint = "invitation_get")]
pub async fn invitation_get(token: SecretInput) -> Result<LinkOwner, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        Ok(convert::owner(users::invitation(&state, &token.take()).await?))
    })
    .await
}

/// Accepts an invitation with a name and password, then signs in and goes home (public).
#[server(prefix = "/rpc", endpoint = "invitation_accept")]
pub async fn invitation_accept(
    token: SecretInput,
    name: String,
    password: SecretInput,
    password_confirm: SecretInput,
) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        let session = users::accept_invitation(
            &state,
            &token.take(),
            &name,
            password.take(),
            password_confirm.take(),
            &door::meta(),
        )
        .await?;
        door::set_session_cookie(&state, &session.token);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Who a password-reset link is for, while it can be used (public).
#[server(prefix = "/rpc", endpoint = "reset_get")]
pub async fn reset_get(token: SecretInput) -> Result<LinkOwner, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        Ok(convert::owner(users::reset(&state, &token.take()).await?))
    })
    .await
}

/// Sets a new password with a reset link; every session of that user ends (public).
#[server(prefix = "/rpc", endpoint = "reset_accept")]
pub async fn reset_accept(
    token: SecretInput,
    password: SecretInput,
    password_confirm: SecretInput,
) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        users::accept_reset(&state, &token.take(), password.take(), password_confirm.take(), &door::meta()).await
    })
    .await
}
