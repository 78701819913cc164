//! Server functions for managing users (Admins) and for the two public link pages
//! (`/invite/…`, `/reset/…`). Each calls one function of `services::users`; the rules live
//! there.

use crate::domain::AppError;
use crate::domain::validate::SecretInput;
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::door;

pub use crate::domain::user::{IssuedLinkView, LinkOwner, LinkPurpose, UserStatus, UserSummary};

/// Users matching a text (part of a name or e-mail) and a state (`all` for any).
#[server(prefix = "/rpc", endpoint = "users_list", protocol = WireProtocol)]
pub async fn users_list(q: String, status: String) -> Result<Vec<UserSummary>, AppError> {
    use crate::server::services::users;
    door::respond(async { users::list(&door::caller()?, &q, &status).await }).await
}

/// Invites someone: a pending user and a 7-day invitation link, shown once.
#[server(prefix = "/rpc", endpoint = "users_invite", protocol = WireProtocol)]
pub async fn users_invite(name: String, email: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let link = users::invite(&door::caller()?, &name, &email).await?;
        Ok(link.view())
    })
    .await
}

/// A fresh invitation link for a pending user (the earlier one stops working).
#[server(prefix = "/rpc", endpoint = "users_reinvite", protocol = WireProtocol)]
pub async fn users_reinvite(user_id: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let link = users::reinvite(&door::caller()?, &user_id).await?;
        Ok(link.view())
    })
    .await
}

/// A 24-hour password-reset link for an active user, shown once.
#[server(prefix = "/rpc", endpoint = "users_reset_link", protocol = WireProtocol)]
pub async fn users_reset_link(user_id: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let link = users::reset_link(&door::caller()?, &user_id).await?;
        Ok(link.view())
    })
    .await
}

/// Disables a user and ends their sessions.
#[server(prefix = "/rpc", endpoint = "users_disable", protocol = WireProtocol)]
pub async fn users_disable(user_id: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async { users::disable(&door::caller()?, &user_id).await }).await
}

/// Enables a disabled user; answers the state they are in now.
#[server(prefix = "/rpc", endpoint = "users_enable", protocol = WireProtocol)]
pub async fn users_enable(user_id: String) -> Result<UserStatus, AppError> {
    use crate::server::services::users;
    door::respond(async { users::enable(&door::caller()?, &user_id).await }).await
}

/// Makes a user an Admin.
#[server(prefix = "/rpc", endpoint = "users_grant_admin", protocol = WireProtocol)]
pub async fn users_grant_admin(user_id: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async { users::grant_admin(&door::caller()?, &user_id).await }).await
}

/// Takes the Admin role away.
#[server(prefix = "/rpc", endpoint = "users_revoke_admin", protocol = WireProtocol)]
pub async fn users_revoke_admin(user_id: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async { users::revoke_admin(&door::caller()?, &user_id).await }).await
}

/// Sign-in locks and slow-downs in force now (Admins).
#[server(prefix = "/rpc", endpoint = "sign_in_locks", protocol = WireProtocol)]
pub async fn sign_in_locks() -> Result<Vec<crate::domain::session::SignInLock>, AppError> {
    use crate::server::services::users;
    door::respond(async { users::sign_in_locks(&door::caller()?).await }).await
}

/// Lifts one sign-in lock before its time (Admins).
#[server(prefix = "/rpc", endpoint = "sign_in_lock_clear", protocol = WireProtocol)]
pub async fn sign_in_lock_clear(key: String) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async { users::clear_sign_in_lock(&door::caller()?, &key).await }).await
}

/// Who an invitation link is for, while it can be used (public).
#[server(prefix = "/rpc", endpoint = "invitation_get", protocol = WireProtocol)]
pub async fn invitation_get(token: SecretInput) -> Result<LinkOwner, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        users::invitation(&state, &token.take()).await
    })
    .await
}

/// Accepts an invitation with a name and password, then signs in and goes home (public).
#[server(prefix = "/rpc", endpoint = "invitation_accept", protocol = WireProtocol)]
pub async fn invitation_accept(
    token: SecretInput,
    name: String,
    password: SecretInput,
    password_confirm: SecretInput,
) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        let visitor = door::visitor()?;
        let session =
            users::accept_invitation(&visitor, &token.take(), &name, password.take(), password_confirm.take()).await?;
        door::set_session_cookie(&visitor.state, &session.token);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Who a password-reset link is for, while it can be used (public).
#[server(prefix = "/rpc", endpoint = "reset_get", protocol = WireProtocol)]
pub async fn reset_get(token: SecretInput) -> Result<LinkOwner, AppError> {
    use crate::server::services::users;
    door::respond(async {
        let state = door::state()?;
        users::reset(&state, &token.take()).await
    })
    .await
}

/// Sets a new password with a reset link; every session of that user ends (public).
#[server(prefix = "/rpc", endpoint = "reset_accept", protocol = WireProtocol)]
pub async fn reset_accept(
    token: SecretInput,
    password: SecretInput,
    password_confirm: SecretInput,
) -> Result<(), AppError> {
    use crate::server::services::users;
    door::respond(async {
        users::accept_reset(&door::visitor()?, &token.take(), password.take(), password_confirm.take()).await?;
        door::redirect_plain_form("/login?reset=done");
        Ok(())
    })
    .await
}
