//! File downloads for signed-in people: a vault's secrets as `.env`, a key's private half as
//! PEM or OpenSSH, a certificate's PEM bundle. Plain links (not server functions) so the browser saves the file itself;
//! the services check and audit.

use app::domain::AppError;
use app::domain::ids::{CertificateId, KeyId, VaultId};
use app::server::services::{certificates, keys, secrets};
use app::server::{AppState, Caller, RequestMeta, SessionCtx};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router, routing::get};

/// The download routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vaults/{id}/export.env", get(export_env))
        .route("/keys/{id}/download", get(download_key))
        .route("/certificates/{id}/download", get(download_certificate))
}

/// A text file to save: `no-store`, under `name`.
fn attachment(text: &str, content_type: &'static str, name: &str) -> Response {
    let mut res = text.to_owned().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Query of a key download.
#[derive(Debug, serde::Deserialize)]
struct Format {
    format: Option<String>,
}

async fn download_key(
    State(state): State<AppState>,
    session: Option<Extension<SessionCtx>>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<String>,
    Query(q): Query<Format>,
) -> Response {
    let Some(Extension(session)) = session else {
        return AppError::unauthorized("Sign in to download keys.").into_response();
    };
    let outcome = async {
        let id = KeyId::parse(&id).ok_or_else(|| AppError::not_found("No such key."))?;
        let format = keys::Download::parse(q.format.as_deref())?;
        keys::download(&Caller::new(state, session, meta), id, format).await
    };
    match outcome.await {
        Ok((name, text)) => attachment(text.expose(), "application/x-pem-file", &file_name(&name, "")),
        Err(e) => e.into_response(),
    }
}

/// A file name from `name` (letters, digits, `.`, `-` and `_` only) with `extension`.
fn file_name(name: &str, extension: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{}{extension}", safe.trim_matches('_').chars().take(64).collect::<String>().to_lowercase())
}

async fn export_env(
    State(state): State<AppState>,
    session: Option<Extension<SessionCtx>>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<String>,
) -> Response {
    let Some(Extension(session)) = session else {
        return AppError::unauthorized("Sign in to export secrets.").into_response();
    };
    let Some(vault) = VaultId::parse(&id) else {
        return AppError::not_found("No such vault.").into_response();
    };
    match secrets::export(&Caller::new(state, session, meta), vault).await {
        Ok((name, text)) => attachment(text.expose(), "text/plain; charset=utf-8", &file_name(&name, ".env")),
        Err(e) => e.into_response(),
    }
}

async fn download_certificate(
    State(state): State<AppState>,
    session: Option<Extension<SessionCtx>>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<String>,
) -> Response {
    let Some(Extension(session)) = session else {
        return AppError::unauthorized("Sign in to download certificates.").into_response();
    };
    let Some(id) = CertificateId::parse(&id) else {
        return AppError::not_found("No such certificate.").into_response();
    };
    match certificates::download(&Caller::new(state, session, meta), id).await {
        Ok((name, text)) => attachment(text.expose(), "application/x-pem-file", &file_name(&name, "")),
        Err(e) => e.into_response(),
    }
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
