//! Admin → Settings' instance part: the name people see, session timeouts, the sign-in
//! lockout thresholds and how long the request and MCP logs keep their rows. Shared with the
//! browser, which shows them and the server's defaults beside them.

use super::AppError;
use super::time::Micros;
use serde::{Deserialize, Serialize};

/// The settings that take effect: an Admin's value, or the server's configured default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Knobs {
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Failed sign-ins to one account from one address in 15 minutes before that address is
    /// refused for it (and after which attempts on the account slow down).
    pub account_failure_limit: i64,
    /// Failed sign-ins from one address in 15 minutes before it is refused (0: off).
    pub ip_failure_limit: i64,
    /// Days the request and MCP logs keep their rows.
    pub log_retention_days: i64,
}

/// What Admin → Settings shows: the name, the values in effect and the server's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceView {
    pub name: String,
    pub knobs: Knobs,
    pub defaults: Knobs,
    pub updated_at: Option<Micros>,
}

/// The bounds of each number, as `(field, label, min, max)`, checked on save and shown as hints.
pub const BOUNDS: [(&str, &str, i64, i64); 5] = [
    ("session_idle_minutes", "minutes", 5, 1_440),
    ("session_absolute_hours", "hours", 1, 720),
    ("account_failure_limit", "failures", 3, 100),
    ("ip_failure_limit", "failures", 0, 100_000),
    ("log_retention_days", "days", 1, 3_650),
];

/// What the form sends: each number as typed; empty means "the server's default".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInput {
    pub name: String,
    pub session_idle_minutes: String,
    pub session_absolute_hours: String,
    pub account_failure_limit: String,
    pub ip_failure_limit: String,
    pub log_retention_days: String,
}

/// Checked settings: the name, and each number set (`None`: the server's default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceChecked {
    pub name: String,
    pub values: [Option<i64>; 5],
}

impl InstanceInput {
    /// The settings, or the first field that is wrong. The absolute session lifetime must be
    /// at least the idle timeout (with `defaults` filling the empty ones).
    pub fn check(&self, defaults: &Knobs) -> Result<InstanceChecked, AppError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(AppError::validation("name", "Enter a name of 1 to 64 characters."));
        }
        let raw = [
            &self.session_idle_minutes,
            &self.session_absolute_hours,
            &self.account_failure_limit,
            &self.ip_failure_limit,
            &self.log_retention_days,
        ];
        let mut values = [None; 5];
        for (at, (field, unit, min, max)) in BOUNDS.iter().enumerate() {
            let text = raw[at].trim();
            if text.is_empty() {
                continue;
            }
            let n =
                text.parse::<i64>().ok().filter(|n| (*min..=*max).contains(n)).ok_or_else(|| {
                    AppError::validation(field, format!("Enter {min} to {max} {unit}, or leave empty."))
                })?;
            values[at] = Some(n);
        }
        let idle = values[0].unwrap_or(defaults.session_idle_minutes);
        let absolute = values[1].unwrap_or(defaults.session_absolute_hours);
        if absolute * 60 < idle {
            return Err(AppError::validation(
                "session_absolute_hours",
                "A session cannot end sooner than its idle timeout: make this longer, or the idle timeout shorter.",
            ));
        }
        Ok(InstanceChecked { name: name.to_owned(), values })
    }
}

impl Knobs {
    /// A session ends after this long without a request.
    pub fn session_idle(&self) -> Micros {
        self.session_idle_minutes * 60_000_000
    }

    /// A session ends this long after sign-in, whatever happens.
    pub fn session_absolute(&self) -> Micros {
        self.session_absolute_hours * 3_600_000_000
    }

    /// `defaults` with each value set in `values` (in [`BOUNDS`] order) put in its place.
    pub fn with(defaults: &Knobs, values: &[Option<i64>; 5]) -> Knobs {
        Knobs {
            session_idle_minutes: values[0].unwrap_or(defaults.session_idle_minutes),
            session_absolute_hours: values[1].unwrap_or(defaults.session_absolute_hours),
            account_failure_limit: values[2].unwrap_or(defaults.account_failure_limit),
            ip_failure_limit: values[3].unwrap_or(defaults.ip_failure_limit),
            log_retention_days: values[4].unwrap_or(defaults.log_retention_days),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Knobs {
        Knobs {
            session_idle_minutes: 60,
            session_absolute_hours: 12,
            account_failure_limit: 5,
            ip_failure_limit: 50,
            log_retention_days: 90,
        }
    }

    #[test]
    fn each_number_is_bounded_and_empty_means_the_default() {
        let input = InstanceInput { name: " Acme ".into(), session_idle_minutes: "30".into(), ..Default::default() };
        let ok = input.check(&defaults()).unwrap();
        assert_eq!((ok.name.as_str(), ok.values), ("Acme", [Some(30), None, None, None, None]));
        assert_eq!(Knobs::with(&defaults(), &ok.values).session_idle_minutes, 30);
        for (input, field) in [
            (InstanceInput { name: " ".into(), ..Default::default() }, "name"),
            (
                InstanceInput { name: "A".into(), session_idle_minutes: "1".into(), ..Default::default() },
                "session_idle_minutes",
            ),
            (
                InstanceInput { name: "A".into(), account_failure_limit: "x".into(), ..Default::default() },
                "account_failure_limit",
            ),
            (
                InstanceInput { name: "A".into(), log_retention_days: "0".into(), ..Default::default() },
                "log_retention_days",
            ),
            (
                InstanceInput {
                    name: "A".into(),
                    session_idle_minutes: "600".into(),
                    session_absolute_hours: "2".into(),
                    ..Default::default()
                },
                "session_absolute_hours",
            ),
        ] {
            assert_eq!(input.check(&defaults()).unwrap_err().field.as_deref(), Some(field), "{input:?}");
        }
    }
}
