//! What a backup holds, as a dry run reports it to the Backups page and the command line.

use serde::{Deserialize, Serialize};

/// A backup's content in numbers: when and where it was made, and rows per table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSummary {
    /// When the backup was made (microseconds since the epoch, UTC).
    pub created_at: i64,
    /// The engine it was made on (SQLite or PostgreSQL); a backup restores onto either.
    pub engine: String,
    /// Rows per table, in restore order.
    pub rows: Vec<(String, u64)>,
}

impl BackupSummary {
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }

    /// The rows of `table`.
    pub fn of(&self, table: &str) -> u64 {
        self.rows.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n)
    }

    /// The counts people recognise, in words, for the confirmation.
    pub fn headline(&self) -> Vec<(&'static str, u64)> {
        [
            ("users", "users"),
            ("projects", "projects"),
            ("vaults", "vaults"),
            ("secrets", "secrets"),
            ("secret versions", "secret_versions"),
            ("keys", "keys"),
            ("certificates", "certificates"),
            ("access keys", "access_keys"),
            ("audit entries", "audit_log"),
        ]
        .into_iter()
        .map(|(label, table)| (label, self.of(table)))
        .collect()
    }
}

/// How often scheduled backups run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Hourly,
    #[default]
    Daily,
    Weekly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Hourly, Frequency::Daily, Frequency::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Hourly => "hourly",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Week days as the schedule names them (0 is Monday).
pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Backups on a schedule, as an Admin sets them. Times are UTC, like every time in Secryn.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub enabled: bool,
    pub frequency: Frequency,
    /// Minutes after midnight; an hourly run uses only the minute past the hour.
    pub time_of_day: u32,
    /// The day a weekly run falls on (0 is Monday).
    pub weekday: u32,
    /// The server directory the files go to (absolute).
    pub directory: String,
    /// Keep only the newest N backups in the directory (`None`: no count limit).
    pub keep_last: Option<u32>,
    /// Delete backups older than this many days (`None`: no age limit).
    pub max_age_days: Option<u32>,
    /// The age X25519 recipient (`age1…`) each run's one-time key is encrypted to.
    pub recipient: String,
}

/// The microseconds in a minute.
const MINUTE: i64 = 60_000_000;

impl Schedule {
    /// The first run strictly after `after` (microseconds, UTC).
    pub fn next_after(&self, after: crate::domain::time::Micros) -> crate::domain::time::Micros {
        let minutes = after.div_euclid(MINUTE) + 1; // the next whole minute
        let (period, offset) = match self.frequency {
            Frequency::Hourly => (60, i64::from(self.time_of_day % 60)),
            Frequency::Daily => (24 * 60, i64::from(self.time_of_day)),
            // 1970-01-01 was a Thursday: Monday 00:00 falls four days into each week from it.
            Frequency::Weekly => {
                (7 * 24 * 60, (i64::from(self.weekday) + 4) % 7 * 24 * 60 + i64::from(self.time_of_day))
            }
        };
        let start = minutes - (minutes - offset).rem_euclid(period);
        let next = if start < minutes { start + period } else { start };
        next * MINUTE
    }

    /// "Daily at 02:30 UTC", for people.
    pub fn describe(&self) -> String {
        let (h, m) = (self.time_of_day / 60, self.time_of_day % 60);
        match self.frequency {
            Frequency::Hourly => format!("Hourly at {m:02} minutes past the hour"),
            Frequency::Daily => format!("Daily at {h:02}:{m:02} UTC"),
            Frequency::Weekly => {
                let day = WEEKDAYS.get(self.weekday as usize).copied().unwrap_or("Monday");
                format!("Weekly on {day} at {h:02}:{m:02} UTC")
            }
        }
    }
}

/// The schedule form as typed: every field text, checked by `parse` field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInput {
    pub enabled: bool,
    /// `hourly`, `daily`, or `weekly:D` with D the day (0 is Monday): one choice in the form.
    pub frequency: String,
    /// `HH:MM`, UTC.
    pub time: String,
    pub directory: String,
    pub keep_last: String,
    pub max_age_days: String,
    pub recipient: String,
}

/// The longest directory path accepted.
pub const DIRECTORY_MAX: usize = 1024;

impl ScheduleInput {
    /// The schedule, or the first field that is wrong and why. The recipient's shape only:
    /// the server parses it for real.
    pub fn parse(&self) -> Result<Schedule, crate::domain::AppError> {
        use crate::domain::AppError;
        let (frequency, weekday) = parse_frequency(&self.frequency)
            .ok_or_else(|| AppError::validation("frequency", "Choose hourly, daily or weekly on a day."))?;
        let time_of_day = parse_time(&self.time)
            .ok_or_else(|| AppError::validation("time", "Enter a time as HH:MM (UTC), such as 02:30."))?;
        let directory = self.directory.trim().to_owned();
        if !directory.starts_with('/') || directory.len() > DIRECTORY_MAX || directory.contains('\0') {
            return Err(AppError::validation(
                "directory",
                "Enter the absolute path of a directory on the server, such as /var/backups/secryn.",
            ));
        }
        let limit = |field: &str, text: &str, what: &str| -> Result<Option<u32>, AppError> {
            match text.trim() {
                "" => Ok(None),
                t => t.parse::<u32>().ok().filter(|n| (1..=100_000).contains(n)).map(Some).ok_or_else(|| {
                    AppError::validation(field, format!("Enter a whole number of {what} from 1, or leave it empty."))
                }),
            }
        };
        let keep_last = limit("keep_last", &self.keep_last, "backups")?;
        let max_age_days = limit("max_age_days", &self.max_age_days, "days")?;
        let recipient = self.recipient.trim().to_owned();
        if !recipient.starts_with("age1") || recipient.len() > 100 {
            return Err(AppError::validation(
                "recipient",
                "Enter an age public key (it starts with age1; make one with age-keygen).",
            ));
        }
        Ok(Schedule {
            enabled: self.enabled,
            frequency,
            time_of_day,
            weekday,
            directory,
            keep_last,
            max_age_days,
            recipient,
        })
    }

