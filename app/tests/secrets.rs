//! Secrets on both engines: versioning, restore, stale saves, many concurrent writers, the
//! plaintext scan, Read-only users never receiving a value, and bad input changing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::domain::dotenv::ImportOutcome;
use app::domain::ids::{SecretId, VaultId};
use app::domain::permission::ProjectRole;
use app::domain::secret::{SecretQuery, SecretSort, SecretStatus, SecretValue, VALUE_MAX};
use app::server::db::{Db, Engine};
use app::server::services::secrets::{self, NewSecretInput, RevealKind};
use app::server::services::{projects, vaults};
use app::server::{AppState, Caller, Shared, audit};

const KNOWN: &str = "correct-horse-battery-staple-4242-plaintext-probe";

struct World {
    state: AppState,
    admin: Caller,
    reader: Caller,
    vault: VaultId,
}

async fn session(state: &AppState, email: &str, is_admin: bool) -> Caller {
    testkit::person(state, email, is_admin).await
}

async fn world(db: &Db) -> World {
    let state = testkit::state(db).await;
    let admin = session(&state, "admin@example.com", true).await;
    let reader = session(&state, "reader@example.com", false).await;
    let p = projects::create(&admin, "Payments", "").await.unwrap();
    projects::add_member(&admin, p, reader.user().id, ProjectRole::ReadOnly).await.unwrap();
    let vault = vaults::create(&admin, p, "production", "").await.unwrap();
    World { state, admin, reader, vault }
}

fn value(s: &str) -> SecretValue {
    SecretValue::parse("value", s.to_owned()).unwrap()
}

fn input(name: &str, v: &str) -> NewSecretInput {
    NewSecretInput { tags: "prod, db".into(), ..testkit::new_secret(name, v) }
}

async fn create(w: &World, name: &str, v: &str) -> SecretId {
    secrets::create(&w.admin, w.vault, input(name, v)).await.unwrap()
}

async fn reveal(w: &World, id: SecretId, version: Option<i64>) -> String {
    secrets::reveal(&w.admin, id, version, RevealKind::Reveal).await.unwrap().expose().to_owned()
}

#[tokio::test]
async fn versions_grow_restore_adds_one_and_history_keeps_everything() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let id = create(&w, "DB_PASSWORD", "one").await;
        assert_eq!(secrets::new_version(&w.admin, id, value("two"), "rotated", Some(1)).await.unwrap(), 2);
        assert_eq!(secrets::new_version(&w.admin, id, value("three"), "", None).await.unwrap(), 3);
        assert_eq!(reveal(&w, id, None).await, "three");
        assert_eq!(reveal(&w, id, Some(1)).await, "one");

        // A save from a stale page is refused and saves nothing.
        let stale = secrets::new_version(&w.admin, id, value("late"), "", Some(2)).await.unwrap_err();
        assert_eq!(stale.code, ErrorCode::Conflict);
        assert!(stale.message.contains("changed since you opened it"));
        assert_eq!(secrets::get(&w.admin, id).await.unwrap().current_version, 3);

        assert_eq!(secrets::restore(&w.admin, id, 1).await.unwrap(), 4);
        assert_eq!(reveal(&w, id, None).await, "one");
        let history = secrets::history(&w.admin, id).await.unwrap();
        let numbers: Vec<i64> = history.iter().map(|v| v.version).collect();
        assert_eq!(numbers, [4, 3, 2, 1]);
        assert_eq!(history[0].note, "restored from version 1");
        assert_eq!(history[2].note, "rotated");
        assert_eq!(reveal(&w, id, Some(2)).await, "two", "old versions stay readable");
        let missing = secrets::restore(&w.admin, id, 99).await.unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);

        // Versions cannot be edited or deleted, even by hand.
        let mut tx = t.db.begin().await.unwrap();
        assert!(sqlx::query("update secret_versions set note = 'x'").execute(&mut *tx).await.is_err());
        drop(tx);
        let mut tx = t.db.begin().await.unwrap();
        assert!(sqlx::query("delete from secret_versions").execute(&mut *tx).await.is_err());
        drop(tx);

        let actions: Vec<String> =
            sqlx::query_scalar("select action from audit_log where resource_type = 'secret' order by seq")
                .fetch_all(t.db.reader())
                .await
                .unwrap();
        assert_eq!(
            actions,
            [
                "secret.create",
                "secret.new_version",
                "secret.new_version",
                "secret.reveal",
                "secret.reveal",
                "secret.restore",
                "secret.reveal",
                "secret.reveal"
            ]
        );
        assert_eq!(audit::verify(&t.db, &w.state.audit_key).await.unwrap().first_broken, None);
    }
}

