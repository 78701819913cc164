//! Scheduled backups on SQLite and PostgreSQL, with the clock passed in (no sleeping): a bad
//! setting is refused beside its field and stores nothing; a due slot runs once however many
//! nodes try; each run's key opens only with the Admin's age identity; retention keeps the
//! newest N and drops what is too old, touching no other file; a failed run is recorded,
//! audited and shown.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use age::secrecy::ExposeSecret as _;
use app::domain::backup::ScheduleInput;
use app::server::AppState;
use app::server::services::{backup, scheduled_backups as scheduled};
use std::path::Path;

const DAY: i64 = 24 * 60 * 60 * 1_000_000;

fn input(dir: &Path, recipient: &str) -> ScheduleInput {
    ScheduleInput {
        enabled: true,
        frequency: "daily".into(),
        time: "02:30".into(),
        directory: dir.display().to_string(),
        keep_last: "2".into(),
        max_age_days: String::new(),
        recipient: recipient.into(),
    }
}

/// The backups in `dir`, by name.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Another node on the same database.
fn other_node(state: &AppState) -> AppState {
    AppState::new(app::server::state::Shared { data_keys: Default::default(), ..(**state).clone() })
}

#[tokio::test]
async fn scheduled_runs_are_sealed_to_the_admin_run_once_and_keep_what_retention_says() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let member = testkit::person(&state, "member@example.com", false).await;
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public().to_string();
        let dir = tempfile::tempdir().unwrap();

        // Refusals, each naming its field; nothing is stored.
        let missing = dir.path().join("not-there");
        for (bad, field) in [
            (input(&missing, &recipient), "directory"),
            (ScheduleInput { recipient: "age1notakey".into(), ..input(dir.path(), &recipient) }, "recipient"),
            (ScheduleInput { time: "7pm".into(), ..input(dir.path(), &recipient) }, "time"),
        ] {
            let e = scheduled::save(&admin, &bad).await.unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
        }
        assert!(scheduled::save(&member, &input(dir.path(), &recipient)).await.is_err(), "Admins only");
        assert_eq!(scheduled::view(&admin).await.unwrap().schedule, None);

        let saved = scheduled::save(&admin, &input(dir.path(), &recipient)).await.unwrap();
        let first = saved.next_at.unwrap();
        assert_eq!(first % DAY, (2 * 60 + 30) * 60_000_000, "daily at 02:30 UTC");
        assert!(scheduled::run_due(&state, first - 1).await.unwrap().is_none(), "not due yet");

        // Two nodes reach the slot together: one runs it.
        let (a, b) = (state.clone(), other_node(&state));
        let (ra, rb) = tokio::join!(scheduled::run_due(&a, first), scheduled::run_due(&b, first));
        let ran: Vec<_> = [ra.unwrap(), rb.unwrap()].into_iter().flatten().collect();
        assert_eq!(ran.len(), 1, "{:?}", t.engine);
        assert!(ran[0].ok, "{:?}", ran[0]);
        let name = ran[0].file.clone().unwrap();
        assert_eq!(files(dir.path()), vec![name.clone(), format!("{name}.key.age")]);
        assert!(scheduled::run_due(&state, first).await.unwrap().is_none(), "the slot is taken");

        // The key opens only with the Admin's identity, and then the backup.
        let file = dir.path().join(&name);
        let sealed = std::fs::read(dir.path().join(format!("{name}.key.age"))).unwrap();
        assert!(String::from_utf8_lossy(&sealed).starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        let stranger = age::x25519::Identity::generate().to_string();
        assert!(scheduled::open_key(stranger.expose_secret(), &sealed).is_err());
        let key = scheduled::open_key(identity.to_string().expose_secret(), &sealed).unwrap();
        let summary = backup::verify(&key, &mut tokio::fs::File::open(&file).await.unwrap()).await.unwrap();
        assert_eq!(summary.of("users"), 2);
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);

        // "Run now" tries the settings at once and leaves the slots as they were.
        let next = scheduled::view(&admin).await.unwrap().next_at;
        let tried = scheduled::run_now(&admin).await.unwrap();
        assert!(tried.ok && tried.file.is_some(), "{tried:?}");
        assert_eq!(scheduled::view(&admin).await.unwrap().next_at, next);
        assert!(scheduled::run_now(&member).await.is_err(), "Admins only");

        // Three more days: the newest two stay, with their keys; files not ours stay too.
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.path().join("secryn-latest.secryn-backup"), "mine too").unwrap();
        let mut due = scheduled::view(&admin).await.unwrap().next_at.unwrap();
        let mut names = vec![name];
        for _ in 0..3 {
            let run = scheduled::run_due(&state, due).await.unwrap().unwrap();
            assert!(run.ok, "{run:?}");
            names.push(run.file.unwrap());
            due = scheduled::view(&admin).await.unwrap().next_at.unwrap();
        }
        let kept = &names[2..];
        let mut expected: Vec<String> = kept.iter().flat_map(|n| [n.clone(), format!("{n}.key.age")]).collect();
        expected.extend(["notes.txt".to_owned(), "secryn-latest.secryn-backup".to_owned()]);
        expected.sort();
        assert_eq!(files(dir.path()), expected);

        // By age instead, two days on: only what is older than a day goes (never the newest).
        let by_age =
            ScheduleInput { keep_last: String::new(), max_age_days: "1".into(), ..input(dir.path(), &recipient) };
        scheduled::save(&admin, &by_age).await.unwrap();
        let run = scheduled::run_due(&state, due + 2 * DAY).await.unwrap().unwrap();
        assert!(run.message.contains("removed 2"), "{run:?}");
        assert_eq!(
            files(dir.path()).iter().filter(|n| n.ends_with(".secryn-backup") && n.starts_with("secryn-2")).count(),
            1
        );

        // A run that cannot write: recorded, audited, shown; the next slot is still set.
        let gone = dir.path().join("gone");
        std::fs::create_dir(&gone).unwrap();
        scheduled::save(&admin, &input(&gone, &recipient)).await.unwrap();
        std::fs::remove_dir(&gone).unwrap();
        let due = scheduled::view(&admin).await.unwrap().next_at.unwrap();
        let failed = scheduled::run_due(&state, due).await.unwrap().unwrap();
        assert!(!failed.ok && failed.message.contains("gone"), "{failed:?}");
        let view = scheduled::view(&admin).await.unwrap();
        assert_eq!(view.last.as_ref(), Some(&failed));
        assert!(view.next_at.unwrap() > due);
        let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'backup.failed'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(audited, 1);
        assert_eq!(scheduled::failed_at(&t.db).await.unwrap(), Some(due), "every Admin page shows it");
        let told = app::server::services::notifications::inbox(&admin).await.unwrap();
        assert!(told.notifications[0].title.starts_with("The scheduled backup failed: "), "{told:?}");
        assert_eq!(told.notifications[0].link.as_deref(), Some("/admin/backups"));
        assert!(app::server::services::notifications::inbox(&member).await.unwrap().notifications.is_empty());
        std::fs::create_dir(&gone).unwrap();
        assert!(scheduled::run_now(&admin).await.unwrap().ok);
        assert_eq!(scheduled::failed_at(&t.db).await.unwrap(), None, "until a run succeeds");
    }
}
