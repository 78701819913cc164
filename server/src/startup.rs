//! Bringing an instance up: data directory, database and migrations, the master key (created
//! on first start when none is configured), and the instance's key check.

use crate::config::{Config, MasterKeySource, PreviousKeys};
use app::server::audit::AuditKey;
use app::server::crypto::{MasterKey, MasterKeys, SecretText};
use app::server::db::Db;
use app::server::repo::instance;
use app::server::services::master_keys;
use app::server::services::setup::{self, StartupError};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A start-up failure: the setting (or part) at fault and one line saying what is wrong.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail(setting: &str, problem: impl std::fmt::Display) -> StartError {
    StartError(format!("{setting}: {problem}"))
}

/// Opens the database (creating the data directory for SQLite) and applies migrations.
///
/// The data directory is created private (0700) and a SQLite file private (0600; SQLite gives
/// its `-wal` and `-shm` files the same mode): password hashes, names and logs are nobody
/// else's business on a shared machine, even though values stay sealed.
pub async fn open_database(config: &Config) -> Result<Db, StartError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data_dir)
        .map_err(|e| fail("SECRYN_DATA_DIR", format!("cannot create {}: {e}", config.data_dir.display())))?;
    if let Ok(meta) = std::fs::metadata(&config.data_dir)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(dir = %config.data_dir.display(), "the data directory is open to other users; run chmod 700 on it");
    }
    if let Some(file) = sqlite_file(config.database_url.expose()) {
        private_file(file).map_err(|e| fail("SECRYN_DATABASE_URL", format!("cannot prepare {file}: {e}")))?;
    }
    let db = Db::connect(config.database_url.expose()).await.map_err(|e| {
        let url = crate::config::redact_url(config.database_url.expose());
        fail("SECRYN_DATABASE_URL", format!("cannot open {url}: {e}"))
    })?;
    db.migrate().await.map_err(|e| fail("SECRYN_DATABASE_URL", format!("migrations failed: {e}")))?;
    Ok(db)
}

/// The file a `sqlite:` URL names (`None` for PostgreSQL and in-memory databases).
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory")).then_some(path)
}

/// Creates `path` with mode 0600 if it is missing, and takes group and other access away if not.
fn private_file(path: &str) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn read_key_file(setting: &str, path: &Path) -> Result<MasterKey, StartError> {
    let text = SecretText::new(
        std::fs::read_to_string(path).map_err(|e| fail(setting, format!("cannot read {}: {e}", path.display())))?,
    );
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the master key file is readable by other users; run chmod 600 on it");
    }
    MasterKey::from_base64(text.expose()).map_err(|e| fail(setting, format!("{}: {e}", path.display())))
}

fn create_key_file(path: &Path) -> Result<MasterKey, StartError> {
    let key = MasterKey::generate();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| fail("SECRYN_MASTER_KEY_FILE", format!("cannot create {}: {e}", path.display())))?;
    file.write_all(key.to_base64().as_bytes())
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.sync_all())
        .map_err(|e| fail("SECRYN_MASTER_KEY_FILE", format!("cannot write {}: {e}", path.display())))?;
    println!("Created a new master key in {} (mode 0600).", path.display());
    println!("Back it up and keep it apart from the database: without it the data cannot be read.");
    Ok(key)
}