    /// The form filled in from a saved schedule.
    pub fn from_schedule(s: &Schedule) -> ScheduleInput {
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        ScheduleInput {
            enabled: s.enabled,
            frequency: match s.frequency {
                Frequency::Weekly => format!("weekly:{}", s.weekday),
                f => f.as_str().to_owned(),
            },
            time: format!("{:02}:{:02}", s.time_of_day / 60, s.time_of_day % 60),
            directory: s.directory.clone(),
            keep_last: number(s.keep_last),
            max_age_days: number(s.max_age_days),
            recipient: s.recipient.clone(),
        }
    }
}

/// The form's choices of frequency, `(value, text)`, in the order shown.
pub fn frequency_choices() -> Vec<(String, String)> {
    let mut out = vec![("hourly".to_owned(), "Hourly".to_owned()), ("daily".to_owned(), "Daily".to_owned())];
    out.extend(WEEKDAYS.iter().enumerate().map(|(i, d)| (format!("weekly:{i}"), format!("Weekly on {d}"))));
    out
}

/// `hourly`, `daily` or `weekly:D` as a frequency and a week day.
fn parse_frequency(text: &str) -> Option<(Frequency, u32)> {
    match text.trim().split_once(':') {
        Some(("weekly", d)) => d.parse::<u32>().ok().filter(|d| *d < 7).map(|d| (Frequency::Weekly, d)),
        Some(_) => None,
        None => Frequency::parse(text.trim()).filter(|f| *f != Frequency::Weekly).map(|f| (f, 0)),
    }
}

/// `HH:MM` as minutes after midnight.
fn parse_time(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// What the last scheduled run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    pub started_at: i64,
    /// `None` while it runs (or if the node running it stopped).
    pub finished_at: Option<i64>,
    pub ok: bool,
    /// The backup's file name, when one was written.
    pub file: Option<String>,
    /// What went wrong, or what retention removed.
    pub message: String,
}

/// The Backups page's view of the schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// `None` until an Admin sets one.
    pub schedule: Option<Schedule>,
    pub next_at: Option<i64>,
    pub last: Option<LastRun>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = MINUTE;

    fn at(frequency: Frequency, time_of_day: u32, weekday: u32) -> Schedule {
        Schedule { frequency, time_of_day, weekday, ..Schedule::default() }
    }

    #[test]
    fn the_next_run_is_the_next_slot_strictly_after() {
        // 1970-01-05 was a Monday; 2026-12-04 10:40 UTC is a Friday.
        let friday = 1_796_380_800 * 1_000_000;
        let day = 24 * 60 * M;
        let midnight = friday - (10 * 60 + 40) * M;
        assert_eq!(at(Frequency::Hourly, 15, 0).next_after(friday), friday + 35 * M);
        assert_eq!(at(Frequency::Hourly, 40, 0).next_after(friday), friday + 60 * M, "strictly after");
        assert_eq!(at(Frequency::Daily, 2 * 60 + 30, 0).next_after(friday), midnight + day + 150 * M);
        assert_eq!(at(Frequency::Daily, 23 * 60, 0).next_after(friday), midnight + 23 * 60 * M);
        // Weekly on Monday 02:30: three days on; on Friday 23:00: later today.
        assert_eq!(at(Frequency::Weekly, 150, 0).next_after(friday), midnight + 3 * day + 150 * M);
        assert_eq!(at(Frequency::Weekly, 23 * 60, 4).next_after(friday), midnight + 23 * 60 * M);
        assert_eq!(at(Frequency::Weekly, 10 * 60 + 40, 4).next_after(friday), midnight + 7 * day + 640 * M);
        assert_eq!(at(Frequency::Weekly, 0, 0).next_after(4 * day - 1), 4 * day, "the first Monday");
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let good = ScheduleInput {
            enabled: true,
            frequency: "weekly:6".into(),
            time: "02:30".into(),
            directory: "/var/backups/secryn".into(),
            keep_last: "7".into(),
            max_age_days: String::new(),
            recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq".into(),
        };
        let s = good.parse().unwrap();
        assert_eq!((s.time_of_day, s.weekday, s.keep_last, s.max_age_days), (150, 6, Some(7), None));
        assert_eq!(ScheduleInput::from_schedule(&s), good);
        for (bad, field) in [
            (ScheduleInput { frequency: "monthly".into(), ..good.clone() }, "frequency"),
            (ScheduleInput { time: "24:00".into(), ..good.clone() }, "time"),
            (ScheduleInput { frequency: "weekly:7".into(), ..good.clone() }, "frequency"),
            (ScheduleInput { frequency: "weekly".into(), ..good.clone() }, "frequency"),
            (ScheduleInput { directory: "backups".into(), ..good.clone() }, "directory"),
            (ScheduleInput { keep_last: "0".into(), ..good.clone() }, "keep_last"),
            (ScheduleInput { max_age_days: "-1".into(), ..good.clone() }, "max_age_days"),
            (ScheduleInput { recipient: "ssh-ed25519 AAAA".into(), ..good.clone() }, "recipient"),
        ] {
            assert_eq!(bad.parse().unwrap_err().field.as_deref(), Some(field));
        }
    }
}
