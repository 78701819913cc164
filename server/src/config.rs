//! Configuration: command-line flags, `SECRYN_*` environment variables and an optional TOML
//! file, in that order of precedence. Every value is checked here; a wrong one stops start-up
//! with one line naming the setting.

use app::server::client_ip::TrustedProxies;
use app::server::crypto::SecretText;
use app::server::state::{
    DEFAULT_REQUEST_LOG_RETENTION_DAYS, DEFAULT_SESSION_ABSOLUTE_HOURS, DEFAULT_SESSION_IDLE_MINUTES,
    DEFAULT_SIGNIN_IP_LIMIT,
};
use clap::{Args, Parser, Subcommand};

/// Default seconds an MCP session may stay idle (`SECRYN_MCP_IDLE_SECONDS`).
pub const DEFAULT_MCP_IDLE_SECONDS: i64 = 900;
/// Default seconds between two runs of the expiry watch (`SECRYN_EXPIRY_WATCH_SECONDS`).
pub const DEFAULT_EXPIRY_WATCH_SECONDS: i64 = 60;
/// Default seconds between two looks for e-mail to send (`SECRYN_MAIL_SECONDS`).
pub const DEFAULT_MAIL_SECONDS: i64 = 10;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Secryn: a self-hosted manager for secrets, cryptographic keys and certificates.
#[derive(Debug, Parser)]
#[command(name = "secryn", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub settings: RawSettings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Print a fresh one-time setup code for an instance that is not set up yet.
    SetupCode,
    /// Create a demo project, a vault with secrets, keys, certificates and an access key (works
    /// while the server runs); prints one JSON object with the ids, the key and the names.
    DemoData {
        /// How many secrets the demo vault gets.
        #[arg(long, default_value_t = 10)]
        secrets: usize,
        /// How many keys (Ed25519) the demo vault gets.
        #[arg(long, default_value_t = 0)]
        keys: usize,
        /// How many self-signed certificates (P-256) the demo vault gets.
        #[arg(long, default_value_t = 0)]
        certificates: usize,
        /// Add demo data even though the instance has real users.
        #[arg(long)]
        force: bool,
    },
    /// Work with the audit log.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Work with master keys (see "Rotating the master key" in the README).
    MasterKey {
        #[command(subcommand)]
        action: MasterKeyCommand,
    },
    /// Make, check or restore a backup of the whole instance (see docs/backup-format.md).
    Backup {
        #[command(subcommand)]
        action: BackupCommand,
    },
    /// Serve MCP on stdin/stdout for agents that only speak stdio, forwarding every tool call to
    /// a Secryn instance's REST API. Credentials come from `SECRYN_VAULT_ID` and
    /// `SECRYN_ACCESS_KEY`, or with each call.
    McpStdio {
        /// The instance's API, like https://secryn.example.com/api (`/api` is added when missing).
        #[arg(long, env = "SECRYN_BASE_URL")]
        base_url: String,
    },
}

/// What to do with the audit log.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain with the master key; print "intact, N entries" and exit 0, or
    /// name the first broken entry and exit 1. Read-only: it writes nothing.
    Verify,
}

/// What to do with master keys.
#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Re-wrap every vault key and the audit chain key under the current master key
    /// (`SECRYN_MASTER_KEY[_FILE]`), opening them with the previous keys
    /// (`SECRYN_PREVIOUS_MASTER_KEYS[_FILE]`). Online, in small batches, while servers run;
    /// prints how many remain under each key. Safe to run again.
    Rotate,
}

/// What to do with backups. The key of `verify` and `restore` comes from `SECRYN_BACKUP_KEY`,
/// or from a prompt on the terminal (never a flag: flags show in the process list).
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a backup of the whole instance to FILE (also while the server runs). Its one-time
    /// key is printed once, on stderr: keep it apart from the file; Secryn does not keep it.
    Create {
        #[arg(long = "out", value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Check FILE with its key (intact, whole, a version this Secryn reads) and say what it
    /// holds. Changes nothing.
    Verify {
        #[arg(long = "in", value_name = "FILE")]
        file: std::path::PathBuf,
        /// For a scheduled backup: an age identity file (age-keygen's output) that opens the
        /// key saved beside it as FILE.key.age, instead of SECRYN_BACKUP_KEY or a prompt.
        #[arg(long, value_name = "IDENTITY")]
        identity: Option<std::path::PathBuf>,
    },
    /// Replace the whole instance with the backup in FILE, all or nothing; every session ends.
    /// Asks to confirm unless `--yes`.
    Restore {
        #[arg(long = "in", value_name = "FILE")]
        file: std::path::PathBuf,
        /// Confirm without a prompt (for scripts).
        #[arg(long)]
        yes: bool,
        /// As for `verify`: the age identity that opens FILE.key.age.
        #[arg(long, value_name = "IDENTITY")]
        identity: Option<std::path::PathBuf>,
    },
}

