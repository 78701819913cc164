//! Scheduled backups (SPEC §6): an Admin sets when, where, how many to keep, and an age
//! public key; each run writes a backup with a fresh one-time key and, beside it, that key
//! encrypted to the public key (`FILE.key.age`), so nothing on the server can open the
//! backups. Every node ticks; a node runs a due slot only if it moves `next_at` on first, so
//! several nodes on one PostgreSQL run each slot once. A failed run is recorded, audited and
//! shown to Admins on the Backups page.

use super::backup::{self, By};
use super::{actor, require};
use crate::domain::AppError;
use crate::domain::backup::{Frequency, LastRun, Schedule, ScheduleInput, ScheduleView};
use crate::domain::error::ErrorCode;
use crate::domain::permission::{Action, Resource};
use crate::domain::time::Micros;
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::backup_file::BackupKey;
use crate::server::db::Db;
use crate::server::{AppState, Caller, clock};
use sqlx::Row as _;
use std::path::{Path, PathBuf};

/// The extension of scheduled (and downloaded) backup files; retention only ever touches
/// files named `secryn-YYYYMMDD-HHMM` with it.
pub const EXTENSION: &str = "secryn-backup";
/// Appended to a backup's name for its encrypted key.
pub const KEY_SUFFIX: &str = ".key.age";

/// The schedule, its next run and its last result, for an Admin.
pub async fn view(caller: &Caller) -> Result<ScheduleView, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "backup schedule").await?;
    Ok(load(&caller.state.db).await?)
}

/// Saves the schedule after checking every field: the directory exists here and takes files,
/// the recipient is an age X25519 public key. The next run is the first slot from now.
pub async fn save(caller: &Caller, input: &ScheduleInput) -> Result<ScheduleView, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "backup schedule").await?;
    let schedule = input.parse()?;
    recipient(&schedule.recipient)?;
    writable(Path::new(&schedule.directory)).await?;
    let before = load(&caller.state.db).await?.schedule;
    let now = clock::now();
    let next_at = schedule.enabled.then(|| schedule.next_after(now));
    let mut tx = caller.state.db.begin().await?;
    sqlx::query(
        "insert into backup_schedule (id, enabled, frequency, time_of_day, weekday, directory, keep_last, \
         max_age_days, recipient, next_at, updated_by, updated_at) values (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         on conflict (id) do update set enabled = excluded.enabled, frequency = excluded.frequency, \
         time_of_day = excluded.time_of_day, weekday = excluded.weekday, directory = excluded.directory, \
         keep_last = excluded.keep_last, max_age_days = excluded.max_age_days, recipient = excluded.recipient, \
         next_at = excluded.next_at, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(i64::from(schedule.enabled))
    .bind(schedule.frequency.as_str())
    .bind(i64::from(schedule.time_of_day))
    .bind(i64::from(schedule.weekday))
    .bind(&schedule.directory)
    .bind(schedule.keep_last.map(i64::from))
    .bind(schedule.max_age_days.map(i64::from))
    .bind(&schedule.recipient)
    .bind(next_at)
    .bind(caller.who.user.id.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        actor: &actor(caller),
        action: "backup.schedule",
        resource_type: "instance",
        resource_id: None,
        resource_name: Some("backup schedule".into()),
        changes: changes(before.as_ref(), &schedule),
        source_ip: caller.meta.ip.clone(),
    };
    audit::append(&mut tx, &caller.state.audit_key, entry).await?;
    tx.commit().await?;
    Ok(load(&caller.state.db).await?)
}

/// The fields that changed, with their old and new values (none of them is secret).
fn changes(before: Option<&Schedule>, after: &Schedule) -> Vec<Change> {
    let fields = |s: &Schedule| {
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            ("enabled", s.enabled.to_string()),
            ("when", s.describe()),
            ("directory", s.directory.clone()),
            ("keep_last", n(s.keep_last)),
            ("max_age_days", n(s.max_age_days)),
            ("recipient", s.recipient.clone()),
        ]
    };
    let old = before.map(fields);
    fields(after)
        .into_iter()
        .enumerate()
        .filter_map(|(i, (field, new))| {
            let was = old.as_ref().map(|o| o[i].1.clone());
            (was.as_deref() != Some(new.as_str())).then(|| Change::values(field, was.as_deref(), Some(&new)))
        })
        .collect()
}

/// The age public key, or why it is not one.
fn recipient(text: &str) -> Result<age::x25519::Recipient, AppError> {
    text.parse().map_err(|_| {
        AppError::validation(
            "recipient",
            "This is not an age public key; make a key pair with age-keygen and paste its public key (age1…).",
        )
    })
}

