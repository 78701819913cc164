//! Backups on every engine pair (SQLite→SQLite, SQLite→PostgreSQL, PostgreSQL→SQLite,
//! PostgreSQL→PostgreSQL), each onto an instance with another master key: every table comes
//! back row for row (the rewrapped keys aside, which must open with the new master key), the
//! audit chain verifies, secrets read back; and a damaged file or a wrong key changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::server::backup_file::{BackupKey, Opener, Sealer};
use app::server::services::backup::{self, By, TABLES};
use app::server::services::master_keys::SEALED;
use app::server::services::secrets::NewSecretInput;
use app::server::services::{access_keys, mail, projects, secrets, users, vaults};
use app::server::{AppState, clock};
use sqlx::Row as _;
use testkit::TestDb;

/// An instance with people, a project, a vault with secrets, an access key and log rows.
async fn populated(t: &TestDb) -> (AppState, app::domain::ids::VaultId, String) {
    let state = testkit::state(&t.db).await;
    let admin = testkit::person(&state, "admin@example.com", true).await;
    let project = projects::create(&admin, "Payments", "").await.unwrap();
    let vault = vaults::create(&admin, project, "prod", "").await.unwrap();
    for (name, value) in [("DB_URL", "postgres://db/prod"), ("API_TOKEN", "tok-123, \"quoted\"\nline")] {
        let input = NewSecretInput {
            // Null in one row and a number in the next: the restore must bind both.
            expiration_at: (name == "API_TOKEN").then(|| clock::now() + 3_600_000_000),
            ..testkit::new_secret(name, value)
        };
        secrets::create(&admin, vault, input).await.unwrap();
    }
    // E-mail on (its password sealed) and an invitation waiting in the outbox (sealed too).
    mail::save(&admin, &testkit::smtp::settings(2525)).await.unwrap();
    users::invite(&admin, "Robin", "robin@example.com").await.unwrap();
    let key = access_keys::create(&admin, vault, "ci", None).await.unwrap().key.expose().to_owned();
    testkit::read_secret(&testkit::machine(&state, &key), vault, "DB_URL").await.unwrap();
    (state, vault, key)
}

/// Every row of every table, as text, without the master-key-bound columns; the id of the
/// master key that wraps a column reads `current` when it is `state`'s current one.
async fn dump(state: &AppState) -> Vec<String> {
    let (db, current) = (&state.db, state.master.current_id());
    let mut out = Vec::new();
    for table in TABLES {
        let rows = sqlx::query(&format!("select * from {table}")).fetch_all(db.reader()).await.unwrap();
        for row in rows {
            let mut cells = vec![table.to_owned()];
            for (i, col) in row.columns().iter().enumerate() {
                use sqlx::Column as _;
                if matches!(
                    col.name(),
                    "wrapped_key" | "audit_key_wrapped" | "key_check" | "smtp_password_sealed" | "body_sealed"
                ) {
                    continue;
                }
                let raw = sqlx::Row::try_get_raw(&row, i).unwrap();
                use sqlx::ValueRef as _;
                let text = if raw.is_null() {
                    "null".to_owned()
                } else if let Ok(v) = row.try_get::<i64, _>(i) {
                    v.to_string()
                } else if let Ok(v) = row.try_get::<String, _>(i) {
                    v
                } else {
                    format!("{:?}", row.try_get::<Vec<u8>, _>(i).unwrap())
                };
                let text =
                    if col.name().ends_with("master_key_id") && text == current { "current".into() } else { text };
                cells.push(format!("{}={text}", col.name()));
            }
            out.push(cells.join("|"));
        }
    }
    out.sort();
    out
}

async fn make(state: &AppState) -> (Vec<u8>, BackupKey) {
    let mut file = Vec::new();
    let key = BackupKey::random();
    backup::create(state, &By::server(), &key, &mut file).await.unwrap();
    (file, key)
}

