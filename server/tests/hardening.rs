//! The real binary under what a stranger can send: sign-in that survives a flood of requests
//! whose clients hang up, redirects that stay on the instance and never panic, client
//! addresses behind a trusted proxy only, the `__Host-` cookie over https, and private files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

mod common;

use common::{PASSWORD, Server, client, post_setup, secryn, session_cookie, temp_dir};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn with(mut cmd: std::process::Command, key: &str, value: &str) -> std::process::Command {
    cmd.env(key, value);
    cmd
}

async fn login(base: &str, email: &str, password: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = client().post(format!("{base}/rpc/login")).form(&[("email", email), ("password", password)]);
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap()
}

/// About 450 sign-ins whose clients hang up after a few milliseconds used to leave every later
/// sign-in answered "busy" until restart. Now the queue gives every place back.
#[tokio::test]
async fn a_flood_of_hung_up_sign_ins_leaves_sign_in_working() {
    let dir = temp_dir();
    // One address sends all of them; this is about the hashing queue, not the per-address bounds.
    let cmd = with(with(secryn(dir.path()), "SECRYN_SIGNIN_IP_LIMIT", "0"), "SECRYN_ANONYMOUS_PER_MINUTE", "0");
    let mut server = Server::start(cmd);
    let code = server.setup_code();
    let base = server.base.clone();
    assert!(session_cookie(&post_setup(&base, &code).await).is_some());
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(40)).build().unwrap();
    let mut tasks = Vec::new();
    for i in 0..450 {
        let (quick, base) = (quick.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let email = format!("guess{i}@example.com");
            let _ = quick
                .post(format!("{base}/rpc/login"))
                .form(&[("email", email.as_str()), ("password", "x")])
                .send()
                .await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let res = login(&base, "admin@example.com", PASSWORD, None).await;
        if session_cookie(&res).is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "sign-in still refused after the flood: {}", res.status());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server.stop();
}

#[tokio::test]
async fn the_next_path_after_sign_in_stays_on_this_instance_and_never_panics() {
    let dir = temp_dir();
    let mut server = Server::start(secryn(dir.path()));
    let code = server.setup_code();
    let base = server.base.clone();
    post_setup(&base, &code).await;
    for (next, expected) in
        [("/%09/evil.example", "/"), ("/%0d", "/"), ("//evil.example", "/"), ("/profile", "/profile")]
    {
        let body = format!("email=admin%40example.com&password={}&next={next}", PASSWORD.replace(' ', "+"));
        let res = client()
            .post(format!("{base}/rpc/login"))
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("next={next}: no answer ({e}); the server must not panic"));
        assert!(res.status().is_redirection(), "next={next}: {}", res.status());
        assert_eq!(res.headers()["location"], expected, "next={next}");
    }
    assert_eq!(client().get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    server.stop();
}

/// Behind a trusted proxy each client is itself: a lock holds back only the address that
/// earned it. From anyone else, `X-Forwarded-For` is ignored.
/// Calls without a credential past the address's rate are answered 429 with the error body,
/// through the REST door and the sign-in form alike, and stop adding request-log rows; the
/// counts land in one summary row.
#[tokio::test]
async fn a_stranger_past_the_rate_gets_429_and_stops_adding_rows() {
    let dir = temp_dir();
    let cmd =
        with(with(secryn(dir.path()), "SECRYN_ANONYMOUS_PER_MINUTE", "2"), "SECRYN_TRUSTED_PROXIES", "127.0.0.1/32");
    let mut server = Server::start(cmd);
    let code = server.setup_code();
    let base = server.base.clone();
    post_setup(&base, &code).await;
    let url = format!("{base}/api/v1/vaults/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = client().get(&url).header("authorization", "Bearer wrong").send().await.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"], "rate_limited", "{body}");
            assert!(body["message"].as_str().unwrap().contains("Try again"), "{body}");
        }
    }
    assert_eq!(statuses, [401, 401, 429, 429, 429]);
    let mut signins = Vec::new();
    for _ in 0..4 {
        signins.push(login(&base, "admin@example.com", "wrong", Some("203.0.113.77")).await.status().as_u16());
    }
    assert_eq!(signins, [401, 401, 429, 429]);
    let owner = login(&base, "admin@example.com", PASSWORD, Some("198.51.100.20")).await;
    assert!(session_cookie(&owner).is_some(), "another address signs in");
    server.stop();

    let db =
        app::server::db::Db::connect(&format!("sqlite://{}", dir.path().join("secryn.db").display())).await.unwrap();
    let logged: i64 = sqlx::query_scalar("select count(*) from request_log").fetch_one(db.reader()).await.unwrap();
    let counted: i64 = sqlx::query_scalar("select coalesce(sum(refused), 0) from refused_calls where door = 'api'")
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!((logged, counted), (2, 3), "two rows, then three calls counted (written at the graceful stop)");
}

#[tokio::test]
async fn only_a_trusted_proxy_names_the_client() {
    let dir = temp_dir();
    let mut server = Server::start(with(secryn(dir.path()), "SECRYN_TRUSTED_PROXIES", "127.0.0.1/32"));
    let code = server.setup_code();
    let base = server.base.clone();
    post_setup(&base, &code).await;
    for _ in 0..5 {
        let res = login(&base, "admin@example.com", "wrong", Some("6.6.6.6, 203.0.113.5")).await;
        assert_eq!(res.status(), 401);
    }
    let held = login(&base, "admin@example.com", PASSWORD, Some("203.0.113.5")).await;
    assert_eq!(held.status(), 429, "the address that guessed is held back");
    let owner = login(&base, "admin@example.com", PASSWORD, Some("198.51.100.20")).await;
    assert!(session_cookie(&owner).is_some(), "another client behind the same proxy signs in");
    let spoofed = login(&base, "admin@example.com", PASSWORD, Some("203.0.113.5, 198.51.100.21")).await;
    assert!(session_cookie(&spoofed).is_some(), "only the address the proxy appended counts");
    server.stop();

    // The same instance without trusted proxies: the header is the client's word and ignored.
    let server = Server::start(secryn(dir.path()));
    let base = server.base.clone();
    for i in 0..5 {
        login(&base, "admin@example.com", "wrong", Some(&format!("198.51.100.{i}"))).await;
    }
    let res = login(&base, "admin@example.com", PASSWORD, Some("198.51.100.99")).await;
    assert_eq!(res.status(), 429, "every request came from 127.0.0.1, whatever the header said");
    server.stop();
}

#[tokio::test]
async fn over_https_the_session_cookie_is_host_prefixed_and_files_are_private() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let mut server = Server::start(with(secryn(&data), "SECRYN_PUBLIC_URL", "https://secryn.example"));
    let code = server.setup_code();
    let base = server.base.clone();
    let res = post_setup(&base, &code).await;
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-secryn_session="), "{set_cookie}");
    assert!(set_cookie.contains("; Secure") && set_cookie.contains("Path=/") && !set_cookie.contains("Domain"));
    let cookie = session_cookie(&res).unwrap();
    let home = client().get(format!("{base}/profile")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(home.status(), 200, "the prefixed cookie is the session");
    let planted = cookie.replace("__Host-", "");
    let anon = client().get(format!("{base}/profile")).header("cookie", &planted).send().await.unwrap();
    assert!(anon.status().is_redirection(), "a cookie without the prefix is not a session over https");

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory is private");
    for file in ["secryn.db", "secryn.db-wal", "secryn.db-shm", "master.key"] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file} is private");
        }
    }
    assert!(data.join("secryn.db").exists());
    server.stop();
}