/// The directory exists on this server and a file can be made in it.
async fn writable(dir: &Path) -> Result<(), AppError> {
    let bad = |why: &str| AppError::validation("directory", format!("{} {why}", dir.display()));
    if !tokio::fs::metadata(dir).await.map(|m| m.is_dir()).unwrap_or(false) {
        return Err(bad("is not a directory on this server."));
    }
    let probe = dir.join(format!(".secryn-probe-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&probe, b"").await.map_err(|_| bad("does not let Secryn write files."))?;
    let _ = tokio::fs::remove_file(&probe).await;
    Ok(())
}

async fn load(db: &Db) -> Result<ScheduleView, sqlx::Error> {
    let Some(row) = sqlx::query(
        "select enabled, frequency, time_of_day, weekday, directory, keep_last, max_age_days, recipient, next_at, \
         last_started_at, last_finished_at, last_ok, last_file, last_message from backup_schedule where id = 1",
    )
    .fetch_optional(db.reader())
    .await?
    else {
        return Ok(ScheduleView::default());
    };
    let small = |i: usize| -> Result<u32, sqlx::Error> { Ok(u32::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0)) };
    let limit = |i: usize| -> Result<Option<u32>, sqlx::Error> {
        Ok(row.try_get::<Option<i64>, _>(i)?.and_then(|n| u32::try_from(n).ok()))
    };
    let schedule = Schedule {
        enabled: row.try_get::<i64, _>(0)? != 0,
        frequency: Frequency::parse(&row.try_get::<String, _>(1)?).unwrap_or_default(),
        time_of_day: small(2)?,
        weekday: small(3)?,
        directory: row.try_get(4)?,
        keep_last: limit(5)?,
        max_age_days: limit(6)?,
        recipient: row.try_get(7)?,
    };
    let last = row.try_get::<Option<i64>, _>(9)?.map(|started_at| -> Result<LastRun, sqlx::Error> {
        Ok(LastRun {
            started_at,
            finished_at: row.try_get(10)?,
            ok: row.try_get::<Option<i64>, _>(11)? == Some(1),
            file: row.try_get(12)?,
            message: row.try_get::<Option<String>, _>(13)?.unwrap_or_default(),
        })
    });
    Ok(ScheduleView { schedule: Some(schedule), next_at: row.try_get(8)?, last: last.transpose()? })
}

/// When the last scheduled run failed, while the schedule is on and no run has succeeded
/// since: the failure every Admin's pages show.
pub async fn failed_at(db: &Db) -> Result<Option<Micros>, sqlx::Error> {
    sqlx::query_scalar("select last_started_at from backup_schedule where id = 1 and enabled = 1 and last_ok = 0")
        .fetch_optional(db.reader())
        .await
        .map(Option::flatten)
}

/// Runs the scheduled backup if one is due at `now` and this node wins the slot. Returns
/// what the run did (`None`: nothing was due here).
pub async fn run_due(state: &AppState, now: Micros) -> Result<Option<LastRun>, sqlx::Error> {
    let view = load(&state.db).await?;
    let (Some(schedule), Some(due)) = (view.schedule, view.next_at) else { return Ok(None) };
    if !schedule.enabled || due > now {
        return Ok(None);
    }
    // The claim: whoever moves `next_at` on from `due` runs this slot; late nodes find it moved.
    let claimed = sqlx::query(
        "update backup_schedule set next_at = $1, last_started_at = $2, last_finished_at = null, last_ok = null, \
         last_file = null, last_message = null where id = 1 and next_at = $3 and enabled = 1",
    )
    .bind(schedule.next_after(now))
    .bind(now)
    .bind(due)
    .execute(state.db.write_pool())
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(Some(finish(state, &schedule, now).await?))
}

/// "Run now": an Admin tries the schedule's settings at once (the schedule's slots stay as
/// they are). Refused while another run is under way.
pub async fn run_now(caller: &Caller) -> Result<LastRun, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "backup schedule").await?;
    let state = &caller.state;
    let Some(schedule) = load(&state.db).await?.schedule else {
        return Err(AppError::validation("schedule", "Save a schedule first."));
    };
    let now = clock::now();
    // A run whose node stopped never finishes; after a day it no longer holds others back.
    let claimed = sqlx::query(
        "update backup_schedule set last_started_at = $1, last_finished_at = null, last_ok = null, last_file = null, \
         last_message = null where id = 1 and (last_started_at is null or last_finished_at is not null \
         or last_started_at < $2)",
    )
    .bind(now)
    .bind(now - clock::minutes(24 * 60))
    .execute(state.db.write_pool())
    .await?;
    if claimed.rows_affected() != 1 {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "A scheduled backup is running; try again when it has finished.",
        ));
    }
    // On its own task: a person who leaves the page does not cut the run short.
    let state = state.clone();
    let run = tokio::spawn(async move { finish(&state, &schedule, now).await });
    Ok(run.await.map_err(|_| AppError::internal())??)
}

/// Runs a claimed backup and records how it went.
async fn finish(state: &AppState, schedule: &Schedule, now: Micros) -> Result<LastRun, sqlx::Error> {
    let last = match run(state, schedule, now).await {
        Ok((file, pruned)) => LastRun {
            started_at: now,
            finished_at: Some(clock::now()),
            ok: true,
            message: match pruned {
                0 => String::new(),
                n => format!("Retention removed {n} older backup{}.", if n == 1 { "" } else { "s" }),
            },
            file: Some(file),
        },
        Err(why) => {
            tracing::warn!(error = %why, "a scheduled backup failed");
            LastRun { started_at: now, finished_at: Some(clock::now()), ok: false, file: None, message: why }
        }
    };
    record(state, &last).await?;
    Ok(last)
}