#[tokio::test]
async fn many_concurrent_writers_get_distinct_consecutive_versions() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let id = create(&w, "API_TOKEN", "v1").await;
        let other = Db::connect(&t.url).await.unwrap();
        let other_state = AppState::new(Shared { db: other, ..(*w.state).clone() });
        let writers = 24;
        let mut tasks = Vec::new();
        for i in 0..writers {
            let state = if i % 2 == 0 { &w.state } else { &other_state };
            let admin = testkit::caller(state, w.admin.who.clone());
            tasks.push(tokio::spawn(async move {
                secrets::new_version(&admin, id, value(&format!("value {i}")), "", None).await.unwrap()
            }));
        }
        let mut got = Vec::new();
        for task in tasks {
            got.push(task.await.unwrap());
        }
        got.sort();
        assert_eq!(got, (2..=writers + 1).collect::<Vec<i64>>(), "{:?}", t.engine);
        for v in 1..=writers + 1 {
            let _ = reveal(&w, id, Some(v)).await;
        }
    }
}

#[tokio::test]
async fn values_never_reach_the_database_in_plaintext() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let id = create(&w, "PROBE", KNOWN).await;
        secrets::new_version(&w.admin, id, value(&format!("{KNOWN}-2")), "", None).await.unwrap();
        assert_eq!(reveal(&w, id, None).await, format!("{KNOWN}-2"));
        let needle = &KNOWN.as_bytes()[..24];
        match t.engine {
            Engine::Sqlite => {
                w.state.db.close().await;
                let path = t.url.trim_start_matches("sqlite://");
                let mut bytes = std::fs::read(path).unwrap();
                bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
                assert!(bytes.windows(5).any(|w| w == b"PROBE"), "the scan reads real data");
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "plaintext found in the SQLite file");
            }
            Engine::Postgres => {
                let dump: Vec<String> = sqlx::query_scalar(
                    "select encode(ciphertext, 'escape') from secret_versions \
                     union all select name || tags || description from secrets \
                     union all select changes from audit_log",
                )
                .fetch_all(t.db.reader())
                .await
                .unwrap();
                let all = dump.join("\n");
                assert!(all.contains("PROBE"), "the scan reads real data");
                assert!(!all.contains(std::str::from_utf8(needle).unwrap()), "plaintext found in PostgreSQL rows");
            }
        }
    }
}

#[tokio::test]
async fn read_only_members_see_metadata_but_never_a_value() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let id = create(&w, "SECRET", "hidden").await;
        assert_eq!(secrets::list(&w.reader, w.vault).await.unwrap().len(), 1);
        assert_eq!(secrets::get(&w.reader, id).await.unwrap().name, "SECRET");
        assert_eq!(secrets::history(&w.reader, id).await.unwrap().len(), 1);
        for kind in [RevealKind::Reveal, RevealKind::Copy, RevealKind::Compare] {
            let e = secrets::reveal(&w.reader, id, None, kind).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden);
        }
        let e = secrets::new_version(&w.reader, id, value("mine"), "", None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = secrets::restore(&w.reader, id, 1).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = secrets::set_enabled(&w.reader, id, false).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert_eq!(secrets::get(&w.admin, id).await.unwrap().current_version, 1);
    }
}

#[tokio::test]
async fn bad_input_is_refused_beside_its_field_and_changes_nothing() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        create(&w, "TAKEN", "x").await;
        let cases: Vec<(NewSecretInput, &str)> = vec![
            (input("has space", "x"), "name"),
            (input("", "x"), "name"),
            (input("TAKEN", "x"), "name"),
            (NewSecretInput { tags: "t".repeat(65), ..input("OK1", "x") }, "tags"),
            (NewSecretInput { activation_at: Some(20), expiration_at: Some(10), ..input("OK2", "x") }, "expiration_at"),
            (NewSecretInput { content_type: "text plain".into(), ..input("OK3", "x") }, "content_type"),
        ];
        for (case, field) in cases {
            let e = secrets::create(&w.admin, w.vault, case).await.unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{}", e.message);
        }
        assert!(SecretValue::parse("value", "x".repeat(VALUE_MAX + 1)).is_err());
        let n: i64 = sqlx::query_scalar("select count(*) from secrets").fetch_one(t.db.reader()).await.unwrap();
        assert_eq!(n, 1, "only the first secret exists");

        // Metadata changes are audited with their fields and make no version.
        let id = secrets::list(&w.admin, w.vault).await.unwrap()[0].id;
        secrets::set_enabled(&w.admin, id, false).await.unwrap();
        let after = secrets::get(&w.admin, id).await.unwrap();
        assert!(!after.enabled);
        assert_eq!(after.current_version, 1);
        let changes: String = sqlx::query_scalar("select changes from audit_log where action = 'secret.disable'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(changes, r#"[{"field":"enabled","old":"true","new":"false"}]"#);
    }
}

