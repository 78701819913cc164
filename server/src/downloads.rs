//! File downloads for signed-in people: a vault's secrets as `.env`. A plain link (not a
//! server function) so the browser saves the file itself; the service checks and audits.

use app::domain::AppError;
use app::domain::ids::VaultId;
use app::server::services::secrets;
use app::server::{AppState, Caller, RequestMeta, SessionCtx};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router, routing::get};

/// The download routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/vaults/{id}/export.env", get(export_env))
}

/// The file name a vault's export is saved under (letters, digits, `-` and `_` only).
fn file_name(vault: &str) -> String {
    let safe: String =
        vault.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{}.env", safe.trim_matches('_').chars().take(64).collect::<String>().to_lowercase())
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
        Ok((name, text)) => {
            let disposition = format!("attachment; filename=\"{}\"", file_name(&name));
            let mut res = text.expose().to_owned().into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn export_file_names_are_safe() {
        assert_eq!(super::file_name("Prod DB / main"), "prod_db___main.env");
        assert_eq!(super::file_name("ci-secrets"), "ci-secrets.env");
    }
}
