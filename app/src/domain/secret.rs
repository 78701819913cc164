//! Secrets as both sides see them: the name and value rules, tags, and the status a secret
//! has at a moment (active, scheduled, disabled, expired, expiring soon). Values themselves
//! travel only in [`SecretValue`], which never prints.

use super::AppError;
use super::ids::{SecretId, VaultId};
use super::time::Micros;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest secret name.
pub const NAME_MAX: usize = 128;
/// Largest secret value, in bytes of UTF-8.
pub const VALUE_MAX: usize = 64 * 1024;
/// Longest tag.
pub const TAG_MAX: usize = 64;
/// Most tags on one secret.
pub const TAGS_MAX: usize = 32;
/// Longest content type.
pub const CONTENT_TYPE_MAX: usize = 100;
/// Longest version note.
pub const NOTE_MAX: usize = 500;
/// "Expiring soon" means within this many days.
pub const EXPIRING_DAYS: i64 = 30;

/// A valid secret name: 1–128 of `A–Z a–z 0–9 _ . -`, case-sensitive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        if raw.is_empty() {
            return Err(AppError::validation(field, "Enter a name."));
        }
        if raw.len() > NAME_MAX {
            return Err(AppError::validation(field, format!("Use at most {NAME_MAX} characters.")));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return Err(AppError::validation(field, "Use only letters A–Z and a–z, digits, and _ . -"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A secret value in memory: never printed, wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
#[serde(transparent)]
pub struct SecretValue(String);

/// Why an empty value is refused: one click on an empty box must not blank a live secret.
pub const EMPTY_VALUE: &str = "The value is empty; machines would be served an empty string.";

impl SecretValue {
    /// A value someone typed or sent: not empty, at most 64 KiB (UTF-8 is guaranteed by
    /// `String`). Every door parses with this unless the person confirmed an empty value.
    pub fn parse(field: &str, raw: String) -> Result<Self, AppError> {
        Self::parse_confirmed(field, raw, false)
    }

    /// Like [`SecretValue::parse`], but an empty value passes when `empty_confirmed` (the
    /// person ticked "save an empty value on purpose"), and for values read back from storage.
    pub fn parse_confirmed(field: &str, raw: String, empty_confirmed: bool) -> Result<Self, AppError> {
        let v = Self(raw);
        if v.0.is_empty() && !empty_confirmed {
            return Err(AppError::validation(field, EMPTY_VALUE));
        }
        if v.0.len() > VALUE_MAX {
            return Err(AppError::validation(field, "The value is larger than 64 KiB."));
        }
        Ok(v)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Splits and checks tags (comma-separated in forms): trimmed, unique, each 1–64 characters.
pub fn parse_tags(field: &str, raw: &str) -> Result<Vec<String>, AppError> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if t.chars().count() > TAG_MAX {
            return Err(AppError::validation(field, format!("A tag can have at most {TAG_MAX} characters.")));
        }
        if t.chars().any(char::is_control) {
            return Err(AppError::validation(field, "Remove control characters from tags."));
        }
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_owned());
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(AppError::validation(field, format!("Use at most {TAGS_MAX} tags.")));
    }
    Ok(tags)
}

/// Checks the activation/expiration pair.
pub fn check_dates(activation: Option<Micros>, expiration: Option<Micros>) -> Result<(), AppError> {
    match (activation, expiration) {
        (Some(a), Some(e)) if e <= a => {
            Err(AppError::validation("expiration_at", "Expiration must be after activation."))
        }
        _ => Ok(()),
    }
}

/// Where a secret stands at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretStatus {
    Active,
    /// Enabled, activation time still ahead.
    Scheduled,
    Disabled,
    /// Past its expiration: still served, marked expired.
    Expired,
    /// Active and expiring within 30 days.
    Expiring,
}

impl SecretStatus {
    /// Computes the status at `now`.
    pub fn at(enabled: bool, activation: Option<Micros>, expiration: Option<Micros>, now: Micros) -> SecretStatus {
        const DAY: i64 = 86_400_000_000;
        if !enabled {
            SecretStatus::Disabled
        } else if activation.is_some_and(|a| a > now) {
            SecretStatus::Scheduled
        } else if expiration.is_some_and(|e| e <= now) {
            SecretStatus::Expired
        } else if expiration.is_some_and(|e| e - now <= EXPIRING_DAYS * DAY) {
            SecretStatus::Expiring
        } else {
            SecretStatus::Active
        }
    }

    /// Served to machines: enabled and activation absent or past (expired ones too).
    pub fn is_served(self) -> bool {
        matches!(self, SecretStatus::Active | SecretStatus::Expired | SecretStatus::Expiring)
    }

    pub fn label(self) -> &'static str {
        match self {
            SecretStatus::Active => "Active",
            SecretStatus::Scheduled => "Scheduled",
            SecretStatus::Disabled => "Disabled",
            SecretStatus::Expired => "Expired",
            SecretStatus::Expiring => "Expiring soon",
        }
    }
}

/// A secret's metadata (never its value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    pub id: SecretId,
    pub vault_id: VaultId,
    pub name: String,
    pub content_type: String,
    pub description: String,
    pub tags: Vec<String>,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
    pub enabled: bool,
    pub current_version: i64,
    pub updated_at: Micros,
    pub updated_by: String,
}

impl SecretMeta {
    /// Where the secret stands at `now`: whether it is served, and what its row shows.
    pub fn status(&self, now: Micros) -> SecretStatus {
        SecretStatus::at(self.enabled, self.activation_at, self.expiration_at, now)
    }
}

