//! Server functions: the UI's front door. Each one reads its input, calls one service
//! function and maps the result (cookie, redirect, status). No rule lives here.

use crate::domain::AppError;
use crate::domain::session::ShellInfo;
use crate::domain::validate::SecretInput;
use leptos::prelude::*;

pub mod access_keys;
#[cfg(feature = "ssr")]
pub mod door;
pub mod projects;
pub mod secrets;
pub mod users;

/// The instance name and the signed-in user, for the shell.
#[server(prefix = "/rpc", endpoint = "shell")]
pub async fn get_shell() -> Result<ShellInfo, AppError> {
    door::respond(async {
        let state = door::state()?;
        let instance = crate::server::repo::instance::get(&state.db).await?;
        Ok(ShellInfo {
            instance_name: instance.map(|i| i.name).unwrap_or_else(|| "Secryn".into()),
            user: door::session().ok().map(|s| s.user.current()),
        })
    })
    .await
}

/// First run: creates the first Admin with the setup code, then signs them in.
#[server(prefix = "/rpc", endpoint = "setup")]
pub async fn setup(
    code: String,
    instance_name: String,
    admin_name: String,
    admin_email: String,
    password: SecretInput,
    password_confirm: SecretInput,
) -> Result<(), AppError> {
    use crate::server::services::setup::{SetupInput, complete};
    door::respond(async {
        let state = door::state()?;
        let input = SetupInput {
            code,
            instance_name,
            admin_name,
            admin_email,
            password: password.take(),
            password_confirm: password_confirm.take(),
        };
        let session = complete(&state, input, &door::meta()).await?;
        door::set_session_cookie(&state, &session.token);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Signs in with e-mail and password; on success goes to `next` (a local path) or home.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: SecretInput, next: Option<String>) -> Result<(), AppError> {
    door::respond(async {
        let state = door::state()?;
        let session = crate::server::services::auth::sign_in(&state, &email, password.take(), &door::meta()).await?;
        door::set_session_cookie(&state, &session.token);
        leptos_axum::redirect(&safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

/// Signs out of this browser.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    door::respond(async {
        let state = door::state()?;
        if let Ok(session) = door::session() {
            crate::server::services::auth::sign_out(&state, &session, &door::meta()).await?;
        }
        door::clear_session_cookie(&state);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Changes the signed-in user's password.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: SecretInput,
    new_password: SecretInput,
    confirm_password: SecretInput,
) -> Result<(), AppError> {
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        crate::server::services::profile::change_password(
            &state,
            &session,
            current_password.take(),
            new_password.take(),
            confirm_password.take(),
            &door::meta(),
        )
        .await
    })
    .await
}

/// Saves the signed-in user's notification preference (a checkbox: present means on).
#[server(prefix = "/rpc", endpoint = "preferences")]
pub async fn save_preferences(email_notifications: Option<String>) -> Result<(), AppError> {
    door::respond(async {
        let state = door::state()?;
        let session = door::session()?;
        let on = email_notifications.is_some();
        crate::server::services::profile::set_email_notifications(&state, &session, on, &door::meta()).await
    })
    .await
}

/// Only local paths are followed after sign-in, so a link cannot send someone elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.len() <= 512 => p.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_local() {
        assert_eq!(super::safe_next(Some("/profile")), "/profile");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", ""] {
            assert_eq!(super::safe_next(Some(bad)), "/");
        }
        assert_eq!(super::safe_next(None), "/");
    }
}
