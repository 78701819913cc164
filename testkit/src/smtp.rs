//! A real SMTP server on loopback for tests: the `aiosmtpd` Python package (installed by
//! `scripts/ensure-tools.sh test`) storing every message it accepts in a Maildir. Tests
//! read what arrived exactly as a mail client would.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running sink; stopped when dropped.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

/// A port nobody listens on now (for a server that refuses connections).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpSink {
    /// Starts the sink and waits until it answers. Fails loudly when Python or aiosmtpd is
    /// missing: a test that could not reach a real SMTP server must not pass.
    pub fn start() -> SmtpSink {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("secryn-smtp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.join("Maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 must be installed with aiosmtpd (scripts/ensure-tools.sh test)");
        let sink = SmtpSink { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the aiosmtpd sink did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    /// Every message received so far, raw (headers and body), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.join("Maildir").join("new"))
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
    }

    /// Waits (up to 20 s) until at least `n` messages have arrived, and returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The text of a message's body (after the blank line), with quoted-printable soft breaks
/// undone, so a test can search it for a link.
pub fn body(message: &str) -> String {
    let body = message.split_once("\n\n").or_else(|| message.split_once("\r\n\r\n")).map_or("", |(_, b)| b);
    body.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// A header's value (first occurrence), if present.
pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// SMTP settings that send to `port` on loopback without TLS (the sink speaks plain SMTP),
/// with a user name and password, so the stored settings hold a sealed value.
pub fn settings(port: u16) -> app::domain::mail::SmtpInput {
    app::domain::mail::SmtpInput {
        host: "127.0.0.1".into(),
        port: port.to_string(),
        security: "none".into(),
        username: "secryn".into(),
        password: String::from("smtp-password").into(),
        from: "secryn@example.com".into(),
        ..Default::default()
    }
}
