//! Server functions for Admin → Backups. A backup's download is a plain form post
//! (`/admin/backups/download`, see the server's `downloads`), so the browser streams it to
//! disk; checking and restoring take the file as a streamed multipart upload.

use crate::domain::AppError;
use crate::domain::backup::{BackupSummary, LastRun, ScheduleView};
use crate::domain::secret::SecretValue;
use crate::wire::{WirePost, WireProtocol};
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

#[cfg(feature = "ssr")]
use {
    super::door, crate::server::backup_file::BackupKey, crate::server::services::backup as svc,
    crate::server::services::scheduled_backups as scheduled,
};

/// A fresh one-time key for the next backup. The page shows it, then posts it back with the
/// download; Secryn keeps no copy.
#[server(prefix = "/rpc", endpoint = "backup_key", protocol = WireProtocol)]
pub async fn new_backup_key() -> Result<SecretValue, AppError> {
    door::respond(async {
        svc::By::admin(&door::caller()?).await?;
        SecretValue::parse_confirmed("key", BackupKey::random().to_text().to_string(), true)
    })
    .await
}

/// The dry run: whether the key opens the file, the file is whole and its version is read
/// here, and what it holds. Form fields: `key`, then `file`.
#[server(prefix = "/rpc", endpoint = "backup_check", input = MultipartFormData, output = WirePost)]
pub async fn check_backup(data: MultipartData) -> Result<BackupSummary, AppError> {
    door::respond(async {
        svc::By::admin(&door::caller()?).await?;
        let (key, mut file) = upload(data).await?;
        Ok(svc::verify(&key, &mut file).await?)
    })
    .await
}

/// Replaces the whole instance with the uploaded backup (all or nothing). Every session ends,
/// the asker's too. Form fields: `key`, then `file`.
#[server(prefix = "/rpc", endpoint = "backup_restore", input = MultipartFormData, output = WirePost)]
pub async fn restore_backup(data: MultipartData) -> Result<BackupSummary, AppError> {
    door::respond(async {
        let caller = door::caller()?;
        let by = svc::By::admin(&caller).await?;
        let (key, mut file) = upload(data).await?;
        Ok(svc::restore(&caller.state, &by, &key, &mut file).await?)
    })
    .await
}

/// The backup schedule, its next run and its last result.
#[server(prefix = "/rpc", endpoint = "backup_schedule", protocol = WireProtocol)]
pub async fn backup_schedule() -> Result<ScheduleView, AppError> {
    door::respond(async { scheduled::view(&door::caller()?).await }).await
}

/// Saves the schedule (the form's fields; `enabled` is present when ticked).
#[server(prefix = "/rpc", endpoint = "backup_schedule_save", protocol = WireProtocol)]
pub async fn save_backup_schedule(
    enabled: Option<String>,
    frequency: String,
    time: String,
    directory: String,
    keep_last: String,
    max_age_days: String,
    recipient: String,
) -> Result<ScheduleView, AppError> {
    let input = crate::domain::backup::ScheduleInput {
        enabled: enabled.is_some(),
        frequency,
        time,
        directory,
        keep_last,
        max_age_days,
        recipient,
    };
    door::respond(async { scheduled::save(&door::caller()?, &input).await }).await
}

/// Runs the scheduled backup once, now, with the saved settings.
#[server(prefix = "/rpc", endpoint = "backup_schedule_run", protocol = WireProtocol)]
pub async fn run_backup_now() -> Result<LastRun, AppError> {
    door::respond(async { scheduled::run_now(&door::caller()?).await }).await
}

/// The upload's key and its file as a stream, read as it arrives (never held whole).
#[cfg(feature = "ssr")]
async fn upload(data: MultipartData) -> Result<(BackupKey, impl tokio::io::AsyncRead + Unpin), AppError> {
    use futures::TryStreamExt as _;
    let bad = |_| AppError::validation("file", "The upload is not a form with a key and a file.");
    let mut form = data.into_inner().ok_or_else(AppError::internal)?;
    let mut key = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("key") => {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    text.extend_from_slice(&chunk);
                    if text.len() > 256 {
                        return Err(AppError::validation("key", "This is not a backup key."));
                    }
                }
                let text = zeroize::Zeroizing::new(String::from_utf8(text).unwrap_or_default());
                key = Some(BackupKey::parse(text.trim()).map_err(|e| AppError::validation("key", capital(&e)))?);
            }
            Some("file") => {
                let key = key.ok_or_else(|| AppError::validation("key", "Enter the backup's key."))?;
                let stream = field.map_err(std::io::Error::other);
                return Ok((key, tokio_util::io::StreamReader::new(stream)));
            }
            _ => {}
        }
    }
    Err(AppError::validation("file", "Choose a backup file."))
}

#[cfg(feature = "ssr")]
fn capital(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let mut c = text.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
