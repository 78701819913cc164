//! What a stranger can do to sign-in and setup, on SQLite and PostgreSQL: locks that hold one
//! source back without locking the owner out, counters that stay exact under concurrency from
//! two nodes, setup that checks its code before hashing, a flood of cancelled requests, and
//! time-bound rules tested by moving the clock.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::domain::session::LockKind;
use app::server::db::Db;
use app::server::repo::throttle;
use app::server::services::{auth, setup, users as user_svc};
use app::server::{AppState, Caller, RequestMeta, Shared, clock};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "admin@example.com";

fn from(ip: &str) -> RequestMeta {
    RequestMeta { ip: Some(ip.into()), user_agent: Some("tests".into()) }
}

fn setup_input(code: &str, email: &str) -> setup::SetupInput {
    setup::SetupInput {
        code: code.into(),
        instance_name: "Acme".into(),
        admin_name: "First Admin".into(),
        admin_email: email.into(),
        password: PASSWORD.into(),
        password_confirm: PASSWORD.into(),
    }
}

async fn set_up(state: &AppState) -> Caller {
    let code = setup::issue_setup_code(&state.db).await.unwrap().unwrap();
    let token = setup::complete(&testkit::visitor(state, &from("192.0.2.1")), setup_input(code.expose(), EMAIL))
        .await
        .unwrap()
        .token;
    testkit::caller(state, auth::resolve(state, token.expose()).await.unwrap().unwrap())
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.reader()).await.unwrap()
}

/// The same database through a second pool: what a second Secryn node sees.
async fn second_node(state: &AppState, url: &str) -> AppState {
    AppState::new(Shared { db: Db::connect(url).await.unwrap(), ..(**state).clone() })
}

#[tokio::test]
async fn a_lock_holds_back_one_source_and_spread_failures_only_slow_the_account() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let attacker = from("203.0.113.66");
        for _ in 0..auth::ACCOUNT_FAILURES {
            let e =
                auth::sign_in(&testkit::visitor(&state, &attacker), EMAIL, "wrong password".into()).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::Unauthorized);
        }
        let refused = auth::sign_in(&testkit::visitor(&state, &attacker), EMAIL, PASSWORD.into()).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::RateLimited, "that source is refused, even with the right password");
        // The owner, from their own address, is not locked out.
        auth::sign_in(&testkit::visitor(&state, &from("192.0.2.10")), EMAIL, PASSWORD.into())
            .await
            .expect("the owner signs in");

        // Failures spread over many addresses slow the account down; they never lock it.
        for i in 0..2 {
            let _ = auth::sign_in(&testkit::visitor(&state, &from(&format!("198.51.100.{i}"))), EMAIL, "wrong".into())
                .await;
        }
        let limit = auth::ACCOUNT_FAILURES;
        assert!(auth::delay_for(6, limit) > Duration::ZERO && auth::delay_for(100, limit) <= auth::MAX_DELAY);
        assert_eq!(auth::delay_for(limit - 1, limit), Duration::ZERO);
        auth::sign_in(&testkit::visitor(&state, &from("192.0.2.11")), EMAIL, PASSWORD.into())
            .await
            .expect("slowed, not locked");

        // The Admin sees the locks in force and clears one.
        let locks = user_svc::sign_in_locks(&testkit::caller_at(&state, &admin, &from("192.0.2.10"))).await.unwrap();
        let source = locks.iter().find(|l| l.kind == LockKind::AccountFromAddress).expect("the source lock is listed");
        assert_eq!(source.email.as_deref(), Some(EMAIL));
        assert_eq!(source.ip.as_deref(), Some("203.0.113.66"));
        assert!(source.until > clock::now());
        assert!(locks.iter().any(|l| l.kind == LockKind::AccountSlowed && l.email.as_deref() == Some(EMAIL)));
        user_svc::clear_sign_in_lock(&testkit::caller_at(&state, &admin, &from("192.0.2.10")), &source.key)
            .await
            .unwrap();
        let again =
            user_svc::clear_sign_in_lock(&testkit::caller_at(&state, &admin, &from("192.0.2.10")), &source.key).await;
        assert_eq!(again.unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(count(&t.db, "select count(*) from audit_log where action = 'sign_in_lock.clear'").await, 1);
        auth::sign_in(&testkit::visitor(&state, &attacker), EMAIL, PASSWORD.into())
            .await
            .expect("cleared by the Admin");
        let lockouts = count(&t.db, "select count(*) from user_log where event = 'lockout'").await;
        assert!(lockouts >= 2, "the source lock and the slow-down are in the user log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_from_two_nodes_get_no_more_than_the_limit() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        set_up(&state).await;
        let other = second_node(&state, &t.url).await;
        let mut tasks = Vec::new();
        for i in 0..30 {
            let node = if i % 2 == 0 { state.clone() } else { other.clone() };
            tasks.push(tokio::spawn(async move {
                auth::sign_in(&testkit::visitor(&node, &from("203.0.113.9")), EMAIL, format!("guess {i}"))
                    .await
                    .unwrap_err()
                    .code
            }));
        }
        let mut codes = Vec::new();
        for task in tasks {
            codes.push(task.await.unwrap());
        }
        let checked = codes.iter().filter(|c| **c == ErrorCode::Unauthorized).count() as i64;
        assert_eq!(checked, auth::ACCOUNT_FAILURES, "{:?}: only five guesses are checked", t.engine);
        assert_eq!(codes.len() as i64 - checked, 25, "the rest are refused before any hash");
        let failed = count(&t.db, "select count(*) from user_log where event = 'sign_in_failed'").await;
        assert_eq!(failed, auth::ACCOUNT_FAILURES);
        let counter = throttle::get(&t.db, &auth::source_key(EMAIL, "203.0.113.9")).await.unwrap().unwrap();
        assert_eq!(counter.attempts, 30, "{:?}: no increment lost between the two nodes", t.engine);
    }
}