fn query(
    text: &str,
    tag: &str,
    status: Option<SecretStatus>,
    sort: SecretSort,
    descending: bool,
    page: i64,
) -> SecretQuery {
    SecretQuery { text: text.into(), tag: tag.into(), status, sort, descending, page }
}

#[tokio::test]
async fn the_table_pages_filters_and_sorts_in_the_database() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        for i in 0..120 {
            let tags = if i % 3 == 0 { "even_3, Shared" } else { "other" };
            let mut new = NewSecretInput { tags: tags.into(), ..input(&format!("KEY_{i:03}"), "v") };
            if i == 7 {
                new.expiration_at = Some(app::server::clock::now() + 86_400_000_000);
            }
            if i == 8 {
                new.activation_at = Some(app::server::clock::now() + 86_400_000_000);
            }
            secrets::create(&w.admin, w.vault, new).await.unwrap();
        }
        let page = |q: SecretQuery| {
            let reader = w.reader.clone();
            async move { secrets::page(&reader, w.vault, &q).await.unwrap() }
        };
        let first = page(query("", "", None, SecretSort::Name, false, 1)).await;
        assert_eq!((first.rows.len(), first.matching, first.total, first.pages), (50, 120, 120, 3));
        assert_eq!(first.rows[0].meta.name, "KEY_000");
        assert_eq!(first.tags, ["Shared", "even_3", "other"]);
        let last = page(query("", "", None, SecretSort::Name, true, 3)).await;
        assert_eq!(last.rows.len(), 20);
        assert_eq!(last.rows[19].meta.name, "KEY_000", "descending, last page ends at the first name");
        let beyond = page(query("", "", None, SecretSort::Name, false, 99)).await;
        assert_eq!(beyond.page, 3, "a page past the end shows the last one");
        // `_` in a filter is a literal underscore, not a wildcard; tags match too.
        assert_eq!(page(query("KEY_11", "", None, SecretSort::Name, false, 1)).await.matching, 10);
        assert_eq!(page(query("n_3", "", None, SecretSort::Name, false, 1)).await.matching, 40);
        assert_eq!(page(query("", "shared", None, SecretSort::Name, false, 1)).await.matching, 40);
        assert_eq!(page(query("", "Shar", None, SecretSort::Name, false, 1)).await.matching, 0, "tags match whole");
        let expiring = page(query("", "", Some(SecretStatus::Expiring), SecretSort::Name, false, 1)).await;
        assert_eq!(expiring.rows.iter().map(|r| r.meta.name.as_str()).collect::<Vec<_>>(), ["KEY_007"]);
        let scheduled = page(query("", "", Some(SecretStatus::Scheduled), SecretSort::Name, false, 1)).await;
        assert_eq!(scheduled.rows[0].meta.name, "KEY_008");
        assert_eq!(page(query("", "", Some(SecretStatus::Active), SecretSort::Name, false, 1)).await.matching, 118);
        let id = first.rows[5].meta.id;
        secrets::new_version(&w.admin, id, value("v2"), "", None).await.unwrap();
        let by_version = page(query("", "", None, SecretSort::Version, true, 1)).await;
        assert_eq!(by_version.rows[0].meta.id, id);
        let by_update = page(query("", "", None, SecretSort::Updated, true, 1)).await;
        assert_eq!(by_update.rows[0].meta.id, id);
        let e = secrets::page(&w.reader, w.vault, &query(&"x".repeat(200), "", None, SecretSort::Name, false, 1))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
    }
}

