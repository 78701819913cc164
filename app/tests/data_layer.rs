//! Data-layer tests: every query and service of the foundation, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::server::audit::{self, Actor, Change, Entry};
use app::server::crypto::{MasterKey, MasterKeys};
use app::server::db::{Db, Engine};
use app::server::repo::{instance, sessions, throttle, users};
use app::server::services::{auth, profile, setup};
use app::server::{AppState, RequestMeta, clock};
use sqlx::Row;
use std::collections::BTreeMap;
use testkit::TestDb;

const PASSWORD: &str = "correct horse battery staple";

fn meta() -> RequestMeta {
    RequestMeta { ip: Some("192.0.2.7".into()), user_agent: Some("tests".into()) }
}

fn entry<'a>(actor: &'a Actor, action: &'a str) -> Entry<'a> {
    Entry {
        actor,
        action,
        resource_type: "test",
        resource_id: None,
        resource_name: Some("thing".into()),
        changes: vec![Change::values("name", Some("a"), Some("b"))],
        source_ip: None,
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.reader()).await.unwrap()
}

/// Runs setup with a code it reads back by issuing one; returns the Admin's session token.
async fn set_up(state: &AppState) -> String {
    let code = setup::issue_setup_code(&state.db).await.unwrap().unwrap();
    let input = setup::SetupInput {
        code: code.expose().to_lowercase(),
        instance_name: "Acme".into(),
        admin_name: "First Admin".into(),
        admin_email: "Admin@Example.com".into(),
        password: PASSWORD.into(),
        password_confirm: PASSWORD.into(),
    };
    setup::complete(&testkit::visitor(state, &meta()), input).await.unwrap().token.expose().to_owned()
}

async fn columns(t: &TestDb) -> BTreeMap<String, Vec<(String, bool)>> {
    let sql = match t.engine {
        Engine::Sqlite => {
            "select m.name, p.name, p.\"notnull\" from sqlite_master m join pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '_sqlx%' order by m.name, p.name"
        }
        Engine::Postgres => {
            "select table_name::text, column_name::text, case when is_nullable = 'NO' then 1 else 0 end::bigint \
             from information_schema.columns where table_schema = 'public' and table_name not like '_sqlx%' \
             order by table_name, column_name"
        }
    };
    let mut out: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    for r in sqlx::query(sql).fetch_all(t.db.reader()).await.unwrap() {
        let table: String = r.get(0);
        let column: String = r.get(1);
        let not_null: i64 = r.get(2);
        // SQLite reports an INTEGER PRIMARY KEY (the rowid) as nullable; it never is.
        let pk_alias = t.engine == Engine::Sqlite && table == "audit_log" && column == "seq";
        let pk_alias = pk_alias || (t.engine == Engine::Sqlite && table == "instance" && column == "id");
        out.entry(table).or_default().push((column, not_null != 0 || pk_alias));
    }
    out
}

#[tokio::test]
async fn both_migration_sets_give_the_same_tables_and_columns() {
    let sqlite = testkit::sqlite().await;
    let postgres = testkit::postgres().await;
    let (a, b) = (columns(&sqlite).await, columns(&postgres).await);
    assert!(a.contains_key("audit_log") && a.len() >= 6, "{a:?}");
    assert_eq!(a, b, "migrations/sqlite and migrations/postgres drifted apart");
    println!("schema compared: {} tables", a.len());
}

/// A database with six audit entries and the state that wrote them.
async fn six_entries(t: &TestDb) -> AppState {
    let state = testkit::state(&t.db).await;
    for action in &audit::ACTIONS[..6] {
        let mut tx = t.db.begin().await.unwrap();
        audit::append(&mut tx, &state.audit_key, entry(&Actor::System, action)).await.unwrap();
        tx.commit().await.unwrap();
    }
    state
}