/// Writes the backup and its encrypted key, then applies retention. The file's name, and
/// how many old backups went; or what went wrong, in words.
async fn run(state: &AppState, schedule: &Schedule, now: Micros) -> Result<(String, usize), String> {
    let dir = PathBuf::from(&schedule.directory);
    let recipient = recipient(&schedule.recipient).map_err(|e| e.message)?;
    let name = format!("secryn-{}.{EXTENSION}", stamp(now));
    let path = dir.join(&name);
    let key = BackupKey::random();
    let sealed = age::encrypt_and_armor(&recipient, key.to_text().as_bytes())
        .map_err(|e| format!("could not encrypt the backup key: {e}"))?;
    let key_path = dir.join(format!("{name}{KEY_SUFFIX}"));
    write_new(&key_path, sealed.as_bytes()).await.map_err(|e| format!("{}: {e}", key_path.display()))?;
    if let Err(e) = backup::write_file(state, &By::server(), &key, &path).await {
        let _ = tokio::fs::remove_file(&key_path).await;
        return Err(format!("{}: {e}", path.display()));
    }
    let pruned = prune(&dir, schedule, now).await.map_err(|e| format!("retention in {}: {e}", dir.display()))?;
    Ok((name, pruned))
}

/// The one-time key a scheduled run saved beside its backup, opened with the age identity
/// (the text age-keygen writes; comment lines are skipped).
pub fn open_key(identity: &str, sealed: &[u8]) -> Result<BackupKey, String> {
    let line = identity.lines().map(str::trim).find(|l| l.starts_with("AGE-SECRET-KEY-"));
    let identity: age::x25519::Identity = line
        .ok_or("the identity file holds no age secret key")?
        .parse()
        .map_err(|_| "the identity file's key is not a valid age key")?;
    let text = zeroize::Zeroizing::new(
        age::decrypt(&identity, sealed).map_err(|_| "this identity does not open the backup's key file")?,
    );
    let text = std::str::from_utf8(&text).map_err(|_| "the key file does not hold a backup key")?;
    BackupKey::parse(text.trim()).map_err(|e| e.to_string())
}

/// `YYYYMMDD-HHMM` (UTC) of `t`.
fn stamp(t: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(t).unwrap_or_default().format("%Y%m%d-%H%M").to_string()
}

/// The time in a backup file's name, if it is one of ours.
fn stamped(name: &str) -> Option<Micros> {
    let stamp = name.strip_prefix("secryn-")?.strip_suffix(&format!(".{EXTENSION}"))?;
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M").ok()?;
    Some(t.and_utc().timestamp_micros())
}

async fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut f = options.open(path).await?;
    f.write_all(bytes).await?;
    f.sync_all().await
}

/// Deletes the backups (and their keys) past the newest `keep_last`, and those older than
/// `max_age_days`; never the newest one. Only files named as Secryn names them.
async fn prune(dir: &Path, schedule: &Schedule, now: Micros) -> std::io::Result<usize> {
    let mut ours = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        if let Some(name) = entry.file_name().to_str()
            && let Some(at) = stamped(name)
        {
            ours.push((at, name.to_owned()));
        }
    }
    ours.sort_unstable_by(|a, b| b.cmp(a)); // newest first
    let too_old = schedule.max_age_days.map(|d| now - clock::minutes(i64::from(d) * 24 * 60));
    let mut gone = 0;
    for (i, (at, name)) in ours.iter().enumerate().skip(1) {
        let beyond_count = schedule.keep_last.is_some_and(|n| i >= n as usize);
        if beyond_count || too_old.is_some_and(|cut| *at < cut) {
            tokio::fs::remove_file(dir.join(name)).await?;
            let _ = tokio::fs::remove_file(dir.join(format!("{name}{KEY_SUFFIX}"))).await;
            gone += 1;
        }
    }
    Ok(gone)
}

/// Stores the run's result; a failure is also an audit entry and a notification to every
/// Admin.
async fn record(state: &AppState, last: &LastRun) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "update backup_schedule set last_finished_at = $1, last_ok = $2, last_file = $3, last_message = $4 \
         where id = 1 and last_started_at = $5",
    )
    .bind(last.finished_at)
    .bind(i64::from(last.ok))
    .bind(&last.file)
    .bind(&last.message)
    .bind(last.started_at)
    .execute(&mut *tx)
    .await?;
    if !last.ok {
        let entry = Entry {
            actor: &Actor::System,
            action: "backup.failed",
            resource_type: "instance",
            resource_id: None,
            resource_name: Some("scheduled backup".into()),
            changes: vec![Change::values("reason", None, Some(&last.message))],
            source_ip: None,
        };
        audit::append(&mut tx, &state.audit_key, entry).await?;
        let title = format!("The scheduled backup failed: {}", last.message);
        super::notifications::to_admins(
            &mut tx,
            None,
            ("backup_failed", &title),
            "/admin/backups",
            last.finished_at.unwrap_or_else(clock::now),
        )
        .await?;
    }
    tx.commit().await
}
