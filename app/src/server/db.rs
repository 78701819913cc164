//! The database handle for both engines. Queries use portable SQL through sqlx's `Any`
//! driver (text ids, integer microsecond times, blobs), so each query is written once.
//!
//! SQLite: WAL, a busy timeout, one writer connection (writes queue in-process instead of
//! failing) and `BEGIN IMMEDIATE` so a read-then-write transaction never loses its snapshot,
//! even when a second process (such as `secryn demo-data`) writes at the same time.
//! PostgreSQL: one pool; audit appends serialise with an advisory lock (see `audit`).

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor};
use std::time::Duration;

/// A transaction on the write side.
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// Recognises a database URL; anything else is a configuration error.
    pub fn of_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// Read and write pools plus the engine they talk to.
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    engine: Engine,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// Opens pools for `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        install_default_drivers();
        let engine =
            Engine::of_url(url).ok_or_else(|| sqlx::Error::Configuration("unsupported database URL".into()))?;
        match engine {
            Engine::Sqlite => {
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                let opts = || {
                    AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30)).after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "pragma journal_mode = wal; pragma busy_timeout = 10000; \
                                 pragma foreign_keys = on; pragma synchronous = normal;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                };
                let write = opts().max_connections(1).connect(&url).await?;
                let read = opts().max_connections(8).connect(&url).await?;
                Ok(Db { read, write, engine })
            }
            Engine::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("set time zone 'UTC'").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                Ok(Db { read: pool.clone(), write: pool, engine })
            }
        }
    }

    /// Applies this engine's migrations (idempotent; run at every start).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&self.write).await,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await,
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Starts a write transaction. Every change, and the audit entry recording it, happens
    /// inside one of these.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.write.begin_with("begin immediate").await,
            Engine::Postgres => self.write.begin().await,
        }
    }

    /// True when the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("select 1").execute(&self.read).await.is_ok()
    }

    /// Closes both pools (graceful shutdown).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Converts a stored 0/1 into a bool (booleans are integers on both engines).
pub fn flag(v: i64) -> bool {
    v != 0
}

/// `%text%` (lower-cased) for `like … escape '\\'`, with the wildcards in `text` taken literally.
pub fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