/// Settings as given (flags and environment); the TOML file fills what is left.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// TOML file with any of the settings below (keys as the long flag names with `_`).
    #[arg(long, env = "SECRYN_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and the generated master key file [default: ./data]
    #[arg(long, env = "SECRYN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB` [default: sqlite in the data directory]
    #[arg(long, env = "SECRYN_DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Address and port to listen on [default: 127.0.0.1:3000]
    #[arg(long, env = "SECRYN_LISTEN", global = true)]
    pub listen: Option<String>,
    /// The URL people use to reach Secryn; `https://…` turns on Secure cookies and HSTS
    #[arg(long, env = "SECRYN_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// The master key as base64 of 32 bytes (prefer the key file)
    #[arg(long, env = "SECRYN_MASTER_KEY", hide_env_values = true, global = true)]
    pub master_key: Option<String>,
    /// File holding the base64 master key [default: DATA_DIR/master.key, created on first start]
    #[arg(long, env = "SECRYN_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
    /// Earlier master keys (base64, comma-separated) that still open what they wrapped until
    /// `secryn master-key rotate` has moved it to the current key
    #[arg(long, env = "SECRYN_PREVIOUS_MASTER_KEYS", hide_env_values = true, global = true)]
    pub previous_master_keys: Option<String>,
    /// File holding earlier master keys, one base64 key per line (instead of the above)
    #[arg(long, env = "SECRYN_PREVIOUS_MASTER_KEYS_FILE", global = true)]
    pub previous_master_keys_file: Option<PathBuf>,
    /// Minutes without activity after which a session ends [default: 60]
    #[arg(long, env = "SECRYN_SESSION_IDLE_MINUTES", global = true)]
    pub session_idle_minutes: Option<String>,
    /// Hours after sign-in after which a session ends regardless [default: 12]
    #[arg(long, env = "SECRYN_SESSION_ABSOLUTE_HOURS", global = true)]
    pub session_absolute_hours: Option<String>,
    /// Failed sign-ins from one IP address within 15 minutes before it is refused for 15
    /// minutes; 0 turns the per-address limit off (per-account lockout stays) [default: 50]
    #[arg(long, env = "SECRYN_SIGNIN_IP_LIMIT", global = true)]
    pub signin_ip_limit: Option<String>,
    /// Calls without a credential (refused API calls, failed sign-ins) one address may make per
    /// minute with a log row each; past it they are answered 429 and only counted; 0 turns
    /// the bound off [default: 60]
    #[arg(long, env = "SECRYN_ANONYMOUS_PER_MINUTE", global = true)]
    pub anonymous_per_minute: Option<String>,
    /// Days the request and MCP logs keep their rows; older ones are pruned hourly [default: 90]
    #[arg(long, env = "SECRYN_REQUEST_LOG_RETENTION_DAYS", global = true)]
    pub request_log_retention_days: Option<String>,
    /// Seconds an MCP session may stay idle before it ends [default: 900]
    #[arg(long, env = "SECRYN_MCP_IDLE_SECONDS", global = true)]
    pub mcp_idle_seconds: Option<String>,
    /// Seconds between two looks for secrets, keys and certificates nearing expiry [default: 60]
    #[arg(long, env = "SECRYN_EXPIRY_WATCH_SECONDS", global = true)]
    pub expiry_watch_seconds: Option<String>,
    /// Seconds between two looks for queued e-mail to send [default: 10]
    #[arg(long, env = "SECRYN_MAIL_SECONDS", global = true)]
    pub mail_seconds: Option<String>,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose Forwarded /
    /// X-Forwarded-For headers name the client; from any other peer they are ignored [default: none]
    #[arg(long, env = "SECRYN_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Log filter: error, warn, info, debug or trace, optionally per module [default: info]
    #[arg(long, env = "SECRYN_LOG", global = true)]
    pub log: Option<String>,
    /// Log lines as `text` (for people) or `json` (one object per line, for log collectors)
    /// [default: text]
    #[arg(long, env = "SECRYN_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Directory with the built web assets (pkg/, favicon) [default: target/site]
    #[arg(long, env = "SECRYN_SITE_ROOT", global = true)]
    pub site_root: Option<PathBuf>,
}

