//! E-mail on SQLite and PostgreSQL against a real SMTP server on loopback (aiosmtpd): the
//! settings are checked, sealed and audited; invitations, reset links and expiry digests are
//! queued with their action and arrive with working links and no secret value; the profile's
//! opt-out is honoured; two nodes send each message once; a refused message is retried with
//! backoff, shown to Admins and finally given up on with a notification; and the test e-mail
//! says what the server answered. The clock is passed in, so nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ErrorCode;
use app::domain::mail::SmtpInput;
use app::server::services::mail::{self, MAX_ATTEMPTS, backoff};
use app::server::services::secrets::{self, NewSecretInput};
use app::server::services::{expiry, notifications, profile, projects, users, vaults};
use app::server::{AppState, Caller, RequestMeta, clock};
use testkit::smtp::{SmtpSink, body, free_port, header};

const DAY: i64 = 24 * 60 * 60 * 1_000_000;

/// Settings that send to `port` on loopback without TLS and without a password.
fn to_port(port: u16) -> SmtpInput {
    SmtpInput { username: String::new(), password: String::new().into(), ..testkit::smtp::settings(port) }
}

fn other_node(state: &AppState) -> AppState {
    AppState::new(app::server::state::Shared { data_keys: Default::default(), ..(**state).clone() })
}

/// The first `http…` link in a message's body.
fn link_in(message: &str) -> String {
    let text = body(message);
    let at = text.find("http://").expect("a link in the message");
    text[at..].split_whitespace().next().unwrap().to_owned()
}

async fn audit_rows(state: &AppState, action: &str) -> Vec<String> {
    sqlx::query_scalar("select changes from audit_log where action = $1 order by seq")
        .bind(action)
        .fetch_all(state.db.reader())
        .await
        .unwrap()
}

async fn outbox_bodies(state: &AppState) -> Vec<Vec<u8>> {
    sqlx::query_scalar("select body_sealed from mail_outbox").fetch_all(state.db.reader()).await.unwrap()
}

#[tokio::test]
async fn settings_are_checked_sealed_and_audited() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let member = testkit::person(&state, "member@example.com", false).await;
        assert!(!mail::view(&admin).await.unwrap().smtp.enabled(), "e-mail starts off");

        let mut input =
            SmtpInput { username: "secryn".into(), password: String::from("smtp-pass-4417").into(), ..to_port(2525) };
        let err = mail::save(&member, &input).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        let bad = mail::save(&admin, &SmtpInput { port: "99999".into(), ..input.clone() }).await.unwrap_err();
        assert_eq!((bad.code, bad.field.as_deref()), (ErrorCode::ValidationFailed, Some("port")));
        assert!(!mail::view(&admin).await.unwrap().smtp.enabled(), "a refused save changes nothing");

        let saved = mail::save(&admin, &input).await.unwrap().smtp;
        assert!(saved.enabled() && saved.password_set);
        assert_eq!((saved.port, saved.username.as_str()), (2525, "secryn"));
        let sealed: Vec<u8> = sqlx::query_scalar("select smtp_password_sealed from instance_settings")
            .fetch_one(state.db.reader())
            .await
            .unwrap();
        assert!(!sealed.windows(14).any(|w| w == b"smtp-pass-4417"), "the password is stored sealed");

        // An empty password keeps the stored one; ticking "remove" removes it.
        input.password = String::new().into();
        assert!(mail::save(&admin, &input).await.unwrap().smtp.password_set);
        input.clear_password = true;
        assert!(!mail::save(&admin, &input).await.unwrap().smtp.password_set);

        let changes = audit_rows(&state, "settings.smtp").await;
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(changes[0].contains("smtp_host") && changes[0].contains("smtp_password"), "{}", changes[0]);
        assert!(changes.iter().all(|c| !c.contains("smtp-pass-4417")), "the password is never recorded");
        assert!(!changes[1].contains("smtp_password"), "a kept password is no change: {}", changes[1]);
    }
}

#[tokio::test]
async fn links_arrive_by_mail_and_open_the_account() {
    let sink = SmtpSink::start();
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let before = sink.messages().len();

        // E-mail off: the link is only shown; nothing is queued.
        let quiet = users::invite(&admin, "Quiet", "quiet@example.com").await.unwrap();
        assert!(!quiet.emailed);
        assert!(outbox_bodies(&state).await.is_empty());

        mail::save(&admin, &to_port(sink.port)).await.unwrap();
        let invited = users::invite(&admin, "Robin", "robin@example.com").await.unwrap();
        assert!(invited.emailed, "the invitation is queued with the action");
        let token = invited.path().rsplit('/').next().unwrap().to_owned();
        let bodies = outbox_bodies(&state).await;
        assert_eq!(bodies.len(), 1);
        assert!(!bodies[0].windows(token.len()).any(|w| w == token.as_bytes()), "the queued link is sealed");

        // Two nodes deliver at once: the message goes out once.
        let second = other_node(&state);
        let (a, b) = tokio::join!(mail::deliver_due(&state, clock::now()), mail::deliver_due(&second, clock::now()));
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 1);
        let got = sink.wait_for(before + 1);
        assert_eq!(got.len(), before + 1, "one message, not two");
        let message = got.last().unwrap();
        assert_eq!(header(message, "To"), Some("robin@example.com"));
        assert!(header(message, "Subject").unwrap().contains("invited"), "{message}");
        assert!(outbox_bodies(&state).await.is_empty(), "a delivered message is deleted");

        // The link in the e-mail opens the account.
        let link = link_in(message);
        assert!(link.starts_with("http://127.0.0.1:3000/invite/"), "{link}");
        let visitor = testkit::visitor(&state, &RequestMeta::default());
        let emailed_token = link.rsplit('/').next().unwrap();
        let pass = "a long enough passphrase 9".to_owned();
        users::accept_invitation(&visitor, emailed_token, "Robin", pass.clone(), pass).await.unwrap();

        // A reset link goes the same way.
        let robin = users::list(&admin, "robin", "").await.unwrap().remove(0);
        users::reset_link(&admin, &robin.id.to_string()).await.unwrap();
        mail::deliver_due(&state, clock::now()).await.unwrap();
        let got = sink.wait_for(before + 2);
        let reset = got.last().unwrap();
        assert!(link_in(reset).contains("/reset/"), "{reset}");
        assert!(header(reset, "Subject").unwrap().contains("Reset your"));
    }
}

