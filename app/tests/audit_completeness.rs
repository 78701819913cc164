//! Every auditable action, driven once through its service the way the product does it, on
//! SQLite and PostgreSQL: its entry exists with the right actor, resource and fields. The
//! expected list must name every action in `audit::ACTIONS` (and `append` refuses any action
//! not there), so a new action without an entry, or without a line here, fails this test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ids::UserId;
use app::domain::logs::{LogFilter, LogKind};
use app::domain::permission::ProjectRole;
use app::domain::secret::SecretValue;
use app::server::backup_file::BackupKey;
use app::server::request_log::Record;
use app::server::services::certificates;
use app::server::services::keys::{self, Download, KeyMetaInput, NewKeyInput};
use app::server::services::machine::{Call, Presented};
use app::server::services::secrets::{self, MetaInput, NewSecretInput, RevealKind};
use app::server::services::{
    access_keys, auth, backup, expiry, instance_settings, logs, machine_keys, mail, master_keys, profile, projects,
    scheduled_backups, setup, support, users, vaults,
};
use app::server::{AppState, Caller, RequestMeta, audit, clock};
use std::collections::BTreeSet;

const PASSWORD: &str = "correct horse battery staple";
const MEMBER_PASSWORD: &str = "the member's own long passphrase";
const IP: &str = "192.0.2.44";

fn meta() -> RequestMeta {
    RequestMeta { ip: Some(IP.into()), user_agent: Some("tests".into()) }
}

/// What one action's entry must hold.
struct Expect {
    action: &'static str,
    /// Whose id the entry names as its actor (`None`: Secryn itself).
    actor: Option<String>,
    resource_type: &'static str,
    resource_id: Option<String>,
    /// A field the entry's changes must name (`None`: no particular one).
    field: Option<&'static str>,
    /// The source address (`None` for Secryn's own events).
    ip: Option<&'static str>,
}

fn expect(action: &'static str, actor: UserId, resource_type: &'static str, id: impl ToString) -> Expect {
    let (actor, resource_id) = (Some(actor.to_string()), Some(id.to_string()));
    Expect { action, actor, resource_type, resource_id, field: None, ip: Some(IP) }
}

impl Expect {
    fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
}

fn value(s: &str) -> SecretValue {
    SecretValue::parse("value", s.to_owned()).unwrap()
}

/// Someone with no credential but a public token, from the test address.
fn anonymous(state: &AppState) -> app::server::services::machine::Machine {
    Caller::new(state.clone(), Presented::header(None), meta())
}

async fn signed_in(state: &AppState, token: &str) -> Caller {
    Caller::new(state.clone(), auth::resolve(state, token).await.unwrap().unwrap(), meta())
}