#[tokio::test]
async fn import_previews_reports_bad_lines_and_makes_versions_only_when_asked() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let existing = create(&w, "EXISTING", "old").await;
        let text = "NEW_ONE=alpha\nbad line here\nEXISTING=\"new\\nvalue\"\nNEW_TWO='beta'\n";
        let preview = secrets::import(&w.admin, w.vault, text, false, false).await.unwrap();
        let outcomes: Vec<_> = preview.lines.iter().map(|l| (l.line, l.outcome.clone())).collect();
        assert_eq!(outcomes[0], (1, ImportOutcome::New));
        assert!(matches!(outcomes[1], (2, ImportOutcome::Invalid(_))));
        assert_eq!(outcomes[2], (3, ImportOutcome::Exists));
        assert_eq!(outcomes[3], (4, ImportOutcome::New));
        let count = || async {
            sqlx::query_scalar::<_, i64>("select count(*) from secret_versions").fetch_one(t.db.reader()).await.unwrap()
        };
        assert_eq!(count().await, 1, "a preview writes nothing");

        let e = secrets::import(&w.reader, w.vault, text, true, true).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let done = secrets::import(&w.admin, w.vault, text, true, true).await.unwrap();
        assert!(done.applied);
        assert_eq!(done.writes(), 3);
        assert_eq!(count().await, 4);
        assert_eq!(reveal(&w, existing, None).await, "new\nvalue");
        assert_eq!(reveal(&w, existing, Some(1)).await, "old");
        let imported: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'secret.import'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(imported, 3);

        // Export: the served secrets as .env, readable back; Read-only may not; audited.
        secrets::create(
            &w.admin,
            w.vault,
            NewSecretInput {
                activation_at: Some(app::server::clock::now() + 86_400_000_000),
                ..input("LATER", "not yet")
            },
        )
        .await
        .unwrap();
        let (name, text) = secrets::export(&w.admin, w.vault).await.unwrap();
        assert_eq!(name, "production");
        let (back, errors) = app::domain::dotenv::parse(text.expose());
        assert!(errors.is_empty());
        let pairs: Vec<(String, String)> = back.into_iter().map(|e| (e.name, e.value.expose().to_owned())).collect();
        assert_eq!(
            pairs,
            [
                ("EXISTING".to_owned(), "new\nvalue".to_owned()),
                ("NEW_ONE".to_owned(), "alpha".to_owned()),
                ("NEW_TWO".to_owned(), "beta".to_owned())
            ],
            "scheduled secrets are not exported"
        );
        let e = secrets::export(&w.reader, w.vault).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let exports: String = sqlx::query_scalar("select changes from audit_log where action = 'vault.export'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(exports, r#"[{"field":"secrets","new":"3"}]"#);
        assert_eq!(audit::verify(&t.db, &w.state.audit_key).await.unwrap().first_broken, None);
    }
}

/// Every record of a request-log batch is kept, and a key's `last used at` only moves forward
/// (batches from several nodes may commit out of order), a second at a time at least.
#[tokio::test]
async fn request_log_keeps_every_record_and_last_use_never_goes_back() {
    use app::server::repo::request_log::{Logged, Record, Writer};
    use app::server::services::access_keys as keys_service;
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let key = keys_service::create(&w.admin, w.vault, "ci", None).await.unwrap().info.id.to_string();
        let record = |at: i64, key: Option<&str>| {
            Logged::Request(Record {
                at,
                method: "GET".into(),
                path: "/api/v1/vaults/{vault_id}",
                resource_type: "vault",
                status: 200,
                duration_us: 12,
                ip: Some("192.0.2.7".into()),
                access_key_id: key.map(str::to_owned),
                public_resource: None,
                request_id: Some(format!("req-{at}")),
            })
        };
        let mut writer = Writer::new(t.db.clone());
        writer.append(&[record(1_000, Some(&key)), record(3_000, Some(&key)), record(2_000, None)]).await.unwrap();
        writer.append(&[record(500, Some(&key))]).await.unwrap();
        let last: Option<i64> = sqlx::query_scalar("select last_used_at from access_keys where id = $1")
            .bind(&key)
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(last, Some(3_000), "{:?}", t.engine);
        let rows: Vec<(i64, Option<String>, Option<String>)> =
            sqlx::query_as("select at, ip, access_key_id from request_log order by at")
                .fetch_all(t.db.reader())
                .await
                .unwrap();
        assert_eq!(
            rows,
            vec![
                (500, Some("192.0.2.7".into()), Some(key.clone())),
                (1_000, Some("192.0.2.7".into()), Some(key.clone())),
                (2_000, Some("192.0.2.7".into()), None),
                (3_000, Some("192.0.2.7".into()), Some(key.clone())),
            ],
            "{:?}",
            t.engine
        );
        assert!(writer.append(&[]).await.is_ok(), "an empty batch is a no-op");

        // Last use moves in steps of LAST_USE_RESOLUTION, so a busy key does not rewrite its row
        // in every batch.
        let step = app::server::repo::request_log::LAST_USE_RESOLUTION;
        let last_use = || async {
            sqlx::query_scalar::<_, Option<i64>>("select last_used_at from access_keys where id = $1")
                .bind(&key)
                .fetch_one(t.db.reader())
                .await
                .unwrap()
        };
        writer.append(&[record(3_000 + step - 1, Some(&key))]).await.unwrap();
        assert_eq!(last_use().await, Some(3_000), "{:?}", t.engine);
        writer.append(&[record(3_000 + step, Some(&key))]).await.unwrap();
        assert_eq!(last_use().await, Some(3_000 + step), "{:?}", t.engine);
    }
}