/// Runs `sql` the way someone with raw database access would: guards off first.
async fn tamper(t: &TestDb, sql: &[&str]) {
    let mut tx = t.db.begin().await.unwrap();
    let off: &[&str] = match t.engine {
        Engine::Sqlite => &["drop trigger audit_log_no_update", "drop trigger audit_log_no_delete"],
        Engine::Postgres => &["alter table audit_log disable trigger audit_log_no_change"],
    };
    for q in off.iter().chain(sql) {
        sqlx::query(q).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn id_at(db: &Db, seq: i64) -> String {
    sqlx::query_scalar("select id from audit_log where seq = $1").bind(seq).fetch_one(db.reader()).await.unwrap()
}

#[tokio::test]
async fn audit_chain_appends_verifies_and_reports_tampering() {
    for t in testkit::engines().await {
        let state = six_entries(&t).await;
        let v = audit::verify(&t.db, &state.audit_key).await.unwrap();
        assert_eq!((v.checked, v.first_broken), (6, None), "{:?}", t.engine);

        // The database itself refuses to rewrite history.
        let mut tx = t.db.begin().await.unwrap();
        assert!(sqlx::query("update audit_log set action = 'x' where seq = 3").execute(&mut *tx).await.is_err());
        drop(tx);
        let mut tx = t.db.begin().await.unwrap();
        assert!(sqlx::query("delete from audit_log where seq = 3").execute(&mut *tx).await.is_err());
        drop(tx);

        // Someone with raw database access who disables the guard is still caught by the chain.
        let third = id_at(&t.db, 3).await;
        tamper(&t, &["update audit_log set actor_name = 'someone else' where seq = 3"]).await;
        let v = audit::verify(&t.db, &state.audit_key).await.unwrap();
        let broken = v.first_broken.unwrap();
        assert_eq!((v.checked, broken.seq, broken.reason), (2, 3, audit::Break::Altered), "{:?}", t.engine);
        assert_eq!(broken.id.as_deref(), Some(third.as_str()));
        assert!(broken.to_string().contains(&third), "the report names the entry: {broken}");
    }
}

#[tokio::test]
async fn a_deleted_or_reordered_audit_entry_is_named() {
    for t in testkit::engines().await {
        let state = six_entries(&t).await;
        tamper(&t, &["delete from audit_log where seq = 3"]).await;
        let broken = audit::verify(&t.db, &state.audit_key).await.unwrap().first_broken.unwrap();
        assert_eq!((broken.seq, broken.id, broken.reason), (3, None, audit::Break::Missing), "{:?}", t.engine);
    }
    for t in testkit::engines().await {
        let state = six_entries(&t).await;
        let fourth = id_at(&t.db, 4).await;
        let swap = [
            "update audit_log set seq = 100 where seq = 3",
            "update audit_log set seq = 3 where seq = 4",
            "update audit_log set seq = 4 where seq = 100",
        ];
        tamper(&t, &swap).await;
        let broken = audit::verify(&t.db, &state.audit_key).await.unwrap().first_broken.unwrap();
        assert_eq!((broken.seq, broken.reason), (3, audit::Break::Relinked), "{:?}", t.engine);
        assert_eq!(broken.id, Some(fourth), "the entry now in third place is named");
    }
}

#[tokio::test]
async fn the_chain_key_is_bound_to_the_master_key_and_to_where_the_keyed_chain_starts() {
    for t in testkit::engines().await {
        let master = MasterKeys::single(MasterKey::generate());
        setup::ensure_instance(&t.db, &master).await.unwrap();
        let stored: Vec<u8> =
            sqlx::query_scalar("select audit_key_wrapped from instance").fetch_one(t.db.reader()).await.unwrap();
        assert_eq!(stored.len(), 1 + 12 + 32 + 16, "the key is stored only sealed");
        // Moving the boundary (to pass rewritten entries off as unkeyed old ones) breaks the key.
        sqlx::query("update instance set audit_keyed_from = 1000").execute(t.db.reader()).await.unwrap();
        let err = setup::ensure_instance(&t.db, &master).await.unwrap_err();
        assert!(matches!(err, setup::StartupError::AuditKey(_)), "{err}");
        assert!(err.to_string().contains("audit chain key"), "{err}");
        // Whoever swaps in a key of their own cannot make it open with the instance's master key.
        sqlx::query("update instance set audit_keyed_from = 1, audit_key_wrapped = $1")
            .bind(
                MasterKey::generate().wrap_chain_key(&app::server::crypto::ChainKey::generate(), b"audit-chain-key:1"),
            )
            .execute(t.db.reader())
            .await
            .unwrap();
        assert!(matches!(setup::ensure_instance(&t.db, &master).await, Err(setup::StartupError::AuditKey(_))));
    }
}

#[tokio::test]
async fn concurrent_appends_from_two_nodes_keep_one_unbroken_chain() {
    for t in testkit::engines().await {
        // A second pool on the same database stands for a second server process.
        let key = testkit::state(&t.db).await.audit_key.clone();
        let other = Db::connect(&t.url).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..40 {
            let db = if i % 2 == 0 { t.db.clone() } else { other.clone() };
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                let actor = Actor::System;
                let mut tx = db.begin().await.unwrap();
                audit::append(&mut tx, &key, entry(&actor, "audit.verify")).await.unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let v = audit::verify(&t.db, &key).await.unwrap();
        assert_eq!((v.checked, v.first_broken), (40, None), "{:?}", t.engine);
        assert_eq!(count(&t.db, "select max(seq) from audit_log").await, 40);
    }
}

#[tokio::test]
async fn a_change_whose_audit_entry_fails_does_not_happen() {
    for t in testkit::engines().await {
        let key = testkit::state(&t.db).await.audit_key.clone();
        let mut tx = t.db.begin().await.unwrap();
        let new = users::NewUser {
            email: "x@example.com",
            name: "X",
            password_hash: None,
            is_admin: false,
            state: users::UserState::Pending,
        };
        users::insert(&mut tx, new).await.unwrap();
        let actor = Actor::System;
        assert!(audit::append(&mut tx, &key, entry(&actor, "")).await.is_err(), "an empty action is refused");
        drop(tx);
        assert_eq!(count(&t.db, "select count(*) from users").await, 0, "{:?}", t.engine);
    }
}

#[tokio::test]
async fn master_key_is_checked_against_the_database() {
    for t in testkit::engines().await {
        let key = MasterKeys::single(MasterKey::generate());
        setup::ensure_instance(&t.db, &key).await.unwrap();
        setup::ensure_instance(&t.db, &key).await.unwrap();
        let err = setup::ensure_instance(&t.db, &MasterKeys::single(MasterKey::generate())).await.unwrap_err();
        assert!(matches!(err, setup::StartupError::WrongMasterKey));
        assert_eq!(instance::get(&t.db).await.unwrap().unwrap().name, "Secryn");
    }
}

#[tokio::test]
async fn setup_refuses_wrong_codes_then_creates_the_first_admin_once() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        assert!(!setup::is_set_up(&t.db).await.unwrap());
        let code = setup::issue_setup_code(&t.db).await.unwrap().unwrap();
        let input = |code: &str, pw: &str| setup::SetupInput {
            code: code.into(),
            instance_name: "Acme".into(),
            admin_name: "First Admin".into(),
            admin_email: "admin@example.com".into(),
            password: pw.into(),
            password_confirm: pw.into(),
        };
        let bad = setup::complete(&testkit::visitor(&state, &meta()), input("AAAA-AAAA-AAAA-AAAA", PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("code"));
        let short =
            setup::complete(&testkit::visitor(&state, &meta()), input(code.expose(), "short")).await.unwrap_err();
        assert_eq!(short.field.as_deref(), Some("password"));
        assert_eq!(instance::get(&t.db).await.unwrap().unwrap().setup_code_attempts, 1);
        assert_eq!(count(&t.db, "select count(*) from users").await, 0);

        for i in 0..4 {
            let elsewhere = RequestMeta { ip: Some(format!("198.51.100.{i}")), user_agent: None };
            setup::complete(&testkit::visitor(&state, &elsewhere), input("AAAA-AAAA-AAAA-AAAA", PASSWORD))
                .await
                .unwrap_err();
        }
        let void =
            setup::complete(&testkit::visitor(&state, &meta()), input(code.expose(), PASSWORD)).await.unwrap_err();
        assert_eq!(void.code, ErrorCode::Forbidden, "after five wrong tries even the right code is void");

        let fresh = setup::issue_setup_code(&t.db).await.unwrap().unwrap();
        let session =
            setup::complete(&testkit::visitor(&state, &meta()), input(fresh.expose(), PASSWORD)).await.unwrap();
        assert!(session.user.is_admin);
        assert!(setup::is_set_up(&t.db).await.unwrap());
        assert!(setup::issue_setup_code(&t.db).await.unwrap().is_none());
        let again =
            setup::complete(&testkit::visitor(&state, &meta()), input(fresh.expose(), PASSWORD)).await.unwrap_err();
        assert_eq!(again.code, ErrorCode::NotFound);
        assert_eq!(instance::get(&t.db).await.unwrap().unwrap().name, "Acme");
        let actions: Vec<String> =
            sqlx::query_scalar("select action from audit_log order by seq").fetch_all(t.db.reader()).await.unwrap();
        assert_eq!(actions, ["instance.setup", "user.create"]);
    }
}

#[tokio::test]
async fn sign_in_gives_one_message_locks_out_and_logs() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        set_up(&state).await;
        let m = meta();
        let unknown =
            auth::sign_in(&testkit::visitor(&state, &m), "nobody@example.com", PASSWORD.into()).await.unwrap_err();
        let wrong = auth::sign_in(&testkit::visitor(&state, &m), "admin@example.com", "wrong password".into())
            .await
            .unwrap_err();
        assert_eq!(unknown, wrong, "unknown user and wrong password read the same");
        assert_eq!(wrong.message, auth::WRONG_CREDENTIALS);
        let bad_email =
            auth::sign_in(&testkit::visitor(&state, &m), "not an email", PASSWORD.into()).await.unwrap_err();
        assert_eq!(bad_email.field.as_deref(), Some("email"));

        let ok = auth::sign_in(&testkit::visitor(&state, &m), " ADMIN@example.com ", PASSWORD.into()).await.unwrap();
        assert_eq!(ok.user.email, "admin@example.com");
        assert!(auth::resolve(&state, ok.token.expose()).await.unwrap().is_some());

        for _ in 0..auth::ACCOUNT_FAILURES {
            let _ = auth::sign_in(&testkit::visitor(&state, &m), "admin@example.com", "wrong password".into()).await;
        }
        let locked =
            auth::sign_in(&testkit::visitor(&state, &m), "admin@example.com", PASSWORD.into()).await.unwrap_err();
        assert_eq!(locked.code, ErrorCode::RateLimited, "locked even with the right password");
        // An unknown address locks the same way, so a lockout reveals nothing.
        for _ in 0..auth::ACCOUNT_FAILURES {
            let _ = auth::sign_in(&testkit::visitor(&state, &m), "ghost@example.com", "x".into()).await;
        }
        let ghost = auth::sign_in(&testkit::visitor(&state, &m), "ghost@example.com", "x".into()).await.unwrap_err();
        assert_eq!(ghost.code, ErrorCode::RateLimited);

        let events: Vec<String> =
            sqlx::query_scalar("select event from user_log order by at").fetch_all(t.db.reader()).await.unwrap();
        for e in ["sign_in", "sign_in_failed", "lockout"] {
            assert!(events.iter().any(|x| x == e), "{e} missing from {events:?}");
        }
        let key = auth::source_key("admin@example.com", "192.0.2.7");
        let c = throttle::get(&t.db, &key).await.unwrap().unwrap();
        assert!(c.attempts > auth::ACCOUNT_FAILURES && c.window_start <= clock::now());
        let mut tx = t.db.begin().await.unwrap();
        throttle::clear(&mut tx, &key).await.unwrap();
        tx.commit().await.unwrap();
        assert!(auth::sign_in(&testkit::visitor(&state, &m), "admin@example.com", PASSWORD.into()).await.is_ok());
    }
}

