//! Backups through the real binary: `secryn backup create` while the server runs, the
//! Backups page's dry run and restore (streamed multipart uploads), a restore killed halfway
//! with `kill -9` that leaves the old instance whole, and `secryn backup restore` — across
//! SQLite and PostgreSQL, each instance with its own master key.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

mod common;

use common::{PASSWORD, Server, client, post_setup, secryn, session_cookie, temp_dir};
use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

const BOUNDARY: &str = "secryn-test-boundary-7d1f";

/// A started, set-up instance: its data directory, extra settings and an Admin's cookie.
struct Instance {
    server: Server,
    env: Vec<(&'static str, String)>,
    data: tempfile::TempDir,
    cookie: String,
}

impl Instance {
    async fn start(env: Vec<(&'static str, String)>, demo: bool) -> (Instance, Option<Value>) {
        let data = temp_dir();
        let mut server = Server::start(Self::cmd_in(data.path(), &env));
        let code = server.setup_code();
        let demo = demo.then(|| {
            let out = Self::cmd_in(data.path(), &env).args(["demo-data", "--secrets", "3"]).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice(&out.stdout).unwrap()
        });
        let res = post_setup(&server.base, &code).await;
        let cookie = session_cookie(&res).expect("setup signs the Admin in");
        (Instance { server, env, data, cookie }, demo)
    }

    fn cmd_in(data: &Path, env: &[(&'static str, String)]) -> Command {
        let mut c = secryn(data);
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    fn cmd(&self) -> Command {
        Self::cmd_in(self.data.path(), &self.env)
    }

    /// Starts the server again on the same data (after a stop or a kill).
    fn restart(&mut self) {
        let cmd = self.cmd();
        let old = std::mem::replace(&mut self.server, Server::start(cmd));
        drop(old);
    }

    async fn upload(&self, rpc: &str, key: &str, file: &[u8]) -> reqwest::Response {
        client()
            .post(format!("{}/rpc/{rpc}", self.server.base))
            .header("cookie", &self.cookie)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(key, file))
            .send()
            .await
            .unwrap()
    }

    async fn read_secret(&self, demo: &Value) -> reqwest::StatusCode {
        let (vault, name) = (demo["vault_id"].as_str().unwrap(), demo["secret_names"][0].as_str().unwrap());
        client()
            .get(format!("{}/api/v1/vaults/{vault}/secrets/{name}", self.server.base))
            .bearer_auth(demo["access_key"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status()
    }

    fn audit_verify(&self) -> String {
        let out = self.cmd().args(["audit", "verify"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// The Backups page's form as the browser sends it: `key`, then `file`.
fn multipart(key: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n--{BOUNDARY}\r\n\
         content-disposition: form-data; name=\"file\"; filename=\"b.secryn-backup\"\r\n\
         content-type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn signs_in(base: &str) -> bool {
    let res = client()
        .post(format!("{base}/rpc/login"))
        .form(&[("email", "admin@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    session_cookie(&res).is_some()
}

async fn signed_in(base: &str, cookie: &str) -> bool {
    let res = client().get(format!("{base}/")).header("cookie", cookie).send().await.unwrap();
    res.status() == 200
}

/// `secryn backup create` beside the running server: the file and the key it printed once.
fn create(source: &Instance, out: &Path) -> String {
    let made = source.cmd().args(["backup", "create", "--out"]).arg(out).output().unwrap();
    let said = String::from_utf8_lossy(&made.stderr).to_string();
    assert!(made.status.success(), "{said}");
    assert!(String::from_utf8_lossy(&made.stdout).contains("3 secrets"), "{:?}", made.stdout);
    let key = said.lines().find(|l| l.starts_with("secryn_bk_")).expect("the key on stderr").to_owned();
    assert!(!String::from_utf8_lossy(&made.stdout).contains(&key), "the key goes to stderr only");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(out).unwrap().permissions().mode() & 0o777, 0o600);
    key
}

#[tokio::test]
async fn a_backup_made_beside_a_running_server_restores_through_the_page_after_a_killed_attempt() {
    let pg = testkit::postgres().await;
    pg.db.close().await;
    let (source, demo) = Instance::start(vec![], true).await;
    let demo = demo.unwrap();
    let dir = temp_dir();
    let file_path = dir.path().join("instance.secryn-backup");
    let key = create(&source, &file_path);
    let file = std::fs::read(&file_path).unwrap();

    // `verify`: the right key says what the file holds; a wrong one is refused.
    let verify = |k: &str| {
        source.cmd().env("SECRYN_BACKUP_KEY", k).args(["backup", "verify", "--in"]).arg(&file_path).output().unwrap()
    };
    let ok = verify(&key);
    assert!(ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("3 secrets"), "{ok:?}");
    let wrong = verify("secryn_bk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("key"), "{wrong:?}");

    // The target: PostgreSQL, its own master key, its own Admin and data.
    let (mut target, _) = Instance::start(vec![("SECRYN_DATABASE_URL", pg.url.clone())], false).await;
    assert_eq!(target.read_secret(&demo).await, 401, "the source's access key means nothing here yet");

    // The page's dry run: a wrong key is named beside its field; the right one gets the summary.
    let res = target.upload("backup_check", "secryn_bk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &file).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "key", "{body}");
    let res = target.upload("backup_check", &key, &file[..file.len() - 10]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "file");
    let res = target.upload("backup_check", &key, &file).await;
    assert_eq!(res.status(), 200);
    let summary: Value = res.json().await.unwrap();
    assert_eq!(summary["engine"], "SQLite", "{summary}");

    // A restore killed halfway: half the upload is in, the server dies with SIGKILL.
    let body = multipart(&key, &file);
    let addr = target.server.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /rpc/backup_restore HTTP/1.1\r\nhost: {addr}\r\ncookie: {}\r\ncontent-type: multipart/form-data; boundary={BOUNDARY}\r\ncontent-length: {}\r\n\r\n",
        target.cookie,
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream.flush().unwrap();
    // The restore's transaction is open, tables emptied and half refilled, when the kill comes.
    let watcher = app::server::db::Db::connect(&pg.url).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let open: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where datname = current_database() and state = 'idle in transaction'",
        )
        .fetch_one(watcher.reader())
        .await
        .unwrap();
        if open > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the restore never began");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    watcher.close().await;
    Command::new("kill").args(["-KILL", &target.server.child.id().to_string()]).status().unwrap();
    let _ = target.server.child.wait();
    drop(stream);
    target.restart();
    assert!(signed_in(&target.server.base, &target.cookie).await, "the old instance, its sessions too, is whole");
    assert_eq!(target.read_secret(&demo).await, 401);
    assert!(target.audit_verify().starts_with("intact"));

    // The restore through the page: every session ends; the source's people and machines work.
    let res = target.upload("backup_restore", &key, &file).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert!(!signed_in(&target.server.base, &target.cookie).await, "every session ended");
    assert!(signs_in(&target.server.base).await);
    assert_eq!(target.read_secret(&demo).await, 200);
    let chain = target.audit_verify();
    assert!(chain.starts_with("intact"), "{chain}");
}

#[tokio::test]
async fn the_command_line_restore_asks_first_and_replaces_the_instance_all_or_nothing() {
    let pg = testkit::postgres().await;
    pg.db.close().await;
    let (source, demo) = Instance::start(vec![("SECRYN_DATABASE_URL", pg.url.clone())], true).await;
    let demo = demo.unwrap();
    let dir = temp_dir();
    let file_path = dir.path().join("instance.secryn-backup");
    let key = create(&source, &file_path);
    let (mut target, _) = Instance::start(vec![], false).await;
    target.server.child.kill().unwrap();
    let _ = target.server.child.wait();

    let restore = |answer: &str, args: &[&str]| {
        let mut child = target
            .cmd()
            .env("SECRYN_BACKUP_KEY", &key)
            .args(["backup", "restore", "--in"])
            .arg(&file_path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let declined = restore("no\n", &[]);
    assert_eq!(declined.status.code(), Some(1), "{declined:?}");
    assert!(String::from_utf8_lossy(&declined.stderr).contains("not confirmed"));
    let confirmed = restore("restore\n", &[]);
    assert!(confirmed.status.success(), "{}", String::from_utf8_lossy(&confirmed.stderr));
    assert!(restore("", &["--yes"]).status.success(), "--yes restores without asking");

    target.restart();
    assert!(!signed_in(&target.server.base, &target.cookie).await, "every session ended");
    assert!(signs_in(&target.server.base).await);
    assert_eq!(target.read_secret(&demo).await, 200);
    assert!(target.audit_verify().starts_with("intact"));
}

/// The schedule as the Backups page posts it, then "Run now": the file and its sealed key
/// land in the directory, and `secryn backup verify/restore --identity` open them with the
/// Admin's age identity, which the server never saw.
#[tokio::test]
async fn a_scheduled_backup_run_from_the_page_opens_with_the_admins_age_identity() {
    use age::secrecy::ExposeSecret as _;
    let (mut instance, _) = Instance::start(vec![], false).await;
    let identity = age::x25519::Identity::generate();
    let dir = temp_dir();
    let identity_file = dir.path().join("admin.age-identity");
    std::fs::write(&identity_file, format!("# created: now\n{}\n", identity.to_string().expose_secret())).unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let post = |rpc: &str, form: Vec<(&str, String)>| {
        client()
            .post(format!("{}/rpc/{rpc}", instance.server.base))
            .header("cookie", &instance.cookie)
            .form(&form)
            .send()
    };
    let mut form = vec![
        ("enabled", "on".to_owned()),
        ("frequency", "weekly:6".to_owned()),
        ("time", "03:15".to_owned()),
        ("directory", backups.display().to_string()),
        ("keep_last", "3".to_owned()),
        ("max_age_days", String::new()),
        ("recipient", "age1notakey".to_owned()),
    ];
    let refused = post("backup_schedule_save", form.clone()).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(refused.json::<Value>().await.unwrap()["field"], "recipient");
    form.last_mut().unwrap().1 = identity.to_public().to_string();
    let saved = post("backup_schedule_save", form).await.unwrap();
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["schedule"]["frequency"], "Weekly", "{saved}");

    let run: Value = post("backup_schedule_run", vec![]).await.unwrap().json().await.unwrap();
    assert_eq!(run["ok"], true, "{run}");
    let file = backups.join(run["file"].as_str().unwrap());
    let opened = |instance: &Instance, command: &str| {
        let mut c = instance.cmd();
        c.args(["backup", command, "--in"]).arg(&file).arg("--identity").arg(&identity_file);
        if command == "restore" {
            c.arg("--yes");
        }
        c.output().unwrap()
    };
    let verified = opened(&instance, "verify");
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("1 user"), "{verified:?}");
    let stranger = dir.path().join("stranger");
    std::fs::write(&stranger, age::x25519::Identity::generate().to_string().expose_secret()).unwrap();
    let refused =
        instance.cmd().args(["backup", "verify", "--in"]).arg(&file).arg("--identity").arg(&stranger).output();
    let refused = refused.unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not open"), "{refused:?}");

    instance.server.child.kill().unwrap();
    let _ = instance.server.child.wait();
    let restored = opened(&instance, "restore");
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    instance.restart();
    assert!(signs_in(&instance.server.base).await);
}
