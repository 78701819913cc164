//! Turning infrastructure failures into the domain error: the cause goes to the server log
//! (whole chain), the user gets one plain sentence.

use crate::domain::AppError;

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        AppError::unavailable("The database is not answering right now; nothing was changed. Please try again.")
    }
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