#[tokio::test]
async fn sessions_expire_idle_and_absolute_and_end_at_sign_out() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let token = set_up(&state).await;
        let ctx = auth::resolve(&state, &token).await.unwrap().unwrap();
        assert!(auth::resolve(&state, "secryn_ses_garbage").await.unwrap().is_none());

        // Idle: pretend the last request was long ago.
        let long_ago = clock::now() - state.settings.session_idle - 1;
        sessions::touch(&t.db, &ctx.token_hash, long_ago).await.unwrap();
        assert!(auth::resolve(&state, &token).await.unwrap().is_none());
        assert_eq!(count(&t.db, "select count(*) from sessions").await, 0);

        // Absolute: a session created past its end is refused even while active.
        let s = auth::sign_in(&testkit::visitor(&state, &meta()), "admin@example.com", PASSWORD.into()).await.unwrap();
        let hash = app::server::tokens::token_hash(s.token.expose());
        let mut tx = t.db.begin().await.unwrap();
        sqlx::query("update sessions set expires_at = $1 where token_hash = $2")
            .bind(clock::now() - 1)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(auth::resolve(&state, s.token.expose()).await.unwrap().is_none());
        assert!(count(&t.db, "select count(*) from user_log where event = 'session_expired'").await >= 2);

        // Sign-out ends exactly this session.
        let s = auth::sign_in(&testkit::visitor(&state, &meta()), "admin@example.com", PASSWORD.into()).await.unwrap();
        let ctx = testkit::caller(&state, auth::resolve(&state, s.token.expose()).await.unwrap().unwrap());
        auth::sign_out(&ctx).await.unwrap();
        assert!(auth::resolve(&state, s.token.expose()).await.unwrap().is_none());

        // The sweeper removes rows past either limit.
        let s = auth::sign_in(&testkit::visitor(&state, &meta()), "admin@example.com", PASSWORD.into()).await.unwrap();
        assert_eq!(sessions::delete_expired(&t.db, clock::now(), clock::now() - 10_000_000).await.unwrap(), 0);
        assert_eq!(
            sessions::delete_expired(&t.db, clock::now() + state.settings.session_absolute, 0).await.unwrap(),
            1
        );
        assert!(auth::resolve(&state, s.token.expose()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_disabled_user_loses_their_session_at_once() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let token = set_up(&state).await;
        let mut tx = t.db.begin().await.unwrap();
        sqlx::query("update users set state = 'disabled'").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        assert!(auth::resolve(&state, &token).await.unwrap().is_none());
        let e =
            auth::sign_in(&testkit::visitor(&state, &meta()), "admin@example.com", PASSWORD.into()).await.unwrap_err();
        assert_eq!(e.message, auth::WRONG_CREDENTIALS);
    }
}

