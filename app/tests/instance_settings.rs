//! Instance settings on SQLite and PostgreSQL: only an Admin changes them; each number is
//! bounded and empty means the server's default; a save is audited with what changed and
//! takes effect at once on its node and on another node at its next refresh — a shorter idle
//! timeout ends an idle session, a lower lockout threshold refuses sooner, the name shows in
//! the shell.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ErrorCode;
use app::domain::instance::InstanceInput;
use app::server::services::{auth, instance_settings, setup, users};
use app::server::{AppState, RequestMeta};

fn input(name: &str) -> InstanceInput {
    InstanceInput { name: name.into(), ..InstanceInput::default() }
}

fn other_node(state: &AppState) -> AppState {
    let knobs = app::server::state::LiveKnobs::new(state.settings.knobs());
    AppState::new(app::server::state::Shared { knobs: std::sync::Arc::new(knobs), ..(**state).clone() })
}

#[tokio::test]
async fn settings_are_bounded_audited_and_followed_by_every_node() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let member = testkit::person(&state, "member@example.com", false).await;
        let second = other_node(&state);
        let defaults = state.settings.knobs();
        assert_eq!(instance_settings::view(&admin).await.unwrap().knobs, defaults);

        assert_eq!(instance_settings::save(&member, &input("Mine")).await.unwrap_err().code, ErrorCode::Forbidden);
        let bad = InstanceInput { session_idle_minutes: "2".into(), ..input("Acme Ops") };
        let err = instance_settings::save(&admin, &bad).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("session_idle_minutes"));
        assert_ne!(setup::instance_name(&state).await.unwrap(), "Acme Ops", "a refused save changes nothing");

        let set = InstanceInput {
            session_idle_minutes: "15".into(),
            account_failure_limit: "3".into(),
            log_retention_days: "30".into(),
            ..input("Acme Ops")
        };
        let saved = instance_settings::save(&admin, &set).await.unwrap();
        assert_eq!(saved.name, "Acme Ops");
        assert_eq!((saved.knobs.session_idle_minutes, saved.knobs.account_failure_limit), (15, 3));
        assert_eq!(saved.knobs.session_absolute_hours, defaults.session_absolute_hours, "empty keeps the default");
        assert_eq!(state.knobs.get(), saved.knobs, "in effect on this node at once");
        assert_eq!(setup::instance_name(&state).await.unwrap(), "Acme Ops");

        // The other node follows at its next refresh.
        assert_eq!(second.knobs.get(), defaults);
        instance_settings::refresh(&second).await.unwrap();
        assert_eq!(second.knobs.get(), saved.knobs);

        let changes: Vec<String> =
            sqlx::query_scalar("select changes from audit_log where action = 'settings.instance' order by seq")
                .fetch_all(state.db.reader())
                .await
                .unwrap();
        assert_eq!(changes.len(), 1);
        for field in ["name", "session_idle_minutes", "account_failure_limit", "log_retention_days"] {
            assert!(changes[0].contains(field), "{field} in {}", changes[0]);
        }
        assert!(!changes[0].contains("session_absolute_hours"), "unchanged values are not listed");
    }
}

#[tokio::test]
async fn a_lower_lockout_threshold_refuses_sooner() {
    let t = testkit::sqlite().await;
    let state = testkit::state(&t.db).await;
    let admin = testkit::person(&state, "admin@example.com", true).await;
    let link = users::invite(&admin, "Robin", "robin@example.com").await.unwrap();
    let visitor = testkit::visitor(&state, &RequestMeta { ip: Some("203.0.113.9".into()), ..RequestMeta::default() });
    let token = link.path().rsplit('/').next().unwrap().to_owned();
    let pass = "a long enough passphrase 9".to_owned();
    users::accept_invitation(&visitor, &token, "Robin", pass.clone(), pass).await.unwrap();
    instance_settings::save(&admin, &InstanceInput { account_failure_limit: "3".into(), ..input("Acme") })
        .await
        .unwrap();
    for _ in 0..3 {
        let wrong = auth::sign_in(&visitor, "robin@example.com", "not the password".into()).await.unwrap_err();
        assert_eq!(wrong.code, ErrorCode::Unauthorized);
    }
    let held = auth::sign_in(&visitor, "robin@example.com", "not the password".into()).await.unwrap_err();
    assert_eq!(held.code, ErrorCode::RateLimited, "the fourth guess is refused, not checked");
}

#[tokio::test]
async fn a_shorter_idle_timeout_ends_an_idle_session() {
    let t = testkit::sqlite().await;
    let state = testkit::state(&t.db).await;
    let admin = testkit::person(&state, "admin@example.com", true).await;
    let link = users::invite(&admin, "Robin", "robin@example.com").await.unwrap();
    let visitor = testkit::visitor(&state, &RequestMeta::default());
    let token = link.path().rsplit('/').next().unwrap().to_owned();
    let pass = "a long enough passphrase 9".to_owned();
    let session = users::accept_invitation(&visitor, &token, "Robin", pass.clone(), pass).await.unwrap();
    // Ten minutes without a request: within the default hour (the lookup counts as activity).
    let idle_ten_minutes = || async {
        sqlx::query("update sessions set last_seen_at = last_seen_at - 600000000")
            .execute(state.db.write_pool())
            .await
            .unwrap();
    };
    idle_ten_minutes().await;
    assert!(auth::resolve(&state, session.token.expose()).await.unwrap().is_some());
    instance_settings::save(&admin, &InstanceInput { session_idle_minutes: "5".into(), ..input("Acme") })
        .await
        .unwrap();
    idle_ten_minutes().await;
    assert!(auth::resolve(&state, session.token.expose()).await.unwrap().is_none(), "past the new idle timeout");
}