/// Drives every action once; returns what each entry must hold.
async fn drive(state: &AppState) -> Vec<Expect> {
    let visitor = testkit::visitor(state, &meta());
    let mut out = Vec::new();

    // First run and people.
    let code = setup::issue_setup_code(&state.db).await.unwrap().unwrap();
    let input = setup::SetupInput {
        code: code.expose().to_owned(),
        instance_name: "Acme".into(),
        admin_name: "First Admin".into(),
        admin_email: "admin@example.com".into(),
        password: PASSWORD.into(),
        password_confirm: PASSWORD.into(),
    };
    let first = setup::complete(&visitor, input).await.unwrap();
    let admin_id = first.user.id;
    out.push(Expect {
        action: "instance.setup",
        actor: Some(admin_id.to_string()),
        resource_type: "instance",
        resource_id: None,
        field: Some("name"),
        ip: Some(IP),
    });
    out.push(expect("user.create", admin_id, "user", admin_id).field("role"));
    let session = auth::sign_in(&visitor, "admin@example.com", PASSWORD.into()).await.unwrap();
    out.push(expect("user.sign_in", admin_id, "user", admin_id));
    let admin = signed_in(state, session.token.expose()).await;

    let link = users::invite(&admin, "Invited Member", "member@example.com").await.unwrap();
    let member_id = link.user_id;
    out.push(expect("user.invite", admin_id, "user", member_id).field("email"));
    let link = users::reinvite(&admin, &member_id.to_string()).await.unwrap();
    out.push(expect("user.reinvite", admin_id, "user", member_id));
    users::accept_invitation(
        &visitor,
        link.token.expose(),
        "Invited Member",
        MEMBER_PASSWORD.into(),
        MEMBER_PASSWORD.into(),
    )
    .await
    .unwrap();
    out.push(expect("user.accept_invitation", member_id, "user", member_id));
    let reset = users::reset_link(&admin, &member_id.to_string()).await.unwrap();
    out.push(expect("user.reset_link", admin_id, "user", member_id));
    users::accept_reset(&visitor, reset.token.expose(), PASSWORD.into(), PASSWORD.into()).await.unwrap();
    out.push(expect("user.password_reset", member_id, "user", member_id).field("password"));
    let member =
        signed_in(state, auth::sign_in(&visitor, "member@example.com", PASSWORD.into()).await.unwrap().token.expose())
            .await;
    profile::change_password(&member, PASSWORD.into(), MEMBER_PASSWORD.into(), MEMBER_PASSWORD.into()).await.unwrap();
    out.push(expect("user.password_change", member_id, "user", member_id).field("password"));
    profile::set_email_notifications(&member, false).await.unwrap();
    out.push(expect("user.preferences", member_id, "user", member_id).field("email_notifications"));
    users::grant_admin(&admin, &member_id.to_string()).await.unwrap();
    out.push(expect("user.grant_admin", admin_id, "user", member_id).field("admin"));
    users::revoke_admin(&admin, &member_id.to_string()).await.unwrap();
    out.push(expect("user.revoke_admin", admin_id, "user", member_id).field("admin"));
    users::disable(&admin, &member_id.to_string()).await.unwrap();
    out.push(expect("user.disable", admin_id, "user", member_id).field("state"));
    users::enable(&admin, &member_id.to_string()).await.unwrap();
    out.push(expect("user.enable", admin_id, "user", member_id).field("state"));

    // A lock from one address, cleared by the Admin.
    let attacker = RequestMeta { ip: Some("203.0.113.66".into()), user_agent: None };
    for _ in 0..auth::ACCOUNT_FAILURES {
        let _ = auth::sign_in(&testkit::visitor(state, &attacker), "member@example.com", "wrong".into()).await;
    }
    let lock = users::sign_in_locks(&admin).await.unwrap().into_iter().next().expect("a lock in force");
    users::clear_sign_in_lock(&admin, &lock.key).await.unwrap();
    out.push(Expect {
        action: "sign_in_lock.clear",
        actor: Some(admin_id.to_string()),
        resource_type: "sign_in_lock",
        resource_id: None,
        field: None,
        ip: Some(IP),
    });

    // Projects, members, vaults.
    let project = projects::create(&admin, "Payments", "").await.unwrap();
    out.push(expect("project.create", admin_id, "project", project).field("name"));
    projects::update(&admin, project, "Payments API", "card flows").await.unwrap();
    out.push(expect("project.update", admin_id, "project", project).field("name"));
    let membership = format!("{project}/{member_id}");
    projects::add_member(&admin, project, member_id, ProjectRole::ReadOnly).await.unwrap();
    out.push(expect("membership.add", admin_id, "membership", &membership).field("role"));
    projects::change_role(&admin, project, member_id, ProjectRole::ReadOnly, ProjectRole::Contributor).await.unwrap();
    out.push(expect("membership.change_role", admin_id, "membership", &membership).field("role"));
    let vault = vaults::create(&admin, project, "production", "").await.unwrap();
    out.push(expect("vault.create", admin_id, "vault", vault).field("name"));
    vaults::update(&admin, vault, "prod", "live").await.unwrap();
    out.push(expect("vault.update", admin_id, "vault", vault).field("name"));
    vaults::set_settings(&admin, vault, true, true).await.unwrap();
    out.push(expect("vault.settings", admin_id, "vault", vault).field("restricted"));
    vaults::set_listed(&admin, vault, member_id, true).await.unwrap();
    out.push(expect("vault.member_add", admin_id, "vault", vault));
    vaults::set_listed(&admin, vault, member_id, false).await.unwrap();
    out.push(expect("vault.member_remove", admin_id, "vault", vault));

    // Secrets.
    let new = NewSecretInput { tags: "db".into(), ..testkit::new_secret("DB_PASSWORD", "first value") };
    let secret = secrets::create(&admin, vault, new).await.unwrap();
    out.push(expect("secret.create", admin_id, "secret", secret).field("name"));
    secrets::new_version(&admin, secret, value("second value"), "rotated", Some(1)).await.unwrap();
    out.push(expect("secret.new_version", admin_id, "secret", secret).field("value"));
    secrets::restore(&admin, secret, 1).await.unwrap();
    out.push(expect("secret.restore", admin_id, "secret", secret).field("value"));
    let meta_input = MetaInput {
        content_type: "text/plain".into(),
        description: "the database".into(),
        tags: "db, prod".into(),
        activation_at: None,
        expiration_at: Some(clock::now() + 5 * 86_400_000_000),
        seen_updated_at: None,
    };
    secrets::update_meta(&admin, secret, meta_input).await.unwrap();
    out.push(expect("secret.update", admin_id, "secret", secret).field("description"));
    assert_eq!(expiry::run(state, clock::now()).await.unwrap().resources, 1);
    out.push(Expect {
        actor: None,
        ip: None,
        ..expect("expiry.notify", admin_id, "secret", secret).field("threshold_days")
    });
    secrets::set_enabled(&admin, secret, false).await.unwrap();
    out.push(expect("secret.disable", admin_id, "secret", secret).field("enabled"));
    secrets::set_enabled(&admin, secret, true).await.unwrap();
    out.push(expect("secret.enable", admin_id, "secret", secret).field("enabled"));
    secrets::reveal(&admin, secret, None, RevealKind::Reveal).await.unwrap();
    out.push(expect("secret.reveal", admin_id, "secret", secret));
    secrets::reveal(&admin, secret, None, RevealKind::Copy).await.unwrap();
    out.push(expect("secret.copy", admin_id, "secret", secret));
    secrets::compare(&admin, secret, 1, 2).await.unwrap();
    out.push(expect("secret.compare", admin_id, "secret", secret));
    secrets::import(&admin, vault, "API_TOKEN=abc\n", false, true).await.unwrap();
    let imported = secrets::list(&admin, vault).await.unwrap().into_iter().find(|s| s.name == "API_TOKEN").unwrap();
    out.push(expect("secret.import", admin_id, "secret", imported.id));
    secrets::export(&admin, vault).await.unwrap();
    out.push(expect("vault.export", admin_id, "vault", vault));

    // Access keys.
    let created = access_keys::create(&admin, vault, "ci", None).await.unwrap();
    out.push(expect("access_key.create", admin_id, "access_key", created.info.id).field("vault"));
    access_keys::revoke(&admin, created.info.id).await.unwrap();
    out.push(expect("access_key.revoke", admin_id, "access_key", created.info.id));

    // Keys.
    let input = NewKeyInput {
        name: "deploy".into(),
        algorithm: "ed25519".into(),
        output_format: "both".into(),
        tags: String::new(),
        activation_at: None,
        expiration_at: None,
    };
    let key = keys::generate(&admin, vault, input).await.unwrap();
    out.push(expect("key.create", admin_id, "key", key).field("algorithm"));
    let seen = keys::get(&admin, key).await.unwrap().meta.updated_at;
    let meta_input =
        KeyMetaInput { tags: "ssh".into(), activation_at: None, expiration_at: None, seen_updated_at: seen };
    keys::update_meta(&admin, key, meta_input).await.unwrap();
    out.push(expect("key.update", admin_id, "key", key).field("tags"));
    keys::download(&admin, key, Download::Openssh).await.unwrap();
    out.push(expect("key.download", admin_id, "key", key).field("format"));
    keys::set_enabled(&admin, key, false).await.unwrap();
    out.push(expect("key.disable", admin_id, "key", key).field("enabled"));
    keys::set_enabled(&admin, key, true).await.unwrap();
    out.push(expect("key.enable", admin_id, "key", key).field("enabled"));
    keys::set_public(&admin, key, true).await.unwrap();
    out.push(expect("key.publish", admin_id, "key", key).field("public"));
    let token = keys::set_public(&admin, key, true).await.unwrap().unwrap();
    out.push(expect("key.reissue_public_token", admin_id, "key", key).field("public"));
    let call = Call::new("GET", "/api/v1/keys/{key_id}", "key");
    machine_keys::public_key(&anonymous(state), call, &key.to_string(), Some(token.expose())).await.unwrap();
    out.push(Expect { actor: None, ..expect("key.public_read", admin_id, "key", key).field("via") });
    keys::set_public(&admin, key, false).await.unwrap();
    out.push(expect("key.unpublish", admin_id, "key", key).field("public"));

    // Certificates.
    let input = testkit::new_certificate("web", "web.example.com", "ec_p256", 30);
    let cert = certificates::generate(&admin, vault, input).await.unwrap();
    out.push(expect("certificate.create", admin_id, "certificate", cert).field("fingerprint_sha256"));
    let seen = certificates::get(&admin, cert).await.unwrap().meta.updated_at;
    certificates::update_tags(&admin, cert, "tls", seen).await.unwrap();
    out.push(expect("certificate.update", admin_id, "certificate", cert).field("tags"));
    certificates::download(&admin, cert).await.unwrap();
    out.push(expect("certificate.download", admin_id, "certificate", cert));
    certificates::set_enabled(&admin, cert, false).await.unwrap();
    out.push(expect("certificate.disable", admin_id, "certificate", cert).field("enabled"));
    certificates::set_enabled(&admin, cert, true).await.unwrap();
    out.push(expect("certificate.enable", admin_id, "certificate", cert).field("enabled"));
    certificates::set_public(&admin, cert, true).await.unwrap();
    out.push(expect("certificate.publish", admin_id, "certificate", cert).field("public"));
    let token = certificates::set_public(&admin, cert, true).await.unwrap().unwrap();
    out.push(expect("certificate.reissue_public_token", admin_id, "certificate", cert).field("public"));
    let call = Call::new("GET", "/api/v1/certificates/{cert_id}", "certificate");
    machine_keys::public_certificate(&anonymous(state), call, &cert.to_string(), Some(token.expose())).await.unwrap();
    out.push(Expect { actor: None, ..expect("certificate.public_read", admin_id, "certificate", cert).field("via") });
    certificates::set_public(&admin, cert, false).await.unwrap();
    out.push(expect("certificate.unpublish", admin_id, "certificate", cert).field("public"));

    // Logs.
    let filter = LogFilter { action: "secret.".into(), ..LogFilter::default() };
    logs::export(&admin, LogKind::Audit, filter).await.unwrap();
    out.push(expect("log.export", admin_id, "log", "audit").field("action"));
    logs::verify_chain(&admin).await.unwrap();
    out.push(expect("audit.verify", admin_id, "log", "audit").field("outcome"));
    let old = Record {
        at: clock::now() - clock::minutes(100 * 24 * 60),
        method: "GET".into(),
        path: "/api/v1/vaults/{vault_id}",
        resource_type: "vault",
        status: 200,
        duration_us: 1,
        ip: None,
        access_key_id: None,
        public_resource: None,
        request_id: None,
    };
    assert!(state.request_log.record(app::server::request_log::Logged::Request(old)).await);
    assert_eq!(logs::prune_request_log(state, clock::now()).await.unwrap(), 1);
    out.push(Expect {
        action: "log.prune",
        actor: None,
        resource_type: "log",
        resource_id: Some("requests".into()),
        field: Some("deleted"),
        ip: None,
    });

    // Last, so the member's removal does not stop the steps above.
    projects::remove_member(&admin, project, member_id).await.unwrap();
    out.push(expect("membership.remove", admin_id, "membership", &membership).field("role"));
    projects::set_archived(&admin, project, true).await.unwrap();
    out.push(expect("project.archive", admin_id, "project", project).field("archived"));
    projects::set_archived(&admin, project, false).await.unwrap();
    out.push(expect("project.unarchive", admin_id, "project", project).field("archived"));

    // The instance as a whole, last: a restore of a backup taken now keeps every entry above
    // (the backup's own entry is written before its snapshot).
    let instance = |action, actor: Option<UserId>, ip| {
        let actor = actor.map(|a| a.to_string());
        Expect { action, actor, resource_type: "instance", resource_id: None, field: None, ip }
    };
    let dir = tempfile::tempdir().unwrap();
    let schedule = app::domain::backup::ScheduleInput {
        enabled: true,
        frequency: "hourly".into(),
        time: "00:15".into(),
        directory: dir.path().display().to_string(),
        keep_last: String::new(),
        max_age_days: String::new(),
        recipient: age::x25519::Identity::generate().to_public().to_string(),
    };
    let saved = scheduled_backups::save(&admin, &schedule).await.unwrap();
    out.push(instance("backup.schedule", Some(admin_id), Some(IP)).field("directory"));
    drop(dir); // gone: the run fails
    let run = scheduled_backups::run_due(state, saved.next_at.unwrap()).await.unwrap().unwrap();
    assert!(!run.ok);
    out.push(instance("backup.failed", None, None).field("reason"));
    mail::save(&admin, &testkit::smtp::settings(testkit::smtp::free_port())).await.unwrap();
    out.push(instance("settings.smtp", Some(admin_id), Some(IP)).field("smtp_password"));
    mail::send_test(&admin).await.unwrap_err(); // nobody listens there: the failure is recorded
    out.push(instance("mail.test", Some(admin_id), Some(IP)).field("result"));
    let knobs = app::domain::instance::InstanceInput {
        name: "Audited".into(),
        log_retention_days: "30".into(),
        ..Default::default()
    };
    instance_settings::save(&admin, &knobs).await.unwrap();
    out.push(instance("settings.instance", Some(admin_id), Some(IP)).field("log_retention_days"));
    let ticket = support::file(&admin, "bug", "Export fails", "It stops at 1,000 rows.").await.unwrap();
    out.push(expect("support.create", admin_id, "support_ticket", &ticket).field("kind"));
    support::reply(&admin, &ticket, "Fixed.").await.unwrap();
    out.push(expect("support.reply", admin_id, "support_ticket", &ticket).field("status"));
    support::set_status(&admin, &ticket, "closed").await.unwrap();
    out.push(expect("support.status", admin_id, "support_ticket", &ticket).field("status"));
    let rotation = master_keys::rotate(state, |_| {}).await.unwrap();
    assert!(rotation.stuck.is_empty());
    out.push(instance("master_key.rotate", None, None).field("master_key_id"));
    let by = backup::By::admin(&admin).await.unwrap();
    let key = BackupKey::random();
    let mut file = Vec::new();
    backup::create(state, &by, &key, &mut file).await.unwrap();
    out.push(instance("backup.create", Some(admin_id), Some(IP)));
    backup::restore(state, &by, &key, &mut file.as_slice()).await.unwrap();
    out.push(instance("backup.restore", Some(admin_id), Some(IP)));
    out
}

