//! The one error edge. Infrastructure failures become the domain error (the cause goes to
//! the server log, whole chain; the user gets one plain sentence), and the domain error
//! becomes an HTTP response in one place: [`IntoResponse`] below, used by REST, downloads and
//! the middleware. Server functions are the one exception the framework forces: their body is
//! the error encoded by server_fn (so the browser can decode it), and `api::door::respond`
//! gives it the same status and request id.

use crate::domain::{AppError, ErrorCode};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

impl IntoResponse for AppError {
    /// The status of the error's code, the `{"error","message","request_id"}` body, no caching,
    /// and `WWW-Authenticate: Bearer` on 401.
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let request_id = self.request_id.or_else(crate::server::request::current_id);
        let body =
            serde_json::json!({ "error": self.code.as_str(), "message": self.message, "request_id": request_id });
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")],
            body.to_string(),
        )
            .into_response();
        if self.code == ErrorCode::Unauthorized {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<sqlx::Error> for AppError {
    /// An unreachable, busy or timed-out database is 503 (worth retrying); any other database
    /// failure is a fault on our side, 500. Either way the whole cause chain is logged, inside
    /// the request's span, and the person gets one sentence.
    fn from(e: sqlx::Error) -> Self {
        let chain = error_chain(&e);
        if is_unavailable(&e) {
            tracing::warn!(error = %chain, "database unavailable");
            AppError::unavailable("The database is not answering right now; nothing was changed. Please try again.")
        } else {
            tracing::error!(error = %chain, "database error");
            AppError::internal()
        }
    }
}

/// True for failures that mean "not reachable now", not "wrong".
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            // SQLite: busy or locked past the busy timeout; PostgreSQL: class 08 (connection),
            // 57P01–57P03 (shutdown, cannot connect now), 53300 (too many connections).
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "5" | "6" | "261" | "517")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

/// `error: cause: cause…`, so a log line says why, not only what.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// A unique-constraint violation becomes `message` beside `field`; anything else stays a
/// database error.
pub fn unique_or(e: sqlx::Error, field: &str, message: &str) -> AppError {
    if is_unique_violation(&e) { AppError::validation(field, message) } else { e.into() }
}

/// True when `e` is a unique-constraint violation (a duplicate name or e-mail).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.message().contains("UNIQUE constraint failed")
                || d.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}