/// Makes a secret expiring in 7 days, which every Admin looks after.
async fn expiring(admin: &Caller, now: i64) {
    let project = projects::create(admin, "Payments", "").await.unwrap();
    let vault = vaults::create(admin, project, "prod", "").await.unwrap();
    let input =
        NewSecretInput { expiration_at: Some(now + 7 * DAY), ..testkit::new_secret("DB_PASSWORD", "hunter2-value") };
    secrets::create(admin, vault, input).await.unwrap();
}

#[tokio::test]
async fn digests_are_mailed_unless_the_person_opted_out() {
    let sink = SmtpSink::start();
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let quiet = testkit::person(&state, "quiet-admin@example.com", true).await;
        profile::set_email_notifications(&quiet, false).await.unwrap();
        mail::save(&admin, &to_port(sink.port)).await.unwrap();
        let now = clock::now();
        expiring(&admin, now).await;
        let before = sink.messages().len();

        expiry::run(&state, now).await.unwrap();
        assert_eq!(
            notifications::inbox(&quiet).await.unwrap().unread,
            1,
            "the opted-out Admin still sees it in the app"
        );
        let sent = mail::deliver_due(&state, now).await.unwrap();
        assert_eq!(sent.sent, 1, "only the Admin who did not opt out gets an e-mail");
        let got = sink.wait_for(before + 1);
        let digest = got.last().unwrap();
        assert_eq!(header(digest, "To"), Some("admin@example.com"));
        let text = body(digest);
        assert!(text.contains("Secret DB_PASSWORD expires within 7 days"), "{text}");
        assert!(text.contains("Payments / prod") && text.contains("/secrets/"), "{text}");
        assert!(!digest.contains("hunter2-value"), "never a secret value");
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(sink.messages().len(), before + 1, "no e-mail to the Admin who opted out");
    }
}

#[tokio::test]
async fn refused_mail_is_retried_then_given_up_and_admins_are_told() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        mail::save(&admin, &to_port(free_port())).await.unwrap();
        // The action never waits for the SMTP server: the invitation is issued at once.
        users::invite(&admin, "Robin", "robin@example.com").await.unwrap();
        let mut now = clock::now();
        for attempt in 1..=MAX_ATTEMPTS {
            let run = mail::deliver_due(&state, now).await.unwrap();
            assert_eq!(run.failed, 1, "try {attempt}");
            let view = mail::view(&admin).await.unwrap();
            let m = &view.undelivered[0];
            assert_eq!(m.attempts, attempt);
            assert!(!m.last_error.is_empty() && m.to == "robin@example.com");
            if attempt < MAX_ATTEMPTS {
                assert_eq!(m.next_attempt_at, Some(now + backoff(attempt)));
                let early = mail::deliver_due(&state, now + backoff(attempt) - 1).await.unwrap();
                assert_eq!(early.failed, 0, "not before its backoff");
                now += backoff(attempt);
            } else {
                assert_eq!((run.given_up, m.next_attempt_at), (1, None), "given up after the last try");
            }
        }
        let told = notifications::inbox(&admin).await.unwrap();
        assert!(told.notifications[0].title.contains("could not be delivered"), "{told:?}");
        assert_eq!(told.notifications[0].link.as_deref(), Some("/admin/settings#mail"));
        assert_eq!(mail::deliver_due(&state, now + DAY).await.unwrap().failed, 0, "a given-up message stays put");
    }
}

#[tokio::test]
async fn the_test_mail_says_what_the_server_answered() {
    let sink = SmtpSink::start();
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let off = mail::send_test(&admin).await.unwrap_err();
        assert_eq!(off.field.as_deref(), Some("host"), "e-mail is off: {off:?}");

        mail::save(&admin, &to_port(sink.port)).await.unwrap();
        let before = sink.messages().len();
        let said = mail::send_test(&admin).await.unwrap();
        assert_eq!(said, "A test e-mail was sent to admin@example.com.");
        let got = sink.wait_for(before + 1);
        assert!(header(got.last().unwrap(), "Subject").unwrap().ends_with("test e-mail"));

        mail::save(&admin, &to_port(free_port())).await.unwrap();
        let refused = mail::send_test(&admin).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unavailable);
        assert!(refused.message.starts_with("The test e-mail could not be sent: "), "{}", refused.message);
        let audited = audit_rows(&state, "mail.test").await;
        assert_eq!(audited.len(), 2);
        assert!(audited[0].contains("sent") && audited[1].contains("failed"), "{audited:?}");
    }
}