/// Where the master key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MasterKeySource {
    /// Given directly (environment or flag); the text is kept only until it is parsed.
    Inline,
    /// A file named by the operator: it must exist.
    File(PathBuf),
    /// The default file in the data directory: created on first start.
    DefaultFile(PathBuf),
}

/// Where earlier master keys come from (see `MasterKeys`).
#[derive(Clone, Default)]
pub enum PreviousKeys {
    #[default]
    None,
    Inline(SecretText),
    File(PathBuf),
}

impl std::fmt::Debug for PreviousKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PreviousKeys::None => f.write_str("None"),
            PreviousKeys::Inline(_) => f.write_str("Inline([redacted])"),
            PreviousKeys::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

/// Checked configuration.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// May hold a password: prints redacted, wiped when dropped.
    pub database_url: SecretText,
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub master_key_source: MasterKeySource,
    /// Taken out (and wiped) as soon as the key is read; see `startup::master_key`.
    pub master_key_inline: Option<SecretText>,
    /// Earlier master keys: inline text (taken out and wiped once read) or a file.
    pub previous_master_keys: PreviousKeys,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub signin_ip_limit: i64,
    pub request_log_retention_days: i64,
    pub anonymous_per_minute: i64,
    /// An MCP session ends after this many seconds without a message.
    pub mcp_idle_seconds: i64,
    /// The expiry watch runs this often (each threshold still fires once).
    pub expiry_watch_seconds: i64,
    /// Queued e-mail is looked for this often.
    pub mail_seconds: i64,
    pub trusted_proxies: TrustedProxies,
    pub log: String,
    /// One JSON object per log line instead of text.
    pub log_json: bool,
    pub site_root: PathBuf,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(self.database_url.expose()))
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("master_key_source", &self.master_key_source)
            .finish_non_exhaustive()
    }
}

/// A start-up error: the setting's name and what is wrong with it.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.setting, self.problem)
    }
}

fn err(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { setting, problem: problem.into() }
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn read_file_settings(path: &Path) -> Result<RawSettings, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err("SECRYN_CONFIG", format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        let first = e.message().lines().next().unwrap_or("invalid TOML").to_owned();
        err("SECRYN_CONFIG", format!("{} is not valid: {first}", path.display()))
    })
}

/// A limit where 0 means "off".
fn off_or_positive(setting: &'static str, raw: Option<String>, default: i64) -> Result<i64, ConfigError> {
    match raw.as_deref().map(str::trim) {
        Some("0") => Ok(0),
        _ => positive(setting, raw, default, 1_000_000),
    }
}

fn positive(setting: &'static str, raw: Option<String>, default: i64, max: i64) -> Result<i64, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(err(setting, format!("{raw:?} is not a whole number from 1 to {max}"))),
    }
}

