//! The expiry watch through the real binary: three server processes on one PostgreSQL, each
//! looking every second, send each secret's threshold once between them, and the Admin reads
//! the digest through the page's own server function.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

mod common;

use common::{Server, client, post_setup, secryn, session_cookie, temp_dir};
use serde_json::Value;
use std::time::{Duration, Instant};

const SECRETS: i64 = 20;

async fn rows(url: &str, sql: &str) -> i64 {
    let db = app::server::db::Db::connect(url).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(db.reader()).await.unwrap();
    db.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_nodes_on_one_postgres_send_each_threshold_once() {
    let pg = testkit::postgres().await;
    pg.db.close().await;
    let data = temp_dir();
    let node = |watch: &str| {
        let mut c = secryn(data.path());
        c.env("SECRYN_DATABASE_URL", &pg.url).env("SECRYN_EXPIRY_WATCH_SECONDS", watch);
        c
    };

    // An instance with twenty secrets (made by the demo's system account, which is told
    // nothing), all expiring in three days.
    let mut first = Server::start(node("86400"));
    let code = first.setup_code();
    let cookie = session_cookie(&post_setup(&first.base, &code).await).unwrap();
    let out = node("86400")
        .args(["demo-data", "--secrets", &SECRETS.to_string(), "--keys", "0", "--certificates", "0", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let soon = app::server::clock::now() + 3 * 86_400_000_000;
    let db = app::server::db::Db::connect(&pg.url).await.unwrap();
    sqlx::query("update secrets set expiration_at = $1").bind(soon).execute(db.write_pool()).await.unwrap();
    db.close().await;
    first.stop();

    // Three nodes, each looking every second.
    let nodes: Vec<Server> = (0..3).map(|_| Server::start(node("1"))).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rows(&pg.url, "select count(*) from expiry_notices where threshold_days = 7").await < SECRETS {
        assert!(Instant::now() < deadline, "the watch did not fire within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more rounds on every node, which must find nothing left to send.
    tokio::time::sleep(Duration::from_secs(3)).await;

    assert_eq!(rows(&pg.url, "select count(*) from audit_log where action = 'expiry.notify'").await, SECRETS);
    let inbox: Value = client()
        .post(format!("{}/rpc/notifications", nodes[1].base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = inbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["items"].as_array().unwrap())
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let listed = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!((listed, names.len()), (SECRETS as usize, SECRETS as usize), "each secret once: {inbox}");
    assert_eq!(inbox["unread"], inbox["notifications"].as_array().unwrap().len(), "{inbox}");
    assert_eq!(
        rows(
            &pg.url,
            "select count(*) from notifications n join users u on u.id = n.user_id where u.system_account = 1"
        )
        .await,
        0,
        "a system account is never told"
    );
    for n in nodes {
        n.stop();
    }
}
