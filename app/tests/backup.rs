//! Backups on every engine pair (SQLite→SQLite, SQLite→PostgreSQL, PostgreSQL→SQLite,
//! PostgreSQL→PostgreSQL), each onto an instance with another master key: every table comes
//! back row for row (the rewrapped keys aside, which must open with the new master key), the
//! audit chain verifies, secrets read back; and a damaged file or a wrong key changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::secret::SecretValue;
use app::server::backup_file::BackupKey;
use app::server::services::backup::{self, TABLES};
use app::server::services::secrets::NewSecretInput;
use app::server::services::{access_keys, projects, secrets, vaults};
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
            name: name.into(),
            value: SecretValue::parse("value", value.to_owned()).unwrap(),
            content_type: String::new(),
            description: String::new(),
            tags: String::new(),
            activation_at: None,
            expiration_at: None,
        };
        secrets::create(&admin, vault, input).await.unwrap();
    }
    let key = access_keys::create(&admin, vault, "ci", None).await.unwrap().key.expose().to_owned();
    testkit::read_secret(&testkit::machine(&state, &key), vault, "DB_URL").await.unwrap();
    (state, vault, key)
}

/// Every row of every table, as text, without the master-key-bound columns.
async fn dump(db: &app::server::db::Db) -> Vec<String> {
    let mut out = Vec::new();
    for table in TABLES {
        let rows = sqlx::query(&format!("select * from {table}")).fetch_all(db.reader()).await.unwrap();
        for row in rows {
            let mut cells = vec![table.to_owned()];
            for (i, col) in row.columns().iter().enumerate() {
                use sqlx::Column as _;
                if matches!(col.name(), "wrapped_key" | "audit_key_wrapped" | "key_check") {
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
                cells.push(format!("{}={text}", col.name()));
            }
            out.push(cells.join("|"));
        }
    }
    out.sort();
    out
}

async fn make(t: &TestDb, state: &AppState) -> (Vec<u8>, BackupKey) {
    let mut file = Vec::new();
    let key = backup::create(&t.db, &state.master, clock::now(), &mut file).await.unwrap();
    (file, key)
}

#[tokio::test]
async fn a_backup_restores_onto_every_engine_with_another_master_key() {
    for source in testkit::engines().await {
        let (state, vault, key_text) = populated(&source).await;
        let before = dump(&source.db).await;
        let (file, key) = make(&source, &state).await;
        let (summary, _) = backup::read(&mut file.as_slice(), &key).unwrap();
        assert!(summary.total() as usize >= before.len() - 1, "{summary:?}");
        for target in testkit::engines().await {
            let pair = format!("{:?} -> {:?}", source.engine, target.engine);
            let fresh = testkit::state(&target.db).await;
            assert_ne!(fresh.master.key_check(), state.master.key_check());
            let (_, tables) = backup::read(&mut file.as_slice(), &key).unwrap();
            backup::restore(&target.db, &fresh.master, &key, tables).await.unwrap();
            let mut expected: Vec<String> = before.iter().filter(|r| !r.starts_with("sessions|")).cloned().collect();
            expected.sort();
            assert_eq!(dump(&target.db).await, expected, "{pair}");
            // The restored instance opens with its own master key: the chain verifies, and a
            // machine reads the secret the source had.
            let restored = AppState::new(app::server::state::Shared {
                audit_key: std::sync::Arc::new(
                    app::server::audit::AuditKey::load_or_create(&target.db, &fresh.master).await.unwrap(),
                ),
                data_keys: Default::default(),
                ..(*fresh).clone()
            });
            let verdict = app::server::audit::verify(&target.db, &restored.audit_key).await.unwrap();
            assert!(verdict.first_broken.is_none(), "{pair}: {verdict:?}");
            assert!(verdict.checked >= 5, "{pair}: {verdict:?}");
            let read = testkit::read_secret(&testkit::machine(&restored, &key_text), vault, "DB_URL").await.unwrap();
            assert_eq!(read.value.expose(), "postgres://db/prod", "{pair}");
        }
    }
}

#[tokio::test]
async fn a_damaged_file_or_a_wrong_key_is_refused_and_changes_nothing() {
    let source = testkit::sqlite().await;
    let (state, _, _) = populated(&source).await;
    let (file, key) = make(&source, &state).await;
    let target = testkit::postgres().await;
    let (fresh, _, _) = populated(&target).await;
    let before = dump(&target.db).await;
    assert!(backup::read(&mut file.as_slice(), &BackupKey::random()).is_err());
    for cut in (0..file.len()).step_by(file.len() / 40 + 1) {
        assert!(backup::read(&mut &file[..cut], &key).is_err(), "cut at {cut}");
    }
    let mut flipped = file.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    assert!(backup::read(&mut flipped.as_slice(), &key).is_err());
    // A restore that fails half-way (a row that breaks a constraint) rolls everything back.
    let (_, mut tables) = backup::read(&mut file.as_slice(), &key).unwrap();
    let users = tables.iter_mut().find(|t| t.table == "users").unwrap();
    let first = users.rows[0].clone();
    users.rows.push(first);
    assert!(backup::restore(&target.db, &fresh.master, &key, tables).await.is_err());
    assert_eq!(dump(&target.db).await, before, "the instance is unchanged");
}
