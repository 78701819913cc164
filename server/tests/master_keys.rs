//! Master-key rotation through the real binary, on SQLite and PostgreSQL: two server processes
//! run with the new key plus the old one while `secryn master-key rotate` moves every wrapped
//! key and machines keep reading; afterwards the old key can go. A node without a key still in
//! use names its id, at start-up and in `/readyz`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

mod common;

use app::server::crypto::MasterKey;
use common::{Server, client, post_setup, secryn, session_cookie, temp_dir};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A master key as the setting holds it, and its id.
struct Key {
    text: String,
    id: String,
}

fn key() -> Key {
    let k = MasterKey::generate();
    Key { text: k.to_base64().to_string(), id: k.id() }
}

/// The settings of a node holding `current` and the `previous` keys, on `db` (`None`: SQLite
/// in the data directory).
fn node(data: &Path, db: Option<&str>, current: &Key, previous: &[&Key]) -> Command {
    let mut c = secryn(data);
    c.env("SECRYN_MASTER_KEY", &current.text);
    if !previous.is_empty() {
        let texts: Vec<&str> = previous.iter().map(|k| k.text.as_str()).collect();
        c.env("SECRYN_PREVIOUS_MASTER_KEYS", texts.join(","));
    }
    if let Some(url) = db {
        c.env("SECRYN_DATABASE_URL", url);
    }
    c
}

/// A new demo project with its own vault (so its own vault key, wrapped by `cmd`'s key).
fn demo(mut cmd: Command) -> Value {
    let out =
        cmd.args(["demo-data", "--secrets", "2", "--keys", "0", "--certificates", "0", "--force"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn read(base: &str, demo: &Value) -> u16 {
    let (vault, name) = (demo["vault_id"].as_str().unwrap(), demo["secret_names"][0].as_str().unwrap());
    client()
        .get(format!("{base}/api/v1/vaults/{vault}/secrets/{name}"))
        .bearer_auth(demo["access_key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn ready(base: &str) -> (u16, Value) {
    let res = client().get(format!("{base}/readyz")).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A node that must refuse to start: what it said, once it has exited.
fn refused(mut cmd: Command) -> String {
    let mut child =
        cmd.env("SECRYN_LISTEN", "127.0.0.1:0").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a node without the master key in use started anyway");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Output { status, stderr, .. } = child.wait_with_output().unwrap();
    assert!(!status.success());
    String::from_utf8_lossy(&stderr).into_owned()
}

async fn rotation_on(db: Option<&str>) {
    let (old, new, other) = (key(), key(), key());
    let data = temp_dir();
    let at = |current: &Key, previous: &[&Key]| node(data.path(), db, current, previous);

    // An instance under the old key, with two vaults.
    let mut first = Server::start(at(&old, &[]));
    let code = first.setup_code();
    assert!(session_cookie(&post_setup(&first.base, &code).await).is_some());
    let vaults = [demo(at(&old, &[])), demo(at(&old, &[]))];
    first.stop();

    // Before the rotation, a node with the new key alone names the old key's id and stops.
    let said = refused(at(&new, &[]));
    assert!(said.contains("does not match") && said.contains(&format!("needs master key {}", old.id)), "{said}");

    // Two nodes with new + old; a vault made now is wrapped by the new key from the start.
    let a = Server::start(at(&new, &[&old]));
    let b = Server::start(at(&new, &[&old]));
    let fresh = demo(at(&new, &[&old]));
    for base in [&a.base, &b.base] {
        assert_eq!(ready(base).await.0, 200);
        for v in vaults.iter().chain([&fresh]) {
            assert_eq!(read(base, v).await, 200);
        }
    }

    // Machines keep reading through both nodes while the rotation runs.
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = [a.base.clone(), b.base.clone()]
        .into_iter()
        .map(|base| {
            let (stop, vaults) = (stop.clone(), vaults.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    for v in &vaults {
                        statuses.push(read(&base, v).await);
                    }
                }
                statuses
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut rotate = at(&new, &[&old]);
    let out =
        tokio::task::spawn_blocking(move || rotate.args(["master-key", "rotate"]).output().unwrap()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    // Three vault keys and the audit chain key, all now under the new key.
    assert!(said.contains(&format!("Now: 4 under {}.", new.id)), "{said}");
    assert!(!said.contains(&old.id), "nothing left under the old key: {said}");
    for reader in readers {
        let statuses = reader.await.unwrap();
        assert!(!statuses.is_empty());
        assert!(statuses.iter().all(|s| *s == 200), "every read during the rotation succeeded: {statuses:?}");
    }
    a.stop();
    b.stop();

    // The old key removed: the node starts, reads every vault, and the chain verifies.
    let only_new = Server::start(at(&new, &[]));
    assert_eq!(ready(&only_new.base).await.0, 200);
    for v in vaults.iter().chain([&fresh]) {
        assert_eq!(read(&only_new.base, v).await, 200);
    }
    let verify = at(&new, &[]).args(["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    let log = db_rows(db, data.path(), "select count(*) from audit_log where action = 'master_key.rotate'").await;
    assert_eq!(log, 1, "the rotation is on the record");

    // Another node wraps a new vault under a key this one lacks: it says so in `/readyz`.
    demo(at(&other, &[&new]));
    let (status, body) = ready(&only_new.base).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["missing_master_key_ids"], serde_json::json!([other.id]), "{body}");
    only_new.stop();
}

/// One number from the instance's database.
async fn db_rows(db: Option<&str>, data: &Path, sql: &str) -> i64 {
    let url = db.map_or_else(|| format!("sqlite://{}", data.join("secryn.db").display()), str::to_owned);
    let conn = app::server::db::Db::connect(&url).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(conn.reader()).await.unwrap();
    conn.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_keep_serving_while_the_master_key_rotates_and_the_old_key_can_then_go() {
    rotation_on(None).await;
    let pg = testkit::postgres().await;
    pg.db.close().await;
    rotation_on(Some(&pg.url)).await;
}
