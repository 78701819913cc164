//! Time as Secryn stores and shows it: microseconds since the Unix epoch, UTC.

use chrono::{DateTime, SecondsFormat, Utc};

/// Microseconds since the Unix epoch (UTC): the one time representation in the database.
pub type Micros = i64;

/// RFC 3339 UTC with microseconds, the format of every API time (`2027-02-11T22:26:00.000000Z`).
pub fn rfc3339(t: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(t).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A short human form for tables: `2027-02-11 22:26 UTC`.
pub fn short(t: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(t).unwrap_or_default().format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_with_microseconds() {
        assert_eq!(super::rfc3339(1_802_384_760_000_000), "2027-02-11T22:26:00.000000Z");
        assert_eq!(super::short(1_802_384_760_000_000), "2027-02-11 22:26 UTC");
    }
}
