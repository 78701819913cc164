//! Helpers shared by server functions: reaching the state and the request's facts, setting
//! the session cookie, and giving errors their HTTP status.

use crate::domain::AppError;
use crate::server::crypto::SecretText;
use crate::server::{Anonymous, AppState, Caller, RequestMeta, SessionCtx};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// The session cookie's name over plain http (a local or test instance).
pub const SESSION_COOKIE: &str = "secryn_session";
/// Its name over https: browsers accept a `__Host-` cookie only with `Secure`, `Path=/` and
/// no `Domain`, so a sibling subdomain or a plain-http page cannot plant one of that name.
pub const SECURE_SESSION_COOKIE: &str = "__Host-secryn_session";

/// The session cookie's name for this instance.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(AppError::internal)
}

/// The request's IP and user agent, as the middleware recorded them.
pub fn meta() -> RequestMeta {
    with_context::<Parts, _>(|p| p.extensions.get::<RequestMeta>().cloned()).flatten().unwrap_or_default()
}

/// The signed-in session, or "please sign in".
pub fn session() -> Result<SessionCtx, AppError> {
    with_context::<Parts, _>(|p| p.extensions.get::<SessionCtx>().cloned())
        .flatten()
        .ok_or_else(|| AppError::unauthorized("Your session has ended. Please sign in again."))
}

/// The signed-in caller of this request, or "please sign in".
pub fn caller() -> Result<Caller, AppError> {
    Ok(Caller::new(state()?, session()?, meta()))
}

/// The caller of a request made before sign-in (signing in, setup, following a link).
pub fn visitor() -> Result<Caller<Anonymous>, AppError> {
    Ok(Caller::new(state()?, Anonymous, meta()))
}

/// The `Set-Cookie` value (`None` only if `value` were not header text; tokens are ASCII).
fn cookie(state: &AppState, value: &str, max_age_secs: i64) -> Option<HeaderValue> {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let name = session_cookie_name(state.settings.secure_cookies);
    let c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&c).ok()
}

/// Hands the new session's token to the browser.
pub fn set_session_cookie(state: &AppState, token: &SecretText) {
    let max_age = state.knobs.get().session_absolute() / 1_000_000;
    if let (Some(res), Some(c)) = (use_context::<ResponseOptions>(), cookie(state, token.expose(), max_age)) {
        res.append_header(header::SET_COOKIE, c);
    }
}

/// Tells the browser to forget its session cookie.
pub fn clear_session_cookie(state: &AppState) {
    if let (Some(res), Some(c)) = (use_context::<ResponseOptions>(), cookie(state, "", 0)) {
        res.append_header(header::SET_COOKIE, c);
    }
}

/// Sends a browser without JavaScript (a plain form post, `Accept: text/html`) on to `path`
/// after success; a script-driven call is left to show its own result.
pub fn redirect_plain_form(path: &str) {
    let plain = with_context::<Parts, _>(|p| {
        p.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }) == Some(true);
    if plain {
        leptos_axum::redirect(path);
    }
}

/// Runs a server function's body and gives an error its HTTP status and request id (the
/// body itself is encoded by server_fn, which the framework requires).
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    body.await.map_err(|mut e| {
        if let Some(res) = use_context::<ResponseOptions>() {
            res.set_status(StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
        e.request_id = crate::server::request::current_id();
        e
    })
}

/// Parsing ids that arrive as text: a malformed id is "not found", like an unknown one.
pub mod ids {
    use crate::domain::AppError;
    use crate::domain::ids::{ProjectId, SecretId, UserId, VaultId};
    use crate::domain::permission::ProjectRole;

    pub fn project(s: &str) -> Result<ProjectId, AppError> {
        ProjectId::parse(s).ok_or_else(|| AppError::not_found("No such project."))
    }

    pub fn vault(s: &str) -> Result<VaultId, AppError> {
        VaultId::parse(s).ok_or_else(|| AppError::not_found("No such vault."))
    }

    pub fn secret(s: &str) -> Result<SecretId, AppError> {
        SecretId::parse(s).ok_or_else(|| AppError::not_found("No such secret."))
    }

    pub fn key(s: &str) -> Result<crate::domain::ids::KeyId, AppError> {
        crate::domain::ids::KeyId::parse(s).ok_or_else(|| AppError::not_found("No such key."))
    }

    pub fn user(s: &str) -> Result<UserId, AppError> {
        UserId::parse(s).ok_or_else(|| AppError::validation("user", "Choose a user from the list."))
    }

    pub fn role(field: &str, s: &str) -> Result<ProjectRole, AppError> {
        ProjectRole::parse(s).ok_or_else(|| AppError::validation(field, "Choose a role from the list."))
    }
}
