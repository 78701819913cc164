//! Black-box tests of the real `secryn` binary: configuration errors, first start, restart,
//! setup, sign-in, headers and bad input — on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

mod common;

use common::{PASSWORD, Server, client, post_setup, secryn, session_cookie, temp_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

async fn login(base: &str, email: &str, password: &str) -> reqwest::Response {
    client().post(format!("{base}/rpc/login")).form(&[("email", email), ("password", password)]).send().await.unwrap()
}

/// A server function answers JSON to a script and postcard to a request that asks for it
/// (Secryn's browser code), each labelled as what it is.
async fn answers_postcard_only_to_the_browser_code(base: &str, cookie: &str) {
    use app::domain::org::ProjectSummary;
    use leptos::server_fn::Decodes;
    let ask = |accept: Option<&str>| {
        let req = client().post(format!("{base}/rpc/projects_list")).header("cookie", cookie);
        let req = if let Some(a) = accept { req.header("accept", a) } else { req };
        req.form(&[("search", ""), ("show_archived", "false")]).send()
    };
    let plain = ask(None).await.unwrap();
    assert_eq!(plain.headers()["content-type"], "application/json");
    let listed: Vec<ProjectSummary> = plain.json().await.unwrap();
    let wire = ask(Some(app::wire::WIRE_TYPE)).await.unwrap();
    assert_eq!(wire.headers()["content-type"], app::wire::WIRE_TYPE);
    let projects: Vec<ProjectSummary> = app::wire::Wire::decode(wire.bytes().await.unwrap()).unwrap();
    assert_eq!(projects, listed, "the same answer either way");
}

/// The full first-run story on one engine: key file, setup code, setup, restart, sign-in.
async fn first_run_and_restart(data: &Path, extra_env: &[(&str, String)]) {
    let cmd = || {
        let mut c = secryn(data);
        for (k, v) in extra_env {
            c.env(k, v);
        }
        c
    };
    let mut server = Server::start(cmd());
    let key_file = data.join("master.key");
    assert!(server.printed.iter().any(|l| l.contains("Created a new master key")), "{:?}", server.printed);
    let key = std::fs::read_to_string(&key_file).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    let code = server.setup_code();
    let base = server.base.clone();

    // Before setup every page leads to /setup.
    let res = client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/setup");
    let wrong = post_setup(&base, "AAAA-AAAA-AAAA-AAAA").await;
    assert_eq!(wrong.status(), 422);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["field"], "code");
    let ok = post_setup(&base, &code).await;
    assert!(ok.status().is_success() || ok.status().is_redirection(), "{}", ok.status());
    assert!(session_cookie(&ok).is_some());
    assert_eq!(client().get(format!("{base}/setup")).send().await.unwrap().status(), 404);
    server.stop();

    // Second start: same key file, no new key, no setup code, data still there.
    let mut server = Server::start(cmd());
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "the master key is never regenerated");
    assert!(!server.printed.iter().any(|l| l.contains("Created a new master key") || l.contains("Setup code")));
    let base = server.base.clone();
    let res = login(&base, "admin@example.com", PASSWORD).await;
    let cookie = session_cookie(&res).expect("signed in after restart");
    let home = client().get(format!("{base}/")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("Acme Ops") && html.contains("First Admin"), "the instance and its Admin survived a restart");
    answers_postcard_only_to_the_browser_code(&base, &cookie).await;
    let _ = server.wait_for("Secryn is running");
    server.stop();
}

#[tokio::test]
async fn first_start_restart_and_setup_on_sqlite() {
    let dir = temp_dir();
    first_run_and_restart(dir.path(), &[]).await;
    assert!(dir.path().join("secryn.db").exists());
}

#[tokio::test]
async fn first_start_restart_and_setup_on_postgres() {
    let t = testkit::postgres().await;
    t.db.close().await;
    let dir = temp_dir();
    first_run_and_restart(dir.path(), &[("SECRYN_DATABASE_URL", t.url.clone())]).await;
    assert!(!dir.path().join("secryn.db").exists(), "PostgreSQL was used, not SQLite");
}