/// Loads the master key; on the very first start with no key configured, creates the key
/// file. Never creates a key for a database that already holds data. An inline key's text is
/// taken out of the configuration and wiped once read.
pub async fn master_key(config: &mut Config, db: &Db) -> Result<(MasterKeys, AuditKey), StartError> {
    let key = match &config.master_key_source {
        MasterKeySource::Inline => {
            let text = config.master_key_inline.take().unwrap_or_else(|| SecretText::new(String::new()));
            MasterKey::from_base64(text.expose()).map_err(|e| fail("SECRYN_MASTER_KEY", e))?
        }
        MasterKeySource::File(path) => read_key_file("SECRYN_MASTER_KEY_FILE", path)?,
        MasterKeySource::DefaultFile(path) if path.exists() => read_key_file("SECRYN_MASTER_KEY_FILE", path)?,
        MasterKeySource::DefaultFile(path) => {
            let existing = instance::get(db).await.map_err(|e| fail("SECRYN_DATABASE_URL", e))?;
            if existing.is_some() {
                return Err(fail(
                    "SECRYN_MASTER_KEY_FILE",
                    format!(
                        "{} is missing but the database already holds data sealed with a master key; \
                         restore the key file or set SECRYN_MASTER_KEY",
                        path.display()
                    ),
                ));
            }
            create_key_file(path)?
        }
    };
    let keys = MasterKeys::new(key, previous_keys(config)?);
    let db_fail = |e: sqlx::Error| fail("SECRYN_DATABASE_URL", e);
    let audit_key = match setup::ensure_instance(db, &keys).await {
        Ok(audit_key) => audit_key,
        // No key here opens the instance: name the ones it needs, when they are on record.
        Err(e @ StartupError::WrongMasterKey) => {
            let missing = master_keys::missing(db, &keys).await.map_err(db_fail)?;
            let needs = match missing.as_slice() {
                [] => String::new(),
                ids => format!(
                    "; it needs master key {} (as SECRYN_MASTER_KEY, or in SECRYN_PREVIOUS_MASTER_KEYS while \
                     `secryn master-key rotate` has not finished)",
                    ids.join(", ")
                ),
            };
            return Err(fail("SECRYN_MASTER_KEY", format!("{e}{needs}")));
        }
        Err(e @ StartupError::AuditKey(_)) => return Err(fail("SECRYN_MASTER_KEY", e)),
        Err(StartupError::Db(e)) => return Err(db_fail(e)),
    };
    master_keys::label(db, &keys).await.map_err(db_fail)?;
    let missing = master_keys::missing(db, &keys).await.map_err(db_fail)?;
    if !missing.is_empty() {
        return Err(lacks(&missing));
    }
    Ok((keys, audit_key))
}

/// A node without master keys the instance still uses: which ones, by id.
fn lacks(missing: &[String]) -> StartError {
    fail(
        "SECRYN_PREVIOUS_MASTER_KEYS",
        format!(
            "this node lacks master key {}, which still wraps keys here; add it to the previous keys \
             (or finish `secryn master-key rotate` on a node that has it)",
            missing.join(", ")
        ),
    )
}

/// The earlier master keys, from the setting's text (comma- or line-separated) or its file.
fn previous_keys(config: &mut Config) -> Result<Vec<MasterKey>, StartError> {
    let (setting, text) = match std::mem::take(&mut config.previous_master_keys) {
        PreviousKeys::None => return Ok(Vec::new()),
        PreviousKeys::Inline(text) => ("SECRYN_PREVIOUS_MASTER_KEYS", text),
        PreviousKeys::File(path) => (
            "SECRYN_PREVIOUS_MASTER_KEYS_FILE",
            SecretText::new(std::fs::read_to_string(&path).map_err(|e| {
                fail("SECRYN_PREVIOUS_MASTER_KEYS_FILE", format!("cannot read {}: {e}", path.display()))
            })?),
        ),
    };
    text.expose()
        .split([',', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .enumerate()
        .map(|(i, k)| MasterKey::from_base64(k).map_err(|e| fail(setting, format!("key {}: {e}", i + 1))))
        .collect()
}

/// Prints a fresh setup code if the instance is not set up yet.
pub async fn announce_setup(db: &Db, browse_url: &str) -> Result<(), StartError> {
    let code = setup::issue_setup_code(db).await.map_err(|e| fail("SECRYN_DATABASE_URL", e))?;
    if let Some(code) = code {
        println!("Secryn is not set up yet. Open {browse_url}/setup and enter this one-time code:");
        println!("Setup code: {}", code.expose());
        let _ = std::io::stdout().flush();
    }
    Ok(())
}