/// A session on `state`'s instance, as a sign-in leaves one.
async fn sign_in(state: &AppState) {
    let admin = testkit::person(state, &format!("{}@example.com", uuid::Uuid::new_v4().simple()), true).await;
    let mut tx = state.db.begin().await.unwrap();
    let now = clock::now();
    app::server::repo::sessions::insert(&mut tx, "hash", admin.user().id, now, now + 1_000_000, None, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn count(db: &app::server::db::Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(db.reader()).await.unwrap()
}

#[tokio::test]
async fn a_backup_restores_onto_every_engine_with_another_master_key() {
    for source in testkit::engines().await {
        let (state, vault, key_text) = populated(&source).await;
        sign_in(&state).await;
        let (file, key) = make(&state).await;
        // The backup holds its own creation entry.
        let before = dump(&state).await;
        let summary = backup::verify(&key, &mut file.as_slice()).await.unwrap();
        assert_eq!(summary.total() as usize, before.len(), "{summary:?}");
        assert_eq!(summary.of("sessions"), 1);
        for target in testkit::engines().await {
            let pair = format!("{:?} -> {:?}", source.engine, target.engine);
            let fresh = testkit::state(&target.db).await;
            sign_in(&fresh).await;
            // A second node on the same database, started before the restore.
            let other = AppState::new(app::server::state::Shared {
                audit_key: std::sync::Arc::new(
                    app::server::audit::AuditKey::load_or_create(&target.db, &fresh.master).await.unwrap(),
                ),
                data_keys: Default::default(),
                ..(*fresh).clone()
            });
            assert_ne!(fresh.master.current().key_check(), state.master.current().key_check());
            let restored = backup::restore(&fresh, &By::server(), &key, &mut file.as_slice()).await.unwrap();
            assert_eq!(restored, summary, "{pair}");
            // Every row came back, but no session (each one ends) and one entry more: the
            // restore itself, at the end of the restored chain.
            let mut after = dump(&fresh).await;
            let last: String = sqlx::query_scalar("select action from audit_log order by seq desc limit 1")
                .fetch_one(target.db.reader())
                .await
                .unwrap();
            assert_eq!(last, "backup.restore", "{pair}");
            after.retain(|r| !r.contains("|action=backup.restore|"));
            let expected: Vec<String> = before.iter().filter(|r| !r.starts_with("sessions|")).cloned().collect();
            assert_eq!(after, expected, "{pair}");
            assert_eq!(count(&target.db, "sessions").await, 0, "{pair}");
            // The running instance follows the restored one with its own master key, with no
            // restart: the chain verifies under the restored chain key, and a machine reads
            // the secret the source had.
            let verdict = app::server::audit::verify(&target.db, &fresh.audit_key).await.unwrap();
            assert!(verdict.first_broken.is_none(), "{pair}: {verdict:?}");
            assert!(verdict.checked >= 6, "{pair}: {verdict:?}");
            let read = testkit::read_secret(&testkit::machine(&fresh, &key_text), vault, "DB_URL").await.unwrap();
            assert_eq!(read.value.expose(), "postgres://db/prod", "{pair}");
            // The SMTP password and the queued e-mail open with the new master key too.
            for sealed in &SEALED {
                let (t, c, k) = (sealed.table, sealed.column, sealed.key_column);
                let sql = format!("select cast({} as text), {c}, {k} from {t}", sealed.row);
                let rows = sqlx::query(&sql).fetch_all(target.db.reader()).await.unwrap();
                assert_eq!(rows.len(), 1, "{pair}: {t}");
                let (id, value, key_id): (String, Vec<u8>, String) = (rows[0].get(0), rows[0].get(1), rows[0].get(2));
                let opened = fresh.master.unwrap_by(Some(&key_id), |m| m.open_value(&value, &(sealed.aad)(&id)));
                assert!(opened.is_ok(), "{pair}: {t}");
            }
            // The other node chains its next entry under the restored key too.
            let admin = testkit::person(&other, "other-node@example.com", true).await;
            projects::create(&admin, "After restore", "").await.unwrap();
            let verdict = app::server::audit::verify(&target.db, &fresh.audit_key).await.unwrap();
            assert!(verdict.first_broken.is_none(), "{pair}: {verdict:?}");
        }
    }
}

/// `file` opened, its content changed by `edit`, and sealed again under the same key: a
/// file whose envelope is whole but whose content breaks a rule of the database.
fn resealed(file: &[u8], key: &BackupKey, edit: impl FnOnce(&mut Vec<String>)) -> Vec<u8> {
    let mut opener = Opener::new(key);
    let mut plain = opener.push(file).unwrap().to_vec();
    plain.extend_from_slice(&opener.finish().unwrap());
    let mut lines: Vec<String> = String::from_utf8(plain).unwrap().lines().map(str::to_owned).collect();
    edit(&mut lines);
    let mut sealer = Sealer::new(key);
    let mut out = sealer.push(format!("{}\n", lines.join("\n")).as_bytes()).unwrap();
    out.extend(sealer.finish().unwrap());
    out
}

#[tokio::test]
async fn a_damaged_file_or_a_wrong_key_is_refused_and_changes_nothing() {
    let source = testkit::sqlite().await;
    let (state, _, _) = populated(&source).await;
    let (file, key) = make(&state).await;
    let target = testkit::postgres().await;
    let (fresh, _, _) = populated(&target).await;
    let before = dump(&fresh).await;
    let refused = async |file: &[u8], key: &BackupKey| {
        let e = backup::restore(&fresh, &By::server(), key, &mut &file[..]).await.unwrap_err();
        assert!(backup::verify(key, &mut &file[..]).await.is_err());
        assert_eq!(dump(&fresh).await, before, "the instance is unchanged after: {e}");
        e.to_string()
    };
    let wrong = refused(&file, &BackupKey::random()).await;
    assert!(wrong.contains("key"), "{wrong}");
    for cut in (0..file.len()).step_by(file.len() / 25 + 1) {
        refused(&file[..cut], &key).await;
    }
    for at in [20, file.len() / 2, file.len() - 1] {
        let mut flipped = file.clone();
        flipped[at] ^= 0x10;
        refused(&flipped, &key).await;
    }
    let mut future = file.clone();
    future[9] += 1;
    assert!(refused(&future, &key).await.contains("version"));
    // A restore that fails half-way (a row that breaks a constraint) rolls everything back.
    let twice = resealed(&file, &key, |lines| {
        let at = lines.iter().position(|l| l.starts_with("{") && l.contains("\"table\":\"users\"")).unwrap() + 1;
        let row = lines[at].clone();
        lines.insert(at, row);
    });
    refused(&twice, &key).await;
}

#[tokio::test]
async fn a_backup_taken_while_writes_go_on_restores_to_a_consistent_state() {
    for source in testkit::engines().await {
        let (state, vault, _) = populated(&source).await;
        let admin = testkit::person(&state, "writer@example.com", true).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let input = testkit::new_secret(format!("S{n}"), format!("v{n}"));
                    secrets::create(&admin, vault, input).await.unwrap();
                    n += 1;
                }
                n
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let (file, key) = make(&state).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let written = writer.await.unwrap();
        let target = testkit::sqlite().await;
        let fresh = testkit::state(&target.db).await;
        let summary = backup::restore(&fresh, &By::server(), &key, &mut file.as_slice()).await.unwrap();
        // Each secret came with its version and its audit entry, or not at all.
        let secrets = count(&target.db, "secrets").await;
        let created: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'secret.create'")
            .fetch_one(target.db.reader())
            .await
            .unwrap();
        assert_eq!(secrets, created, "{:?}: {summary:?}", source.engine);
        assert_eq!(count(&target.db, "secret_versions").await, secrets);
        assert!(secrets > 2 && secrets < written + 2 + 1, "{:?}: {secrets} of {written}", source.engine);
        let verdict = app::server::audit::verify(&target.db, &fresh.audit_key).await.unwrap();
        assert!(verdict.first_broken.is_none(), "{verdict:?}");
    }
}
