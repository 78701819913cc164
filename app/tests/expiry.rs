//! The expiry watch on SQLite and PostgreSQL, with the clock passed in (no sleeping): each
//! threshold fires once per resource and expiration date, across runs and across two nodes
//! running at the same moment; one digest per person per run; only Admins, the project's
//! Project Managers and the creator hear of it, and only while they may see the vault; a new
//! expiration date arms the thresholds again; every firing is an audit entry; and each person
//! reads and marks only their own notifications.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ids::NotificationId;
use app::domain::notification::Inbox;
use app::domain::permission::ProjectRole;
use app::server::services::certificates;
use app::server::services::keys::{self, NewKeyInput};
use app::server::services::secrets::{self, MetaInput, NewSecretInput};
use app::server::services::{expiry, notifications, projects, vaults};
use app::server::{AppState, Caller, clock};

const DAY: i64 = 24 * 60 * 60 * 1_000_000;

/// Another node on the same database.
fn other_node(state: &AppState) -> AppState {
    AppState::new(app::server::state::Shared { data_keys: Default::default(), ..(**state).clone() })
}

async fn inbox(who: &Caller) -> Inbox {
    notifications::inbox(who).await.unwrap()
}

/// The item lines of everyone's newest digest, or none.
async fn newest(who: &Caller) -> Vec<String> {
    inbox(who).await.notifications.first().map(|n| n.items.iter().map(|i| i.line()).collect()).unwrap_or_default()
}

async fn audit_count(state: &AppState) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = 'expiry.notify' and actor_type = 'system'")
        .fetch_one(state.db.reader())
        .await
        .unwrap()
}

#[tokio::test]
async fn thresholds_fire_once_to_the_people_who_look_after_the_resource() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let pm = testkit::person(&state, "pm@example.com", false).await;
        let maker = testkit::person(&state, "maker@example.com", false).await;
        let reader = testkit::person(&state, "reader@example.com", false).await;
        let project = projects::create(&admin, "Payments", "").await.unwrap();
        for (who, role) in
            [(&pm, ProjectRole::ProjectManager), (&maker, ProjectRole::Contributor), (&reader, ProjectRole::ReadOnly)]
        {
            projects::add_member(&admin, project, who.user().id, role).await.unwrap();
        }
        let vault = vaults::create(&admin, project, "prod", "").await.unwrap();
        let now = clock::now();

        // A secret the Contributor made (40 days left), a key the Admin made (3 days left) and
        // a certificate the Project Manager made (valid 10 days).
        let secret_input =
            NewSecretInput { expiration_at: Some(now + 40 * DAY), ..testkit::new_secret("DB_PASSWORD", "hunter2") };
        let secret = secrets::create(&maker, vault, secret_input).await.unwrap();
        let key_input = NewKeyInput {
            name: "signing".into(),
            algorithm: "ed25519".into(),
            output_format: "pem".into(),
            tags: String::new(),
            activation_at: None,
            expiration_at: Some(now + 3 * DAY),
        };
        keys::generate(&admin, vault, key_input).await.unwrap();
        let cert_input = testkit::new_certificate("api-tls", "api.example.com", "ed25519", 10);
        certificates::generate(&pm, vault, cert_input).await.unwrap();

        // Run 1, two nodes at once: the key (7 days) and the certificate (30 days) fire once.
        let second = other_node(&state);
        let (a, b) = tokio::join!(expiry::run(&state, now), expiry::run(&second, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.resources + b.resources, 2, "{a:?} {b:?}");
        let key_line = "Key signing expires within 7 days";
        let cert_line = "Certificate api-tls expires within 30 days";
        for who in [&admin, &pm] {
            let mut lines = newest(who).await;
            lines.sort();
            assert_eq!(lines, [cert_line, key_line], "one digest naming both");
            assert_eq!(inbox(who).await.unread, 1);
        }
        assert!(inbox(&maker).await.notifications.is_empty(), "the maker made neither");
        assert!(inbox(&reader).await.notifications.is_empty(), "a Read-only member is not told");
        assert_eq!(audit_count(&state).await, 2);

        // The same moment again, and a restart (a fresh node): nothing new.
        assert_eq!(expiry::run(&other_node(&state), now).await.unwrap(), expiry::Fired::default());

        // 20 days on: the secret reaches 30 days (its maker hears of it), the key and the
        // certificate have expired.
        let later = now + 20 * DAY;
        assert_eq!(expiry::run(&state, later).await.unwrap().resources, 3);
        assert_eq!(newest(&maker).await, ["Secret DB_PASSWORD expires within 30 days"]);
        let mut lines = newest(&admin).await;
        lines.sort();
        assert_eq!(
            lines,
            ["Certificate api-tls has expired", "Key signing has expired", "Secret DB_PASSWORD expires within 30 days"]
        );
        assert!(inbox(&reader).await.notifications.is_empty());

        // The vault becomes restricted and the maker is not on its list: they see it no more,
        // so the 7-day digest goes to the Admin and the Project Manager only.
        vaults::set_settings(&admin, vault, true, false).await.unwrap();
        let week_left = now + 33 * DAY + 1;
        assert_eq!(expiry::run(&state, week_left).await.unwrap().resources, 1);
        assert_eq!(inbox(&maker).await.notifications.len(), 1, "no digest about a vault they cannot see");
        assert_eq!(newest(&pm).await, ["Secret DB_PASSWORD expires within 7 days"]);
        vaults::set_settings(&admin, vault, false, false).await.unwrap();

        // A new expiration date arms the thresholds again.
        let meta = MetaInput {
            content_type: String::new(),
            description: String::new(),
            tags: String::new(),
            activation_at: None,
            expiration_at: Some(now + 100 * DAY),
            seen_updated_at: None,
        };
        secrets::update_meta(&maker, secret, meta).await.unwrap();
        assert_eq!(expiry::run(&state, now + 71 * DAY).await.unwrap().resources, 1);
        assert_eq!(newest(&maker).await, ["Secret DB_PASSWORD expires within 30 days"]);
        assert_eq!(expiry::run(&state, now + 71 * DAY).await.unwrap().resources, 0);
        assert_eq!(audit_count(&state).await, 7);

        // Reading and marking: one's own only.
        let mine = inbox(&admin).await;
        assert_eq!(mine.unread, 4);
        let first = mine.notifications[0].id;
        let other = notifications::mark_read(&pm, first).await.unwrap_err();
        assert_eq!(other.code.as_str(), "not_found");
        assert_eq!(notifications::mark_read(&admin, first).await.unwrap(), 3);
        assert_eq!(notifications::mark_read(&admin, first).await.unwrap(), 3, "marking twice is harmless");
        assert_eq!(
            notifications::mark_read(&admin, NotificationId::new()).await.unwrap_err().code.as_str(),
            "not_found"
        );
        assert_eq!(notifications::mark_all_read(&admin).await.unwrap(), 0);
        assert!(inbox(&admin).await.notifications.iter().all(|n| n.read));
        assert_eq!(inbox(&pm).await.unread, 4, "another person's stay unread");
    }
}