#[test]
fn wrong_settings_stop_startup_with_one_line() {
    let dir = temp_dir();
    let cases: &[(&str, &str, &str)] = &[
        ("SECRYN_LISTEN", "not-an-address", "SECRYN_LISTEN"),
        ("SECRYN_DATABASE_URL", "mysql://x", "SECRYN_DATABASE_URL"),
        ("SECRYN_MASTER_KEY", "too-short", "SECRYN_MASTER_KEY"),
        ("SECRYN_SESSION_IDLE_MINUTES", "-5", "SECRYN_SESSION_IDLE_MINUTES"),
        ("SECRYN_PUBLIC_URL", "vault.example.com", "SECRYN_PUBLIC_URL"),
        ("SECRYN_MASTER_KEY_FILE", "/nonexistent/key", "SECRYN_MASTER_KEY_FILE"),
    ];
    for (var, value, named) in cases {
        let out = secryn(dir.path())
            .env(var, value)
            .env("SECRYN_LISTEN", if *var == "SECRYN_LISTEN" { value } else { "127.0.0.1:0" })
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}={value} must stop start-up");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("secryn:")).collect();
        assert_eq!(lines.len(), 1, "{var}: {err}");
        assert!(lines[0].contains(named), "{var}: {err}");
        assert!(!err.contains("too-short"), "a key value is never echoed");
    }
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_secryn")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "SECRYN_DATA_DIR",
        "SECRYN_DATABASE_URL",
        "SECRYN_LISTEN",
        "SECRYN_PUBLIC_URL",
        "SECRYN_MASTER_KEY",
        "SECRYN_MASTER_KEY_FILE",
        "SECRYN_SESSION_IDLE_MINUTES",
        "SECRYN_SESSION_ABSOLUTE_HOURS",
        "SECRYN_LOG",
        "SECRYN_LOG_FORMAT",
        "SECRYN_TRUSTED_PROXIES",
        "SECRYN_REQUEST_LOG_RETENTION_DAYS",
        "SECRYN_CONFIG",
        "setup-code",
        "audit",
    ] {
        assert!(help.contains(var), "--help lacks {var}");
    }
}

#[tokio::test]
async fn a_missing_or_wrong_master_key_never_opens_existing_data() {
    let dir = temp_dir();
    let server = Server::start(secryn(dir.path()));
    server.stop();
    let key_file: PathBuf = dir.path().join("master.key");
    let saved = std::fs::read_to_string(&key_file).unwrap();

    std::fs::remove_file(&key_file).unwrap();
    let out = secryn(dir.path()).env("SECRYN_LISTEN", "127.0.0.1:0").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds data"));
    assert!(!key_file.exists(), "no new key is made for existing data");

    let other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let out = secryn(dir.path()).env("SECRYN_MASTER_KEY", other).env("SECRYN_LISTEN", "127.0.0.1:0").output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("does not match") && said.contains("it needs master key "), "{said}");

    std::fs::write(&key_file, saved).unwrap();
    let out = secryn(dir.path()).arg("setup-code").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Setup code: "));
}