/// One click on an empty box must not blank a live secret: an empty value is refused unless
/// confirmed, in the value form and in the import, and the secret keeps serving its value.
#[tokio::test]
async fn an_empty_value_is_refused_unless_confirmed() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let id = create(&w, "API_TOKEN", "live-value").await;
        let refused = SecretValue::parse("value", String::new()).unwrap_err();
        assert_eq!(
            (refused.field.as_deref(), refused.message.as_str()),
            (Some("value"), app::domain::secret::EMPTY_VALUE)
        );
        assert_eq!(reveal(&w, id, None).await, "live-value");

        let report = secrets::import(&w.admin, w.vault, "EMPTY=\nFULL=x\n", true, true).await.unwrap();
        assert!(
            report.lines.iter().any(|l| l.line == 1 && matches!(l.outcome, ImportOutcome::Invalid(_))),
            "the empty line is reported: {:?}",
            report.lines
        );
        let names: Vec<String> = secrets::list(&w.admin, w.vault).await.unwrap().into_iter().map(|s| s.name).collect();
        assert!(names.contains(&"FULL".to_owned()) && !names.contains(&"EMPTY".to_owned()));

        let empty = SecretValue::parse_confirmed("value", String::new(), true).unwrap();
        assert_eq!(secrets::new_version(&w.admin, id, empty, "on purpose", Some(1)).await.unwrap(), 2);
        assert_eq!(reveal(&w, id, None).await, "");
        assert_eq!(secrets::restore(&w.admin, id, 1).await.unwrap(), 3, "an old value restores");
        assert_eq!(reveal(&w, id, None).await, "live-value");
    }
}

/// Details follow the same "changed since you opened it" rule as values, and disabling writes
/// only the flag — a stale page can neither overwrite newer details nor bring old ones back.
#[tokio::test]
async fn details_refuse_stale_pages_and_disabling_touches_only_the_flag() {
    use app::server::services::secrets::MetaInput;
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let id = create(&w, "DB_URL", "x").await;
        let opened = secrets::get(&w.admin, id).await.unwrap();
        let form = |description: &str, seen: Option<i64>| MetaInput {
            content_type: "text/plain".into(),
            description: description.into(),
            tags: "prod".into(),
            activation_at: None,
            expiration_at: None,
            seen_updated_at: seen,
        };
        // A first tab saves; a second tab, opened before, is told and changes nothing.
        secrets::update_meta(&w.admin, id, form("first", Some(opened.updated_at))).await.unwrap();
        let stale = secrets::update_meta(&w.admin, id, form("second", Some(opened.updated_at))).await;
        assert_eq!(stale.unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(secrets::get(&w.admin, id).await.unwrap().description, "first");
        // "Save anyway" is an explicit choice.
        secrets::update_meta(&w.admin, id, form("second", None)).await.unwrap();

        // Disabling from a page that still showed the old details keeps the newer ones.
        secrets::set_enabled(&w.admin, id, false).await.unwrap();
        let after = secrets::get(&w.admin, id).await.unwrap();
        assert!(!after.enabled);
        assert_eq!((after.description.as_str(), after.tags.clone()), ("second", vec!["prod".to_owned()]));
        secrets::set_enabled(&w.admin, id, false).await.unwrap();
        let disables: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'secret.disable'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(disables, 1, "disabling a disabled secret records nothing");
    }
}
