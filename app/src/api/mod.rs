//! Server functions: the UI's front door. Each one reads its input, calls one service
//! function and maps the result (cookie, redirect, status). No rule lives here.

use crate::domain::AppError;
use crate::domain::session::ShellInfo;
use crate::domain::validate::SecretInput;
use crate::wire::WireProtocol;
use leptos::prelude::*;

pub mod access_keys;
pub mod backups;
pub mod certificates;
#[cfg(feature = "ssr")]
pub mod door;
pub mod keys;
pub mod logs;
pub mod notifications;
pub mod projects;
pub mod secrets;
pub mod settings;
pub mod support;
pub mod users;

/// The instance name and the signed-in user, for the shell.
#[server(prefix = "/rpc", endpoint = "shell", protocol = WireProtocol)]
pub async fn get_shell() -> Result<ShellInfo, AppError> {
    door::respond(async {
        let state = door::state()?;
        let user = door::session().ok().map(|s| s.user.current());
        let backup_failed_at = match &user {
            Some(u) if u.is_admin => crate::server::services::scheduled_backups::failed_at(&state.db).await?,
            _ => None,
        };
        let unread_notifications = match &user {
            Some(u) => crate::server::services::notifications::unread(&state.db, u.id).await?,
            None => 0,
        };
        Ok(ShellInfo {
            instance_name: crate::server::services::setup::instance_name(&state).await?,
            user,
            backup_failed_at,
            unread_notifications,
        })
    })
    .await
}

/// First run: creates the first Admin with the setup code, then signs them in.
#[server(prefix = "/rpc", endpoint = "setup", protocol = WireProtocol)]
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
        let visitor = door::visitor()?;
        let input = SetupInput {
            code,
            instance_name,
            admin_name,
            admin_email,
            password: password.take(),
            password_confirm: password_confirm.take(),
        };
        let session = complete(&visitor, input).await?;
        door::set_session_cookie(&visitor.state, &session.token);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Signs in with e-mail and password; on success goes to `next` (a local path) or home.
#[server(prefix = "/rpc", endpoint = "login", protocol = WireProtocol)]
pub async fn login(email: String, password: SecretInput, next: Option<String>) -> Result<(), AppError> {
    door::respond(async {
        let visitor = door::visitor()?;
        let session = crate::server::services::auth::sign_in(&visitor, &email, password.take()).await?;
        door::set_session_cookie(&visitor.state, &session.token);
        leptos_axum::redirect(&safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

/// Signs out of this browser.
#[server(prefix = "/rpc", endpoint = "logout", protocol = WireProtocol)]
pub async fn logout() -> Result<(), AppError> {
    door::respond(async {
        if let Ok(caller) = door::caller() {
            crate::server::services::auth::sign_out(&caller).await?;
        }
        door::clear_session_cookie(&door::state()?);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Changes the signed-in user's password.
#[server(prefix = "/rpc", endpoint = "change_password", protocol = WireProtocol)]
pub async fn change_password(
    current_password: SecretInput,
    new_password: SecretInput,
    confirm_password: SecretInput,
) -> Result<(), AppError> {
    door::respond(async {
        crate::server::services::profile::change_password(
            &door::caller()?,
            current_password.take(),
            new_password.take(),
            confirm_password.take(),
        )
        .await
    })
    .await
}

/// Saves the signed-in user's notification preference (a checkbox: present means on).
#[server(prefix = "/rpc", endpoint = "preferences", protocol = WireProtocol)]
pub async fn save_preferences(email_notifications: Option<String>) -> Result<(), AppError> {
    door::respond(async {
        let on = email_notifications.is_some();
        crate::server::services::profile::set_email_notifications(&door::caller()?, on).await
    })
    .await
}

/// Only same-origin paths are followed after sign-in, so a link cannot send someone elsewhere:
/// `/` then anything but a second `/` or `\\`, drawn from the characters a URL path and query
/// use — no whitespace, control characters or backslashes, which browsers strip or rewrite
/// (a tab in `/\t/evil.example` makes `//evil.example`) and which a `Location` header cannot
/// carry. Anything else goes home.
pub fn safe_next(next: Option<&str>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/?&=%+:@,;!$'()*".contains(c);
    match next {
        Some(p)
            if p.len() <= 512 && p.starts_with('/') && !p[1..].starts_with(['/', '\\']) && p.chars().all(allowed) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_local() {
        for good in ["/", "/profile", "/projects/0190a1b2-c3d4?tab=secrets&q=a%20b", "/a//b", "/%2F/x"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        let bypasses = [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r",
            "/\u{1}",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/evil\"quote",
            "/<script>",
            "",
            "/\u{ff0f}evil.example",
        ];
        for bad in bypasses {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?} must go home");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(600)))), "/");
        assert_eq!(safe_next(None), "/");
    }
}
