//! Server functions for Admin → Settings: the SMTP server Secryn sends e-mail through.

use crate::domain::AppError;
use crate::domain::mail::MailView;
use crate::domain::validate::SecretInput;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::door, crate::domain::mail::SmtpInput, crate::server::services::mail as svc};

/// The e-mail settings (never the password), the queue's size and what is undelivered.
#[server(prefix = "/rpc", endpoint = "mail_settings")]
pub async fn mail_settings() -> Result<MailView, AppError> {
    door::respond(async { svc::view(&door::caller()?).await }).await
}

/// Saves the SMTP settings (the form's fields; an empty password keeps the stored one,
/// `clear_password` is present when ticked).
#[server(prefix = "/rpc", endpoint = "mail_settings_save")]
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
#[server(prefix = "/rpc", endpoint = "mail_test")]
pub async fn send_test_mail() -> Result<String, AppError> {
    door::respond(async { svc::send_test(&door::caller()?).await }).await
}