#[tokio::test]
async fn setup_checks_the_code_before_hashing_and_throttles_wrong_codes_per_address() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let code = setup::issue_setup_code(&t.db).await.unwrap().unwrap();
        let stranger = from("203.0.113.7");
        for _ in 0..setup::ATTEMPTS_PER_ADDRESS {
            let e = setup::complete(&testkit::visitor(&state, &stranger), setup_input("AAAA-AAAA-AAAA-AAAA", EMAIL))
                .await
                .unwrap_err();
            assert_eq!(e.field.as_deref(), Some("code"));
        }
        assert_eq!(state.hasher.peak_running(), 0, "no password was hashed for a wrong code");
        let refused =
            setup::complete(&testkit::visitor(&state, &stranger), setup_input(code.expose(), EMAIL)).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::RateLimited, "that address is held back, even with the right code");
        let wrong = count(&t.db, "select count(*) from user_log where event = 'setup_code_wrong'").await;
        assert_eq!(wrong, setup::ATTEMPTS_PER_ADDRESS, "every wrong code is recorded");
        assert_eq!(count(&t.db, "select count(*) from users").await, 0);

        setup::complete(&testkit::visitor(&state, &from("192.0.2.1")), setup_input(code.expose(), EMAIL))
            .await
            .expect("set up");
        let hashes = state.hasher.peak_running();
        let done =
            setup::complete(&testkit::visitor(&state, &stranger), setup_input(code.expose(), "b@example.com")).await;
        assert_eq!(done.unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(state.hasher.peak_running(), hashes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_correct_setups_create_one_admin() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let other = second_node(&state, &t.url).await;
        let code = setup::issue_setup_code(&t.db).await.unwrap().unwrap();
        let (a, b) = (code.expose().to_owned(), code.expose().to_owned());
        let first = tokio::spawn(async move {
            setup::complete(&testkit::visitor(&state, &from("192.0.2.1")), setup_input(&a, "a@example.com")).await
        });
        let second = tokio::spawn(async move {
            setup::complete(&testkit::visitor(&other, &from("192.0.2.2")), setup_input(&b, "b@example.com")).await
        });
        let results = [first.await.unwrap(), second.await.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{:?}: exactly one setup wins", t.engine);
        assert_eq!(count(&t.db, "select count(*) from users").await, 1);
        assert_eq!(count(&t.db, "select count(*) from audit_log where action = 'instance.setup'").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_cancelled_sign_ins_leaves_sign_in_working_and_the_hash_bound_intact() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        set_up(&state).await;
        let mut tasks = Vec::new();
        for i in 0..300u64 {
            let state = state.clone();
            let cancel_after = Duration::from_millis((i * 7919) % 61);
            tasks.push(tokio::spawn(async move {
                let who = from(&format!("10.9.{}.{}", i / 200, i % 200));
                let email = format!("guess{i}@example.com");
                let _ = tokio::time::timeout(
                    cancel_after,
                    auth::sign_in(&testkit::visitor(&state, &who), &email, "x".into()),
                )
                .await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let ok = tokio::time::timeout(
            Duration::from_secs(15),
            auth::sign_in(&testkit::visitor(&state, &from("192.0.2.50")), EMAIL, PASSWORD.into()),
        )
        .await;
        assert!(matches!(ok, Ok(Ok(_))), "{:?}: a correct sign-in goes through after the flood", t.engine);
        assert_eq!(state.hasher.queued(), 0, "every queue place was given back");
        assert!(state.hasher.peak_running() <= 2, "hashes at once: {}", state.hasher.peak_running());
    }
}

/// Lockout windows, idle sessions and reset links expire when the clock moves — no row is
/// rewritten to fake it. Runs on one thread, whose clock it moves.
#[tokio::test]
async fn moving_the_clock_ends_locks_sessions_and_links() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let attacker = from("203.0.113.1");
        for _ in 0..=auth::ACCOUNT_FAILURES {
            let _ = auth::sign_in(&testkit::visitor(&state, &attacker), EMAIL, "wrong".into()).await;
        }
        assert_eq!(
            auth::sign_in(&testkit::visitor(&state, &attacker), EMAIL, PASSWORD.into()).await.unwrap_err().code,
            ErrorCode::RateLimited
        );
        let link =
            user_svc::reset_link(&testkit::caller_at(&state, &admin, &from("192.0.2.1")), &admin.user().id.to_string())
                .await
                .unwrap();
        let session =
            auth::sign_in(&testkit::visitor(&state, &from("192.0.2.1")), EMAIL, PASSWORD.into()).await.unwrap();

        clock::advance(clock::minutes(auth::WINDOW_MINUTES + 1));
        auth::sign_in(&testkit::visitor(&state, &attacker), EMAIL, PASSWORD.into())
            .await
            .expect("the window has passed");
        assert!(auth::resolve(&state, session.token.expose()).await.unwrap().is_some(), "16 minutes idle is fine");

        clock::advance(clock::minutes(60));
        assert!(auth::resolve(&state, session.token.expose()).await.unwrap().is_none(), "over an hour idle ends it");
        assert!(user_svc::reset(&state, link.token.expose()).await.is_ok(), "a reset link lives a day");

        clock::advance(clock::minutes(user_svc::RESET_HOURS * 60));
        assert_eq!(user_svc::reset(&state, link.token.expose()).await.unwrap_err().code, ErrorCode::Gone);
        clock::advance(-clock::minutes(auth::WINDOW_MINUTES + 1 + 60 + user_svc::RESET_HOURS * 60));
    }
}

#[tokio::test]
async fn the_user_log_is_append_only() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        set_up(&state).await;
        let _ = auth::sign_in(&testkit::visitor(&state, &from("192.0.2.1")), EMAIL, "wrong".into()).await;
        assert!(count(&t.db, "select count(*) from user_log").await > 0);
        for sql in ["update user_log set detail = 'edited'", "delete from user_log"] {
            let mut tx = t.db.begin().await.unwrap();
            assert!(sqlx::query(sql).execute(&mut *tx).await.is_err(), "{:?}: {sql} must be refused", t.engine);
        }
    }
}

/// A project's vault count counts only the vaults the viewer may see: a restricted vault
/// someone is not on the list of is not even a number to them.
#[tokio::test]
async fn the_vault_count_leaves_out_restricted_vaults_the_viewer_cannot_see() {
    use app::domain::permission::ProjectRole;
    use app::server::services::{projects, vaults};
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = set_up(&state).await;
        let _m = from("192.0.2.1");
        let cy = testkit::person(&state, "c@example.com", false).await;
        let p = projects::create(&admin, "Payments", "").await.unwrap();
        projects::add_member(&admin, p, cy.user().id, ProjectRole::Contributor).await.unwrap();
        vaults::create(&admin, p, "open", "").await.unwrap();
        let hidden = vaults::create(&admin, p, "hidden", "").await.unwrap();
        vaults::set_settings(&admin, hidden, true, false).await.unwrap();
        let count = async |s: Caller| projects::list(&s, "", false).await.unwrap()[0].vault_count;
        assert_eq!(count(admin.clone()).await, 2);
        assert_eq!(count(cy.clone()).await, 1, "{:?}: the restricted vault is not counted for Cy", t.engine);
        vaults::set_listed(&admin, hidden, cy.user().id, true).await.unwrap();
        assert_eq!(count(cy.clone()).await, 2, "once listed, Cy sees and counts it");
    }
}