/// One version's record (never its value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: i64,
    pub note: String,
    pub created_at: Micros,
    pub created_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        assert!(SecretName::parse("n", "DB_PASSWORD.prod-1").is_ok());
        for bad in ["", "has space", "é", "a/b", &"x".repeat(129)] {
            assert!(SecretName::parse("n", bad).is_err(), "{bad}");
        }
        assert!(SecretName::parse("n", &"x".repeat(128)).is_ok());
    }

    #[test]
    fn values_tags_and_dates_are_checked() {
        assert!(SecretValue::parse("v", "x".repeat(VALUE_MAX)).is_ok());
        assert_eq!(SecretValue::parse("v", String::new()).unwrap_err().message, EMPTY_VALUE);
        assert!(SecretValue::parse_confirmed("v", String::new(), true).is_ok());
        assert!(SecretValue::parse_confirmed("v", "x".repeat(VALUE_MAX + 1), true).is_err());
        assert!(SecretValue::parse("v", "x".repeat(VALUE_MAX + 1)).is_err());
        assert_eq!(format!("{:?}", SecretValue::parse("v", "hunter2".into()).unwrap()), "[redacted]");
        assert_eq!(parse_tags("t", " prod, db ,prod,, ").unwrap(), ["prod", "db"]);
        assert!(parse_tags("t", &"t".repeat(65)).is_err());
        assert!(check_dates(Some(10), Some(5)).is_err());
        assert!(check_dates(Some(5), Some(10)).is_ok());
        assert!(check_dates(None, Some(10)).is_ok());
    }

    #[test]
    fn status_at_a_moment() {
        let day = 86_400_000_000;
        let now = 1_000 * day;
        assert_eq!(SecretStatus::at(false, None, None, now), SecretStatus::Disabled);
        assert_eq!(SecretStatus::at(true, Some(now + 1), None, now), SecretStatus::Scheduled);
        assert_eq!(SecretStatus::at(true, Some(now - 1), Some(now), now), SecretStatus::Expired);
        assert_eq!(SecretStatus::at(true, None, Some(now + 30 * day), now), SecretStatus::Expiring);
        assert_eq!(SecretStatus::at(true, None, Some(now + 31 * day), now), SecretStatus::Active);
        assert!(SecretStatus::Expired.is_served() && !SecretStatus::Scheduled.is_served());
    }
}

/// A row of a vault's secrets table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRow {
    pub meta: SecretMeta,
    pub status: SecretStatus,
}

/// Everything the secret page shows (never a value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretPage {
    pub meta: SecretMeta,
    pub status: SecretStatus,
    pub versions: Vec<VersionInfo>,
    pub vault: super::org::VaultDetail,
}

/// One line of a comparison between two values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// A line diff of `old` against `new` (longest common subsequence; values are at most 64 KiB,
/// so the table stays small enough for the lines a secret has).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        // Too many lines to align: show the whole change.
        return a
            .iter()
            .map(|l| DiffLine::Removed((*l).to_owned()))
            .chain(b.iter().map(|l| DiffLine::Added((*l).to_owned())))
            .collect();
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(DiffLine::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(DiffLine::Removed(a[i].to_owned()));
            i += 1;
        } else {
            out.push(DiffLine::Added(b[j].to_owned()));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| DiffLine::Removed((*l).to_owned())));
    out.extend(b[j..].iter().map(|l| DiffLine::Added((*l).to_owned())));
    out
}

#[cfg(test)]
mod diff_tests {
    use super::*;

    #[test]
    fn line_diff_keeps_common_lines() {
        let d = diff_lines("a\nb\nc", "a\nx\nc\nd");
        assert_eq!(
            d,
            [
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("x".into()),
                DiffLine::Same("c".into()),
                DiffLine::Added("d".into())
            ]
        );
        assert_eq!(diff_lines("", "new"), [DiffLine::Added("new".into())]);
    }
}

/// Rows per page of a vault's secrets table.
pub const PAGE_SIZE: i64 = 50;

/// The column a secrets table is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSort {
    #[default]
    Name,
    Version,
    Updated,
}

impl SecretSort {
    /// Reads the submitted form; anything else sorts by name.
    pub fn parse(s: &str) -> SecretSort {
        match s {
            "version" => SecretSort::Version,
            "updated" => SecretSort::Updated,
            _ => SecretSort::Name,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SecretSort::Name => "name",
            SecretSort::Version => "version",
            SecretSort::Updated => "updated",
        }
    }
}

/// What a secrets table asks for: filters, order and page (first page is 1). Filtering and
/// paging happen in the database, so a vault of 10,000 secrets sends 50 rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretQuery {
    /// Part of a name or tag, case-insensitive.
    pub text: String,
    /// Exact tag.
    pub tag: String,
    /// A status, or `None` for all.
    pub status: Option<SecretStatus>,
    pub sort: SecretSort,
    pub descending: bool,
    pub page: i64,
}

/// One page of a vault's secrets plus what the filters need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretListing {
    pub rows: Vec<SecretRow>,
    /// Secrets matching the filters (all pages).
    pub matching: i64,
    /// Secrets in the vault, unfiltered (tells an empty vault from an empty filter).
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// Every tag used in the vault, sorted.
    pub tags: Vec<String>,
}

impl SecretStatus {
    /// Every status, for pickers.
    pub const ALL: [SecretStatus; 5] = [
        SecretStatus::Active,
        SecretStatus::Expiring,
        SecretStatus::Expired,
        SecretStatus::Scheduled,
        SecretStatus::Disabled,
    ];

    /// The submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretStatus::Active => "active",
            SecretStatus::Scheduled => "scheduled",
            SecretStatus::Disabled => "disabled",
            SecretStatus::Expired => "expired",
            SecretStatus::Expiring => "expiring",
        }
    }

    /// Reads the submitted form; anything else means "all".
    pub fn parse(s: &str) -> Option<SecretStatus> {
        SecretStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}
