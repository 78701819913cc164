//! What the black-box tests share: starting the real `secryn` binary on a free port with its
//! own data directory, and an HTTP client that does not follow redirects.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The first Admin's password in these tests.
pub const PASSWORD: &str = "correct horse battery staple";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn secryn(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secryn"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("SECRYN_")) {
        c.env_remove(k);
    }
    c.env("SECRYN_DATA_DIR", data).env("SECRYN_LOG", "warn");
    c
}

/// A running server and the lines it printed.
pub struct Server {
    pub child: Child,
    pub base: String,
    lines: mpsc::Receiver<String>,
    pub printed: Vec<String>,
}

impl Server {
    pub fn start(cmd: Command) -> Server {
        Server::start_with_stderr(cmd, Stdio::inherit())
    }

    /// Starts with the server's log (stderr) sent to `stderr`, such as a file a test reads.
    pub fn start_with_stderr(mut cmd: Command, stderr: Stdio) -> Server {
        let port = free_port();
        let mut child = cmd
            .env("SECRYN_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start secryn");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut s = Server { child, base: format!("http://127.0.0.1:{port}"), lines: rx, printed: vec![] };
        s.wait_for("Secryn is running at");
        s
    }

    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        if let Some(l) = self.printed.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.printed.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("secryn exited with {status} before printing {needle:?}; printed {:?}", self.printed);
            }
        }
        panic!("secryn did not print {needle:?}; printed {:?}", self.printed);
    }

    /// Everything printed on stdout so far.
    pub fn drain(&mut self) -> Vec<String> {
        while let Ok(line) = self.lines.try_recv() {
            self.printed.push(line);
        }
        self.printed.clone()
    }

    pub fn setup_code(&mut self) -> String {
        self.wait_for("Setup code: ").split("Setup code: ").nth(1).unwrap().trim().to_owned()
    }

    /// Stops with SIGTERM and expects a clean exit.
    pub fn stop(mut self) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "graceful shutdown exits 0, got {status}");
                return;
            }
            assert!(Instant::now() < deadline, "secryn did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| {
            let c = c.strip_prefix("__Host-").unwrap_or(c);
            c.starts_with("secryn_session=") && !c.starts_with("secryn_session=;")
        })
        .map(|c| c.split(';').next().unwrap().to_owned())
}

pub async fn post_setup(base: &str, code: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/rpc/setup"))
        .form(&[
            ("code", code),
            ("instance_name", "Acme Ops"),
            ("admin_name", "First Admin"),
            ("admin_email", "admin@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}