impl Config {
    /// Checks raw settings, filling gaps from the TOML file and defaults.
    pub fn resolve(mut raw: RawSettings) -> Result<Config, ConfigError> {
        if let Some(path) = raw.config.clone() {
            let file = read_file_settings(&path)?;
            macro_rules! fill {
                ($($f:ident),*) => { $( if raw.$f.is_none() { raw.$f = file.$f; } )* };
            }
            fill!(
                data_dir,
                database_url,
                listen,
                public_url,
                master_key,
                master_key_file,
                previous_master_keys,
                previous_master_keys_file,
                session_idle_minutes,
                session_absolute_hours,
                signin_ip_limit,
                request_log_retention_days,
                anonymous_per_minute,
                mcp_idle_seconds,
                expiry_watch_seconds,
                mail_seconds,
                trusted_proxies,
                log,
                log_format,
                site_root
            );
        }
        let data_dir = raw.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        if data_dir.as_os_str().is_empty() {
            return Err(err("SECRYN_DATA_DIR", "must not be empty"));
        }
        let database_url = SecretText::new(match raw.database_url {
            Some(u) if u.starts_with("sqlite:") || u.starts_with("postgres://") || u.starts_with("postgresql://") => u,
            Some(u) => {
                let message = format!("{:?} must start with sqlite:// or postgres://", redact_url(&u));
                drop(SecretText::new(u));
                return Err(err("SECRYN_DATABASE_URL", message));
            }
            None => format!("sqlite://{}", data_dir.join("secryn.db").display()),
        });
        let listen_raw = raw.listen.unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen: SocketAddr = listen_raw.trim().parse().map_err(|_| {
            err("SECRYN_LISTEN", format!("{listen_raw:?} is not an address and port like 127.0.0.1:3000"))
        })?;
        let public_url = match raw.public_url.map(|u| u.trim().trim_end_matches('/').to_owned()) {
            Some(u) if u.is_empty() => None,
            Some(u)
                if (u.starts_with("https://") || u.starts_with("http://"))
                    && u.len() > 8
                    && !u.contains(char::is_whitespace) =>
            {
                Some(u)
            }
            Some(u) => return Err(err("SECRYN_PUBLIC_URL", format!("{u:?} must be an http:// or https:// URL"))),
            None => None,
        };
        let (master_key_source, master_key_inline) = match (raw.master_key, raw.master_key_file) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "SECRYN_MASTER_KEY",
                    "set either SECRYN_MASTER_KEY or SECRYN_MASTER_KEY_FILE, not both",
                ));
            }
            (Some(k), None) => (MasterKeySource::Inline, Some(SecretText::new(k))),
            (None, Some(f)) => (MasterKeySource::File(f), None),
            (None, None) => (MasterKeySource::DefaultFile(data_dir.join("master.key")), None),
        };
        let previous_master_keys = match (raw.previous_master_keys, raw.previous_master_keys_file) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "SECRYN_PREVIOUS_MASTER_KEYS",
                    "set either SECRYN_PREVIOUS_MASTER_KEYS or SECRYN_PREVIOUS_MASTER_KEYS_FILE, not both",
                ));
            }
            (Some(k), None) if k.trim().is_empty() => PreviousKeys::None,
            (Some(k), None) => PreviousKeys::Inline(SecretText::new(k)),
            (None, Some(f)) => PreviousKeys::File(f),
            (None, None) => PreviousKeys::None,
        };
        let session_idle_minutes = positive(
            "SECRYN_SESSION_IDLE_MINUTES",
            raw.session_idle_minutes,
            DEFAULT_SESSION_IDLE_MINUTES,
            7 * 24 * 60,
        )?;
        let session_absolute_hours = positive(
            "SECRYN_SESSION_ABSOLUTE_HOURS",
            raw.session_absolute_hours,
            DEFAULT_SESSION_ABSOLUTE_HOURS,
            24 * 30,
        )?;
        let signin_ip_limit = off_or_positive("SECRYN_SIGNIN_IP_LIMIT", raw.signin_ip_limit, DEFAULT_SIGNIN_IP_LIMIT)?;
        let request_log_retention_days = positive(
            "SECRYN_REQUEST_LOG_RETENTION_DAYS",
            raw.request_log_retention_days,
            DEFAULT_REQUEST_LOG_RETENTION_DAYS,
            3650,
        )?;
        let anonymous_per_minute = off_or_positive(
            "SECRYN_ANONYMOUS_PER_MINUTE",
            raw.anonymous_per_minute,
            app::server::flood::DEFAULT_PER_MINUTE,
        )?;
        let mcp_idle_seconds =
            positive("SECRYN_MCP_IDLE_SECONDS", raw.mcp_idle_seconds, DEFAULT_MCP_IDLE_SECONDS, 86_400)?;
        let expiry_watch_seconds =
            positive("SECRYN_EXPIRY_WATCH_SECONDS", raw.expiry_watch_seconds, DEFAULT_EXPIRY_WATCH_SECONDS, 86_400)?;
        let mail_seconds = positive("SECRYN_MAIL_SECONDS", raw.mail_seconds, DEFAULT_MAIL_SECONDS, 3_600)?;
        let trusted_proxies = TrustedProxies::parse(raw.trusted_proxies.as_deref().unwrap_or("")).map_err(|bad| {
            err("SECRYN_TRUSTED_PROXIES", format!("{bad:?} is not an IP address or CIDR range like 10.0.0.0/8"))
        })?;
        let log_json = match raw.log_format.as_deref().map(str::trim) {
            None | Some("" | "text") => false,
            Some("json") => true,
            Some(other) => return Err(err("SECRYN_LOG_FORMAT", format!("{other:?} is not text or json"))),
        };
        let log = raw.log.unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(err("SECRYN_LOG", format!("{log:?} is not a log filter such as info or debug")));
        }
        Ok(Config {
            data_dir,
            database_url,
            listen,
            public_url,
            master_key_source,
            master_key_inline,
            previous_master_keys,
            session_idle_minutes,
            session_absolute_hours,
            signin_ip_limit,
            request_log_retention_days,
            anonymous_per_minute,
            mcp_idle_seconds,
            expiry_watch_seconds,
            mail_seconds,
            trusted_proxies,
            log,
            log_json,
            site_root: raw.site_root.unwrap_or_else(|| PathBuf::from("target/site")),
        })
    }

    /// True when people reach Secryn over HTTPS (Secure cookies, HSTS).
    pub fn https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The URL to print for people to open.
    pub fn browse_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawSettings {
        RawSettings::default()
    }

    #[test]
    fn defaults_are_sqlite_in_the_data_dir() {
        let c = Config::resolve(raw()).unwrap();
        assert_eq!(c.database_url.expose(), "sqlite://./data/secryn.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.master_key_source, MasterKeySource::DefaultFile(PathBuf::from("./data/master.key")));
        assert!(!c.https());
    }

    #[test]
    fn secrets_in_the_configuration_never_print() {
        let key = "bXkgbWFzdGVyIGtleSBvZiB0aGlydHktdHdvIGJ5dGVz".to_owned();
        let c = Config::resolve(RawSettings {
            database_url: Some("postgres://secryn:hunter2@db.internal/secryn".into()),
            master_key: Some(key.clone()),
            ..raw()
        })
        .unwrap();
        let printed = format!("{c:?} {:?} {:?}", c.database_url, c.master_key_inline);
        assert!(!printed.contains("hunter2") && !printed.contains(&key), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn wrong_settings_name_themselves() {
        let cases: Vec<(RawSettings, &str)> = vec![
            (RawSettings { listen: Some("nope".into()), ..raw() }, "SECRYN_LISTEN"),
            (RawSettings { database_url: Some("mysql://x".into()), ..raw() }, "SECRYN_DATABASE_URL"),
            (RawSettings { public_url: Some("ftp://x".into()), ..raw() }, "SECRYN_PUBLIC_URL"),
            (RawSettings { session_idle_minutes: Some("0".into()), ..raw() }, "SECRYN_SESSION_IDLE_MINUTES"),
            (RawSettings { session_absolute_hours: Some("many".into()), ..raw() }, "SECRYN_SESSION_ABSOLUTE_HOURS"),
            (RawSettings { log: Some("[[".into()), ..raw() }, "SECRYN_LOG"),
            (RawSettings { log_format: Some("xml".into()), ..raw() }, "SECRYN_LOG_FORMAT"),
            (RawSettings { trusted_proxies: Some("10.0.0.1, proxy".into()), ..raw() }, "SECRYN_TRUSTED_PROXIES"),
            (
                RawSettings { master_key: Some("k".into()), master_key_file: Some("f".into()), ..raw() },
                "SECRYN_MASTER_KEY",
            ),
            (RawSettings { config: Some("/nonexistent/secryn.toml".into()), ..raw() }, "SECRYN_CONFIG"),
        ];
        for (r, setting) in cases {
            assert_eq!(Config::resolve(r).unwrap_err().setting, setting);
        }
    }

    #[test]
    fn https_public_url_and_toml_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secryn.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:4000\"\npublic_url = \"https://vault.example.com/\"\n").unwrap();
        let c = Config::resolve(RawSettings { config: Some(file.clone()), ..raw() }).unwrap();
        assert_eq!(c.listen.port(), 4000);
        assert!(c.https());
        assert_eq!(c.browse_url(), "https://vault.example.com");
        let c = Config::resolve(RawSettings { config: Some(file), listen: Some("127.0.0.1:5000".into()), ..raw() })
            .unwrap();
        assert_eq!(c.listen.port(), 5000, "flags and environment win over the file");
        std::fs::write(dir.path().join("bad.toml"), "lisen = 1").unwrap();
        let e = Config::resolve(RawSettings { config: Some(dir.path().join("bad.toml")), ..raw() }).unwrap_err();
        assert_eq!(e.setting, "SECRYN_CONFIG");
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