#[tokio::test]
async fn password_change_needs_the_current_one_and_ends_other_sessions() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let token = set_up(&state).await;
        let other =
            auth::sign_in(&testkit::visitor(&state, &meta()), "admin@example.com", PASSWORD.into()).await.unwrap();
        let ctx = testkit::caller(&state, auth::resolve(&state, &token).await.unwrap().unwrap());
        let new = "a brand new passphrase";
        let m = meta();
        let e = profile::change_password(&ctx, "wrong".into(), new.into(), new.into()).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("current_password"));
        let e = profile::change_password(&ctx, PASSWORD.into(), new.into(), "typo".into()).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("confirm_password"));
        let e = profile::change_password(&ctx, PASSWORD.into(), "short".into(), "short".into()).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("new_password"));

        profile::change_password(&ctx, PASSWORD.into(), new.into(), new.into()).await.unwrap();
        assert!(auth::resolve(&state, &token).await.unwrap().is_some(), "this session stays");
        assert!(auth::resolve(&state, other.token.expose()).await.unwrap().is_none(), "others end");
        assert!(auth::sign_in(&testkit::visitor(&state, &m), "admin@example.com", PASSWORD.into()).await.is_err());
        assert!(auth::sign_in(&testkit::visitor(&state, &m), "admin@example.com", new.into()).await.is_ok());
        let changes: String = sqlx::query_scalar("select changes from audit_log where action = 'user.password_change'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(changes, r#"[{"field":"password"}]"#, "the audit entry names the field, never the value");

        profile::set_email_notifications(&ctx, false).await.unwrap();
        let u = users::find_by_email(t.db.reader(), "admin@example.com").await.unwrap().unwrap();
        assert!(!u.email_notifications);
        assert_eq!(count(&t.db, "select count(*) from audit_log where action = 'user.preferences'").await, 1);
        let v = audit::verify(&t.db, &state.audit_key).await.unwrap();
        assert_eq!(v.first_broken, None);
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_database_in_clear() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let token = set_up(&state).await;
        let mut dump = String::new();
        for table in ["users", "sessions", "audit_log", "user_log", "instance", "sign_in_throttle"] {
            for row in sqlx::query(&format!("select * from {table}")).fetch_all(t.db.reader()).await.unwrap() {
                for i in 0..row.len() {
                    if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                        dump.push_str(&s);
                        dump.push('\n');
                    }
                }
            }
        }
        assert!(dump.contains("admin@example.com"), "the dump is real");
        assert!(!dump.contains(PASSWORD));
        assert!(!dump.contains(&token));
    }
}