/// An entry as read back: actor id, resource type, resource id, changes, source address.
type EntryRow = (Option<String>, String, Option<String>, String, Option<String>);

#[tokio::test]
async fn every_auditable_action_records_its_entry() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let expected = drive(&state).await;

        let listed: BTreeSet<&str> = audit::ACTIONS.iter().copied().collect();
        let driven: BTreeSet<&str> = expected.iter().map(|e| e.action).collect();
        assert_eq!(driven, listed, "every action in audit::ACTIONS is driven here once, and nothing else");
        assert_eq!(driven.len(), expected.len(), "each action once");

        let mut missing = Vec::new();
        for e in &expected {
            let rows: Vec<EntryRow> = sqlx::query_as(
                "select actor_id, resource_type, resource_id, changes, source_ip from audit_log where action = $1",
            )
            .bind(e.action)
            .fetch_all(t.db.reader())
            .await
            .unwrap();
            let found = rows.iter().any(|(actor, rtype, rid, changes, ip)| {
                *actor == e.actor
                    && rtype == e.resource_type
                    && (e.resource_id.is_none() || rid.as_deref() == e.resource_id.as_deref())
                    && e.field.is_none_or(|f| changes.contains(&format!("\"field\":\"{f}\"")))
                    && ip.as_deref() == e.ip
            });
            if !found {
                missing.push(format!(
                    "{} by {:?} on {} {:?} naming {:?}; have {rows:?}",
                    e.action, e.actor, e.resource_type, e.resource_id, e.field
                ));
            }
        }
        assert!(missing.is_empty(), "{:?}: entries missing or wrong:\n{}", t.engine, missing.join("\n"));
        let report = logs::verify_chain(&testkit::caller_at(&state, &signed_admin(&state).await, &meta())).await;
        assert_eq!(report.unwrap().broken, None, "{:?}", t.engine);
    }
}

async fn signed_admin(state: &AppState) -> Caller {
    let visitor = testkit::visitor(state, &meta());
    signed_in(state, auth::sign_in(&visitor, "admin@example.com", PASSWORD.into()).await.unwrap().token.expose()).await
}
