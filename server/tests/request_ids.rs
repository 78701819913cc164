//! One id per request, seen everywhere it matters: the response header, the error body, the
//! server's log line (JSON logs) and the rows it wrote (request log, user log, audit log).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

mod common;

use common::{Server, client, post_setup, secryn, temp_dir};
use std::process::Stdio;

#[tokio::test]
async fn a_failed_request_shows_one_id_in_its_response_its_log_line_and_the_rows_it_wrote() {
    let dir = temp_dir();
    let log_path = dir.path().join("server.log");
    let mut cmd = secryn(dir.path());
    cmd.env("SECRYN_LOG", "debug,sqlx=warn,hyper=warn").env("SECRYN_LOG_FORMAT", "json");
    cmd.env("SECRYN_TRUSTED_PROXIES", "127.0.0.1");
    let mut server = Server::start_with_stderr(cmd, Stdio::from(std::fs::File::create(&log_path).unwrap()));
    let code = server.setup_code();
    let base = server.base.clone();
    let setup = post_setup(&base, &code).await;
    let setup_id = setup.headers()["x-request-id"].to_str().unwrap().to_owned();

    let vault = uuid::Uuid::new_v4();
    let res = client().get(format!("{base}/api/v1/vaults/{vault}")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());

    // A trusted proxy's id is kept; anyone else's is replaced.
    let res = client().get(format!("{base}/healthz")).header("x-request-id", "edge-42").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "edge-42");

    // Server functions carry it too.
    let res = client().post(format!("{base}/rpc/login")).form(&[("email", "a@example.com"), ("password", "x")]);
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 401);
    let rpc_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], rpc_id.as_str());
    server.stop();

    let db =
        app::server::db::Db::connect(&format!("sqlite://{}", dir.path().join("secryn.db").display())).await.unwrap();
    let logged: Option<String> = sqlx::query_scalar("select request_id from request_log where status = 401")
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!(logged.as_deref(), Some(id.as_str()), "the request-log record names the same request");
    let refused: Option<String> = sqlx::query_scalar("select request_id from user_log where event = 'sign_in_failed'")
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!(refused.as_deref(), Some(rpc_id.as_str()), "the failed sign-in's user-log line names its request");
    let audited: Vec<Option<String>> =
        sqlx::query_scalar("select request_id from audit_log").fetch_all(db.reader()).await.unwrap();
    assert!(!audited.is_empty() && audited.iter().all(|r| r.as_deref() == Some(setup_id.as_str())), "{audited:?}");
    let verify = secryn(dir.path()).args(["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stdout).starts_with("intact, "), "the id is inside the chain");

    let log = std::fs::read_to_string(&log_path).unwrap();
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["span"]["request_id"] == id.as_str() && l["fields"]["status"] == 401)
        .unwrap_or_else(|| panic!("no JSON log line for request {id} in:\n{log}"));
    assert_eq!(line["span"]["path"], format!("/api/v1/vaults/{vault}"));
    let rpc_line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["span"]["request_id"] == rpc_id.as_str() && l["fields"]["status"] == 401);
    assert!(rpc_line.is_some(), "no JSON log line for the failed sign-in {rpc_id}");
}