/// The machine API's reads (on the calling thread for SQLite files, through sqlx otherwise)
/// bind `$N` (text) by name, in any order, and see a commit from the writer at once.
#[tokio::test]
async fn machine_reads_bind_by_name_and_see_each_commit() {
    struct Pair(String, i64);
    impl app::server::db::FromColumns for Pair {
        fn from_columns(r: &impl app::server::db::Columns) -> Result<Self, sqlx::Error> {
            Ok(Pair(r.cell(0)?, r.cell(1)?))
        }
    }
    for t in testkit::engines().await {
        assert_eq!(t.db.inline().is_some(), t.engine == Engine::Sqlite, "{:?}", t.engine);
        let sql = "select name, n from probe where name = $2 and tag > $1";
        sqlx::query("create table probe (name text not null, tag text not null, n bigint not null)")
            .execute(t.db.reader())
            .await
            .unwrap();
        let read = || t.db.read_rows::<Pair>(sql, &["m", "b"]);
        assert!(read().await.unwrap().is_empty(), "{:?}", t.engine);
        let mut tx = t.db.begin().await.unwrap();
        sqlx::query("insert into probe values ('a', 'y', 9), ('b', 'y', 9), ('b', 'a', 3)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rows = read().await.unwrap();
        assert_eq!(rows.len(), 1, "{:?}", t.engine);
        assert_eq!((rows[0].0.as_str(), rows[0].1), ("b", 9), "{:?}", t.engine);
        let bad = t.db.read_rows::<Pair>("select name from no_such_table", &[]).await;
        assert!(bad.is_err(), "{:?}", t.engine);
        let missing = t.db.read_rows::<Pair>(sql, &["m"]).await;
        assert!(missing.is_err(), "a placeholder without its argument is refused ({:?})", t.engine);
    }
}

/// On PostgreSQL the machine API's readers are reused after a query that ran to the end, and
/// only then: one whose read failed or was cancelled is closed, and its place is freed.
#[tokio::test]
async fn postgres_readers_come_back_only_after_a_finished_query() {
    struct Pid(i64);
    impl app::server::db::FromColumns for Pid {
        fn from_columns(r: &impl app::server::db::Columns) -> Result<Self, sqlx::Error> {
            Ok(Pid(r.cell(0)?))
        }
    }
    let t = testkit::postgres().await;
    let pid = || async { t.db.read_rows::<Pid>("select pg_backend_pid()::bigint", &[]).await.unwrap()[0].0 };
    let first = pid().await;
    assert_eq!(pid().await, first, "a reader is reused");

    let bad = t.db.read_rows::<Pid>("select pg_backend_pid()::bigint from no_such_table", &[]).await;
    assert!(bad.is_err());
    let second = pid().await;
    assert_ne!(second, first, "a reader whose query failed is not reused");

    // More cancelled reads than there are readers: each is closed, and none keeps its place.
    let sleep = || t.db.read_rows::<Pid>("select pg_backend_pid()::bigint from pg_sleep(1)", &[]);
    for _ in 0..app::server::postgres_readers::READERS + 4 {
        assert!(tokio::time::timeout(std::time::Duration::from_millis(30), sleep()).await.is_err());
    }
    let after = tokio::time::timeout(std::time::Duration::from_secs(5), pid()).await.expect("a reader is free");
    assert_ne!(after, second, "a cancelled reader is not reused");
    let open = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from pg_stat_activity where pid = $1")
            .bind(second as i32)
            .fetch_one(t.db.reader())
            .await
            .unwrap()
    };
    for _ in 0..100 {
        if open().await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the cancelled reader's connection is still open");
}

/// On a SQLite file, the WAL is copied back into the database file beside the writer (the
/// checkpointer), long before the writer's own checkpoint at 1,000 pages would.
#[tokio::test]
async fn the_checkpointer_copies_the_wal_into_the_database_file() {
    for t in testkit::engines().await.into_iter().filter(|t| t.engine == Engine::Sqlite) {
        let file = t.url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap().get_filename().to_path_buf();
        let size = || std::fs::metadata(&file).unwrap().len();
        // Let what connecting and migrating wrote settle first.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let before = size();
        let mut tx = t.db.begin().await.unwrap();
        sqlx::query("create table bulk (b blob not null)").execute(&mut *tx).await.unwrap();
        sqlx::query("insert into bulk values (zeroblob(400000))").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        let mut grown = false;
        for _ in 0..100 {
            if size() >= before + 400_000 {
                grown = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(grown, "the database file stayed at {} bytes (was {before})", size());
    }
}

/// Write transactions abandoned at any point (a request cancelled by its client) never leave
/// the database locked: the next write still goes through.
#[tokio::test]
async fn cancelled_write_transactions_leave_no_lock_behind() {
    for t in testkit::engines().await {
        sqlx::query("create table probe (n bigint not null)").execute(t.db.reader()).await.unwrap();
        for i in 0..3000u64 {
            let db = t.db.clone();
            let work = async move {
                let mut tx = db.begin().await?;
                sqlx::query("insert into probe values (1)").execute(&mut *tx).await?;
                tx.commit().await
            };
            let _ = tokio::time::timeout(std::time::Duration::from_micros(i % 400), work).await;
        }
        let write = async {
            let mut tx = t.db.begin().await?;
            sqlx::query("insert into probe values (2)").execute(&mut *tx).await?;
            tx.commit().await
        };
        let done = tokio::time::timeout(std::time::Duration::from_secs(20), write).await;
        assert!(matches!(done, Ok(Ok(()))), "{:?}: {done:?}", t.engine);
        if t.engine == Engine::Postgres {
            // The backstop for a transaction sqlx lost track of: the server ends it when idle.
            let limit: String =
                sqlx::query_scalar("show idle_in_transaction_session_timeout").fetch_one(t.db.reader()).await.unwrap();
            assert_eq!(limit, "1min");
        }
    }
}

/// An unreachable or timed-out database is 503 (retry later); a database that answers with an
/// error is a fault on our side, 500 — "try again" would not help there.
#[tokio::test]
async fn database_errors_are_503_only_when_the_database_is_out_of_reach() {
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    assert_eq!(app::domain::AppError::from(sqlx::Error::Io(refused)).code, ErrorCode::Unavailable);
    assert_eq!(app::domain::AppError::from(sqlx::Error::PoolTimedOut).code, ErrorCode::Unavailable);
    for t in testkit::engines().await {
        let mut tx = t.db.begin().await.unwrap();
        let refused = sqlx::query("insert into users (id) values ('x')").execute(&mut *tx).await.unwrap_err();
        let e = app::domain::AppError::from(refused);
        assert_eq!(e.code, ErrorCode::Internal, "{:?}", t.engine);
        assert!(!e.message.contains("null"), "the cause stays in the log: {}", e.message);
    }
}

/// Rows of `sql` as lists of text cells (each cell selected as text).
async fn text_rows(t: &TestDb, sql: &str) -> std::collections::BTreeSet<Vec<String>> {
    let rows = sqlx::query(sql).fetch_all(t.db.reader()).await.unwrap();
    rows.iter().map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect()).collect()
}

/// A column's type as both engines mean it: SQLite's `integer` is PostgreSQL's `bigint`,
/// `blob` is `bytea`.
fn type_class(declared: &str) -> String {
    match declared.to_lowercase().as_str() {
        "integer" | "bigint" | "int8" => "integer".into(),
        "blob" | "bytea" => "bytes".into(),
        "text" => "text".into(),
        other => other.into(),
    }
}

/// Everything besides names and nullability that must agree between the engines: column
/// types, primary keys, unique indexes, foreign keys and the append-only triggers.
async fn schema_facts(t: &TestDb) -> BTreeMap<&'static str, std::collections::BTreeSet<Vec<String>>> {
    let sqlite = t.engine == Engine::Sqlite;
    let tables = "m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '_sqlx%'";
    let types = if sqlite {
        text_rows(
            t,
            &format!(
                "select m.name, p.name, p.type from sqlite_master m join pragma_table_info(m.name) p where {tables}"
            ),
        )
        .await
    } else {
        text_rows(
            t,
            "select table_name::text, column_name::text, data_type::text from information_schema.columns \
             where table_schema = 'public' and table_name not like '_sqlx%'",
        )
        .await
    };
    let types = types.into_iter().map(|r| vec![r[0].clone(), r[1].clone(), type_class(&r[2])]).collect();
    let primary_keys = if sqlite {
        text_rows(t, &format!("select m.name, p.name from sqlite_master m join pragma_table_info(m.name) p where {tables} and p.pk > 0")).await
    } else {
        text_rows(
            t,
            "select tc.table_name::text, k.column_name::text from information_schema.table_constraints tc \
             join information_schema.key_column_usage k on k.constraint_name = tc.constraint_name \
               and k.table_schema = tc.table_schema \
             where tc.constraint_type = 'PRIMARY KEY' and tc.table_schema = 'public' and tc.table_name not like '_sqlx%'",
        )
        .await
    };
    // Unique indexes other than primary keys, as (table, columns in index order).
    let unique = if sqlite {
        text_rows(
            t,
            &format!(
                "select m.name, (select group_concat(coalesce(ii.name, '<expr>'), ',') from \
                   (select name from pragma_index_info(il.name) order by seqno) ii) \
                 from sqlite_master m join pragma_index_list(m.name) il \
                 where {tables} and il.\"unique\" = 1 and il.origin <> 'pk'"
            ),
        )
        .await
    } else {
        text_rows(
            t,
            "select c.relname::text, (select string_agg(coalesce(a.attname::text, '<expr>'), ',' order by k.n) \
               from unnest(i.indkey) with ordinality as k(attnum, n) \
               left join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum and k.attnum > 0) \
             from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace s on s.oid = c.relnamespace \
             where s.nspname = 'public' and i.indisunique and not i.indisprimary and c.relname not like '_sqlx%'",
        )
        .await
    };
    let foreign_keys = if sqlite {
        text_rows(t, &format!("select m.name, f.\"from\", f.\"table\", f.\"to\" from sqlite_master m join pragma_foreign_key_list(m.name) f where {tables}")).await
    } else {
        text_rows(
            t,
            "select tc.table_name::text, k.column_name::text, u.table_name::text, u.column_name::text \
             from information_schema.table_constraints tc \
             join information_schema.key_column_usage k on k.constraint_name = tc.constraint_name \
               and k.table_schema = tc.table_schema \
             join information_schema.constraint_column_usage u on u.constraint_name = tc.constraint_name \
               and u.table_schema = tc.table_schema \
             where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = 'public'",
        )
        .await
    };
    // Triggers as (table, timing, event): names differ (one PostgreSQL trigger may cover two
    // events), what they guard must not.
    let triggers = if sqlite {
        let rows = text_rows(t, "select tbl_name, lower(sql) from sqlite_master where type = 'trigger'").await;
        rows.into_iter()
            .flat_map(|r| {
                let timing = if r[1].contains(" before ") { "before" } else { "after" };
                ["insert", "update", "delete"]
                    .into_iter()
                    // `update of <columns> on` guards an update too (of those columns only).
                    .filter(|e| r[1].contains(&format!(" {e} on ")) || r[1].contains(&format!(" {e} of ")))
                    .map(|e| vec![r[0].clone(), timing.to_owned(), e.to_owned()])
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        text_rows(
            t,
            "select event_object_table::text, lower(action_timing::text), lower(event_manipulation::text) \
             from information_schema.triggers where trigger_schema = 'public'",
        )
        .await
    };
    BTreeMap::from([
        ("column types", types),
        ("primary keys", primary_keys),
        ("unique indexes", unique),
        ("foreign keys", foreign_keys),
        ("triggers", triggers),
    ])
}

#[tokio::test]
async fn both_migration_sets_agree_on_types_keys_indexes_and_triggers() {
    let sqlite = testkit::sqlite().await;
    let postgres = testkit::postgres().await;
    let (a, b) = (schema_facts(&sqlite).await, schema_facts(&postgres).await);
    for (what, facts) in &a {
        assert!(!facts.is_empty(), "{what}: none found on SQLite");
        let only_sqlite: Vec<_> = facts.difference(&b[what]).collect();
        let only_postgres: Vec<_> = b[what].difference(facts).collect();
        assert!(
            only_sqlite.is_empty() && only_postgres.is_empty(),
            "{what} drifted apart:\n  only on SQLite: {only_sqlite:?}\n  only on PostgreSQL: {only_postgres:?}"
        );
    }
    assert!(a["triggers"].contains(&vec!["user_log".into(), "before".into(), "delete".into()]));
    assert!(a["foreign keys"].contains(&vec!["vaults".into(), "project_id".into(), "projects".into(), "id".into()]));
    let counts: Vec<String> = a.iter().map(|(what, f)| format!("{} {what}", f.len())).collect();
    println!("schema compared: {}", counts.join(", "));
}
