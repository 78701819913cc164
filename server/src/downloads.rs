//! File downloads for signed-in people: a vault's secrets as `.env`, a key's private half as
//! PEM or OpenSSH, a certificate's PEM bundle. Plain links (not server functions) so the
//! browser saves the file itself; the services check and audit.

use app::domain::AppError;
use app::domain::ids::{CertificateId, KeyId, VaultId};
use app::server::crypto::SecretText;
use app::server::services::{certificates, keys, secrets};
use app::server::{AppState, Caller, RequestMeta, SessionCtx};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get, routing::post};

/// The download routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vaults/{id}/export.env", get(export_env))
        .route("/keys/{id}/download", get(download_key))
        .route("/certificates/{id}/download", get(download_certificate))
        .route("/admin/logs/{kind}/export.csv", get(export_log))
        .route("/admin/backups/download", post(download_backup))
}

/// The signed-in person asking for a file; anyone else is answered 401.
struct Person(Caller);

impl FromRequestParts<AppState> for Person {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = parts.extensions.get::<SessionCtx>().cloned();
        let session = session.ok_or_else(|| AppError::unauthorized("Sign in to download files.").into_response())?;
        let meta = parts.extensions.get::<RequestMeta>().cloned().unwrap_or_default();
        Ok(Person(Caller::new(state.clone(), session, meta)))
    }
}

/// A service's file (name and text) as a download to save: `no-store`, named safely with
/// `extension`; an error through the one edge.
fn saved(result: Result<(String, SecretText), AppError>, content_type: &'static str, extension: &str) -> Response {
    let (name, text) = match result {
        Ok(file) => file,
        Err(e) => return e.into_response(),
    };
    let mut res = text.expose().to_owned().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = format!("attachment; filename=\"{}\"", file_name(&name, extension));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A file name from `name` (letters, digits, `.`, `-` and `_` only) with `extension`.
fn file_name(name: &str, extension: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{}{extension}", safe.trim_matches('_').chars().take(64).collect::<String>().to_lowercase())
}

async fn export_env(Person(caller): Person, Path(id): Path<String>) -> Response {
    let outcome = async {
        let vault = VaultId::parse(&id).ok_or_else(|| AppError::not_found("No such vault."))?;
        secrets::export(&caller, vault).await
    };
    saved(outcome.await, "text/plain; charset=utf-8", ".env")
}

/// Query of a key download.
#[derive(Debug, Default, serde::Deserialize)]
struct Format {
    format: Option<String>,
}

async fn download_key(
    Person(caller): Person,
    Path(id): Path<String>,
    query: Result<Query<Format>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let outcome = async {
        let id = KeyId::parse(&id).ok_or_else(|| AppError::not_found("No such key."))?;
        let format = keys::Download::parse(query.map(|Query(q)| q).unwrap_or_default().format.as_deref())?;
        keys::download(&caller, id, format).await
    };
    saved(outcome.await, "application/x-pem-file", "")
}

async fn download_certificate(Person(caller): Person, Path(id): Path<String>) -> Response {
    let outcome = async {
        let id = CertificateId::parse(&id).ok_or_else(|| AppError::not_found("No such certificate."))?;
        certificates::download(&caller, id).await
    };
    saved(outcome.await, "application/x-pem-file", "")
}

/// `GET /admin/logs/{kind}/export.csv?…filter`: the filtered rows as CSV, streamed a batch at
/// a time (memory stays flat; a client that hangs up stops the queries). An error before the
/// first byte is answered as one; one after it cuts the file short (the transfer fails, so no
/// one mistakes a partial file for a whole one).
async fn export_log(
    Person(caller): Person,
    Path(kind): Path<String>,
    Query(filter): Query<app::domain::logs::LogFilter>,
) -> Response {
    let Some(kind) = app::domain::logs::LogKind::parse(&kind) else {
        return AppError::not_found("No such log.").into_response();
    };
    let export = match app::server::services::logs::export(&caller, kind, filter).await {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    let disposition = format!("attachment; filename=\"{}\"", export.file_name);
    let chunks = futures::stream::unfold(Some(export), |state| async move {
        let mut export = state?;
        match export.next_chunk().await {
            Ok(Some(text)) => Some((Ok(text), Some(export))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e.message, "a log export stopped halfway");
                Some((Err(std::io::Error::other("the export stopped")), None))
            }
        }
    });
    let mut res = axum::body::Body::from_stream(chunks).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The form of a backup download: the one-time key the page was given.
#[derive(serde::Deserialize)]
struct BackupForm {
    key: String,
}

/// `POST /admin/backups/download` (form: `key`): a backup of the whole instance sealed with
/// that key, streamed as it is written (memory stays flat). A client that hangs up stops
/// the snapshot; a failure halfway cuts the transfer, so a partial file never passes for a
/// whole one (and would not open anyway).
async fn download_backup(Person(caller): Person, form: axum::extract::Form<BackupForm>) -> Response {
    use app::server::services::backup::{self, By};
    let key = app::server::backup_file::BackupKey::parse(form.key.trim());
    let by = By::admin(&caller).await;
    let (key, by) = match (key, by) {
        (_, Err(e)) => return e.into_response(),
        (Err(e), _) => return AppError::validation("key", e.to_string()).into_response(),
        (Ok(key), Ok(by)) => (key, by),
    };
    let (mut writer, reader) = tokio::io::duplex(256 * 1024);
    let made = tokio::spawn(async move {
        let result = backup::create(&caller.state, &by, &key, &mut writer).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "a backup download stopped halfway");
        }
        result.is_ok()
    });
    let failed = futures::stream::once(async move {
        match made.await {
            Ok(true) => None,
            _ => Some(Err(std::io::Error::other("the backup stopped"))),
        }
    });
    use futures::StreamExt as _;
    let body = tokio_util::io::ReaderStream::new(reader).chain(failed.filter_map(std::future::ready));
    let mut res = axum::body::Body::from_stream(body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let name = format!("attachment; filename=\"secryn-{}.secryn-backup\"", stamp());
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `YYYYMMDD-HHMM` in UTC, for file names that sort by time.
fn stamp() -> String {
    let now = app::server::clock::now();
    app::domain::time::short(now).replace(['-', ':'], "").replace(' ', "-").trim_end_matches("-UTC").to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn export_file_names_are_safe() {
        assert_eq!(super::file_name("Prod DB / main", ".env"), "prod_db___main.env");
        assert_eq!(super::file_name("ci-secrets", ".env"), "ci-secrets.env");
        assert_eq!(super::file_name("deploy.pem", ""), "deploy.pem");
    }
}