#[tokio::test]
async fn pages_carry_security_headers_and_health_endpoints_answer() {
    let dir = temp_dir();
    let mut server = Server::start(secryn(dir.path()));
    let base = server.base.clone();
    let res = client().get(format!("{base}/setup")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'nonce-") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");

    let health = client().get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let ready = client().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["database"], "ok");
    let missing = client().get(format!("{base}/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 303, "not set up yet: every page leads to setup");
    let _ = server.setup_code();
    server.stop();
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let dir = temp_dir();
    let mut server = Server::start(secryn(dir.path()));
    let code = server.setup_code();
    let base = server.base.clone();
    let c = client();
    let url = format!("{base}/rpc/setup");

    let non_utf8 = c
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x3d])
        .send()
        .await
        .unwrap();
    assert!(non_utf8.status().is_client_error(), "{}", non_utf8.status());
    let wrong_type = c.post(&url).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert!(wrong_type.status().is_client_error(), "{}", wrong_type.status());
    // An oversized body is answered 413; the server may close the connection before reading
    // all of it, so this uses a client of its own.
    let huge = client()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await;
    if let Ok(res) = huge {
        assert_eq!(res.status(), 413);
    }
    let long_name = "n".repeat(5000);
    let overlong = c
        .post(&url)
        .form(&[
            ("code", code.as_str()),
            ("instance_name", long_name.as_str()),
            ("admin_name", "A"),
            ("admin_email", "a@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(overlong.status(), 422);
    let body: serde_json::Value = overlong.json().await.unwrap();
    assert_eq!(body["field"], "instance_name");
    let cross = c.post(&url).header("origin", "https://evil.example").form(&[("code", "x")]).send().await.unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(cross.json::<serde_json::Value>().await.unwrap()["error"], "forbidden");

    // Nothing above changed anything: the same code still sets the instance up.
    let ok = post_setup(&base, &code).await;
    assert!(session_cookie(&ok).is_some(), "setup still possible after bad input");
    let bad_login = login(&base, "admin@example.com", "nope").await;
    assert_eq!(bad_login.status(), 401);
    let body: serde_json::Value = bad_login.json().await.unwrap();
    assert_eq!(body["message"], "The e-mail address or password is not correct.");
    let good = login(&base, "admin@example.com", PASSWORD).await;
    let cookie = session_cookie(&good).unwrap();
    assert!(good.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    assert!(good.headers()["set-cookie"].to_str().unwrap().contains("SameSite=Strict"));
    let profile = c.get(format!("{base}/profile")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    let anon = c.get(format!("{base}/profile")).send().await.unwrap();
    assert_eq!(anon.headers()["location"], "/login?next=/profile");
    server.stop();
}

/// A browser without JavaScript posts forms as they are (`Accept: text/html`): it is sent on
/// with a 303 — back to its page with the error in the query, or where success leads.
#[tokio::test]
async fn plain_form_posts_are_answered_with_a_redirect_back_or_on() {
    let dir = temp_dir();
    let mut server = Server::start(secryn(dir.path()));
    let base = server.base.clone();
    let code = server.setup_code();
    assert_eq!(post_setup(&base, &code).await.status(), 200);
    let post = |email: &'static str, password: &'static str| {
        client()
            .post(format!("{base}/rpc/login"))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", format!("{base}/login?next=%2Fprojects"))
            .form(&[("email", email), ("password", password), ("next", "/projects")])
            .send()
    };
    let refused = post("admin@example.com", "not the password at all").await.unwrap();
    assert_eq!(refused.status(), 303);
    let back = refused.headers()["location"].to_str().unwrap();
    assert!(back.starts_with(&format!("{base}/login?next=%2Fprojects&")) && back.contains("__err="), "{back}");
    assert!(session_cookie(&refused).is_none());
    let page = client().get(back).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("role=\"alert\""), "the refusal is on the page the browser is sent back to");

    let signed_in = post("admin@example.com", common::PASSWORD).await.unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/projects");
    assert!(session_cookie(&signed_in).is_some());
    server.stop();
}

#[tokio::test]
async fn audit_verify_reports_an_intact_chain_then_names_a_rewritten_entry() {
    let dir = temp_dir();
    let mut server = Server::start(secryn(dir.path()));
    let code = server.setup_code();
    let status = post_setup(&server.base, &code).await.status();
    assert!(status.is_success(), "{status}");
    server.stop();

    let verify = || secryn(dir.path()).args(["audit", "verify"]).output().unwrap();
    let out = verify();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "intact, 2 entries", "setup and the first Admin");

    // Someone with the database file but not the master key rewrites who set the instance up.
    let db =
        app::server::db::Db::connect(&format!("sqlite://{}", dir.path().join("secryn.db").display())).await.unwrap();
    let id: String = sqlx::query_scalar("select id from audit_log where seq = 1").fetch_one(db.reader()).await.unwrap();
    sqlx::query("drop trigger audit_log_no_update").execute(db.reader()).await.unwrap();
    sqlx::query("update audit_log set source_ip = '198.51.100.1' where seq = 1").execute(db.reader()).await.unwrap();
    db.close().await;

    let out = verify();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("entry 1") && said.contains(&id) && said.contains("altered"), "{said}");
    assert!(out.stdout.is_empty());
}
