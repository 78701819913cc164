//! Time as Secryn stores and shows it: microseconds since the Unix epoch, UTC.

use chrono::{DateTime, SecondsFormat, Utc};

/// Microseconds since the Unix epoch (UTC): the one time representation in the database.
pub type Micros = i64;

/// RFC 3339 UTC with microseconds, the format of every API time (`2027-02-11T22:26:00.000000Z`).
pub fn rfc3339(t: Micros) -> String {
    // Years 1970–9999 directly (a whole-vault read writes two per secret); anything else
    // through chrono, which the tests hold the fast path to.
    if !(0..253_402_300_800_000_000).contains(&t) {
        return DateTime::<Utc>::from_timestamp_micros(t)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Micros, true);
    }
    let (days, micros_of_day) = (t / 86_400_000_000, t % 86_400_000_000);
    let (y, m, d) = civil_from_days(days);
    let secs = micros_of_day / 1_000_000;
    // Digits written in place: `format!` was a tenth of a whole-vault read.
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    for (at, width, n) in [
        (0, 4, y),
        (5, 2, m),
        (8, 2, d),
        (11, 2, secs / 3600),
        (14, 2, secs / 60 % 60),
        (17, 2, secs % 60),
        (20, 6, micros_of_day % 1_000_000),
    ] {
        let mut n = n;
        for digit in out[at..at + width].iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// The proleptic Gregorian date `days` after 1970-01-01 (`days` ≥ 0), by the well-known
/// era arithmetic (400-year cycles of 146,097 days).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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

    /// The direct path writes what chrono writes, across the whole range and at its edges.
    #[test]
    fn fast_path_matches_chrono() {
        use chrono::{DateTime, SecondsFormat, Utc};
        let chrono =
            |t| DateTime::<Utc>::from_timestamp_micros(t).unwrap().to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut t: i64 = 0x2545_f491_4f6c_dd1d;
        let mut samples = vec![0, 1, 86_399_999_999, 86_400_000_000, 951_782_400_000_000, 253_402_300_799_999_999];
        for _ in 0..20_000 {
            t ^= t << 13;
            t ^= t >> 7;
            t ^= t << 17;
            samples.push(t.rem_euclid(253_402_300_800_000_000));
        }
        for s in samples {
            assert_eq!(super::rfc3339(s), chrono(s), "{s}");
        }
        assert_eq!(super::rfc3339(-1), chrono(-1));
        assert_eq!(super::rfc3339(253_402_300_800_000_000), chrono(253_402_300_800_000_000));
    }
}
