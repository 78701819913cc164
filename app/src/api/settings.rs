//! Server functions for Admin → Settings: the instance's name, sessions, lockout and log
//! retention, and the SMTP server Secryn sends e-mail through.

use crate::domain::AppError;
use crate::domain::instance::InstanceView;
use crate::domain::mail::MailView;
use crate::domain::validate::SecretInput;
use crate::wire::WireProtocol;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::door, crate::domain::instance::InstanceInput, crate::domain::mail::SmtpInput,
    crate::server::services::instance_settings, crate::server::services::mail as svc,
};

/// The instance's name and the numbers in effect, with the server's defaults.
#[server(prefix = "/rpc", endpoint = "instance_settings", protocol = WireProtocol)]
pub async fn instance_settings() -> Result<InstanceView, AppError> {
    door::respond(async { instance_settings::view(&door::caller()?).await }).await
}

/// Saves the instance settings (each number as typed; empty: the server's default).
#[server(prefix = "/rpc", endpoint = "instance_settings_save", protocol = WireProtocol)]
pub async fn save_instance_settings(
    name: String,
    session_idle_minutes: String,
    session_absolute_hours: String,
    account_failure_limit: String,
    ip_failure_limit: String,
    log_retention_days: String,
) -> Result<InstanceView, AppError> {
    door::respond(async move {
        let input = InstanceInput {
            name,
            session_idle_minutes,
            session_absolute_hours,
            account_failure_limit,
            ip_failure_limit,
            log_retention_days,
        };
        instance_settings::save(&door::caller()?, &input).await
    })
    .await
}

/// The e-mail settings (never the password), the queue's size and what is undelivered.
#[server(prefix = "/rpc", endpoint = "mail_settings", protocol = WireProtocol)]
pub async fn mail_settings() -> Result<MailView, AppError> {
    door::respond(async { svc::view(&door::caller()?).await }).await
}

/// Saves the SMTP settings (the form's fields; an empty password keeps the stored one,
/// `clear_password` is present when ticked).
#[server(prefix = "/rpc", endpoint = "mail_settings_save", protocol = WireProtocol)]
pub async fn save_mail_settings(
    host: String,
    port: String,
    security: String,
    username: String,
    password: SecretInput,
    clear_password: Option<String>,
    from: String,
) -> Result<MailView, AppError> {
    door::respond(async move {
        let input = SmtpInput {
            host,
            port,
            security,
            username,
            password: password.take().into(),
            clear_password: clear_password.is_some(),
            from,
        };
        svc::save(&door::caller()?, &input).await
    })
    .await
}

/// Sends a test e-mail to the asking Admin now; answers what happened.
#[server(prefix = "/rpc", endpoint = "mail_test", protocol = WireProtocol)]
pub async fn send_test_mail() -> Result<String, AppError> {
    door::respond(async { svc::send_test(&door::caller()?).await }).await
}
