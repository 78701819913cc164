//! The one clock. Everything that stamps a time asks here, so there is one place to reason
//! about time zones (always UTC).

use crate::domain::time::Micros;

/// Now, in microseconds since the Unix epoch, UTC.
pub fn now() -> Micros {
    chrono::Utc::now().timestamp_micros()
}

/// A number of minutes as microseconds.
pub const fn minutes(n: i64) -> Micros {
    n * 60 * 1_000_000
}
