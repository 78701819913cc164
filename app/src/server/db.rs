//! The database handle for both engines. Queries use portable SQL through sqlx's `Any`
//! driver (text ids, integer microsecond times, blobs), so each query is written once.
//!
//! SQLite: WAL, a busy timeout, one writer connection (writes queue in-process instead of
//! failing) and `BEGIN IMMEDIATE` so a read-then-write transaction never loses its snapshot,
//! even when a second process (such as `secryn demo-data`) writes at the same time.
//! PostgreSQL: one pool; audit appends serialise with an advisory lock (see `audit`).

use super::inline_sqlite::{InlineSqlite, driver};
use super::postgres_readers::PostgresReaders;
use sqlx::any::{AnyPoolOptions, AnyRow, install_default_drivers};
use sqlx::{Any, AnyPool, Connection, Executor, Row, TransactionManager};
use std::sync::Arc;
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
    /// SQLite files only: the API's hot reads on the calling thread (see `inline_sqlite`).
    inline: Option<Arc<InlineSqlite>>,
    /// PostgreSQL only: the API's hot reads on connections that need no ping (see
    /// `postgres_readers`).
    readers: Option<Arc<PostgresReaders>>,
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
                    pool_options().after_connect(|conn, _| {
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
                let file = url.parse::<sqlx::sqlite::SqliteConnectOptions>()?.get_filename().to_path_buf();
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let inline = (!in_memory).then(|| Arc::new(InlineSqlite::new(file)));
                if let Some(inline) = &inline {
                    InlineSqlite::start_checkpointer(inline);
                }
                Ok(Db { read, write, engine, inline, readers: None })
            }
            Engine::Postgres => {
                let pool = pool_options()
                    .max_connections(16)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // A `begin` cancelled in flight leaves a transaction sqlx does not
                            // know about (0.8.6); the server ends it if it stays idle.
                            conn.execute("set time zone 'UTC'; set idle_in_transaction_session_timeout = '60s'")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                let readers = Some(Arc::new(PostgresReaders::new(url)));
                Ok(Db { read: pool.clone(), write: pool, engine, inline: None, readers })
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

    /// Reads on the calling thread, when the database is a SQLite file.
    pub fn inline(&self) -> Option<&InlineSqlite> {
        self.inline.as_deref()
    }

    /// The rows of `sql`, whose arguments `$1, $2…` are `args`: read on the calling thread from
    /// a SQLite file (see `inline_sqlite`), on PostgreSQL by a reader of its own (see
    /// `postgres_readers`), else through the read pool. For the machine API's reads, which run
    /// thousands of times a second.
    pub async fn read_rows<T: FromColumns>(&self, sql: &str, args: &[&str]) -> Result<Vec<T>, sqlx::Error> {
        if let Some(inline) = self.inline() {
            return inline.read(|conn| {
                let mut stmt = conn.prepare_cached(sql).map_err(driver)?;
                // Every placeholder must be one of `$1..$N` (anything else would read as NULL).
                for at in 1..=stmt.parameter_count() {
                    let arg = stmt
                        .parameter_name(at)
                        .and_then(|name| name.strip_prefix('$')?.parse::<usize>().ok())
                        .and_then(|n| args.get(n.checked_sub(1)?))
                        .ok_or_else(|| sqlx::Error::Protocol(format!("placeholder {at} has no argument")))?;
                    stmt.raw_bind_parameter(at, arg).map_err(driver)?;
                }
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(driver)? {
                    out.push(T::from_columns(r)?);
                }
                Ok(out)
            });
        }
        let mut query = sqlx::query(sql);
        for arg in args {
            query = query.bind(*arg);
        }
        let rows = match &self.readers {
            Some(readers) => readers.fetch_all(query).await?,
            None => query.fetch_all(&self.read).await?,
        };
        rows.iter().map(T::from_columns).collect()
    }

    /// The pool for writes that manage their own transaction (the request log's batches).
    pub fn write_pool(&self) -> &AnyPool {
        &self.write
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
        if let Some(readers) = &self.readers {
            readers.close().await;
        }
        self.write.close().await;
        self.read.close().await;
    }
}

/// A column type both drivers decode (text, integers, blobs, and their nullable forms).
pub trait Cell: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql {}

impl<T> Cell for T where T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql {}

/// A row's columns by position, whichever driver read it, so one mapping serves both.
pub trait Columns {
    fn cell<T: Cell>(&self, i: usize) -> Result<T, sqlx::Error>;
}

/// A value built from one row of either driver (what [`Db::read_rows`] returns).
pub trait FromColumns: Sized {
    fn from_columns(r: &impl Columns) -> Result<Self, sqlx::Error>;
}

impl Columns for AnyRow {
    fn cell<T: Cell>(&self, i: usize) -> Result<T, sqlx::Error> {
        self.try_get(i)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn cell<T: Cell>(&self, i: usize) -> Result<T, sqlx::Error> {
        self.get(i).map_err(driver)
    }
}

/// What every pool shares. Connections are handed out without a ping first (a second round
/// trip per query; a broken connection fails its query instead), and a connection that comes
/// back inside a transaction that sqlx knows of has it rolled back: on SQLite, a request
/// cancelled by its client between `BEGIN IMMEDIATE` and the end of `begin()` leaves a
/// transaction nobody holds, which would keep the write lock for good.
fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30)).test_before_acquire(false).after_release(
        |conn, _| {
            Box::pin(async move {
                if conn.is_in_transaction() {
                    <Any as sqlx::Database>::TransactionManager::rollback(conn).await?;
                }
                Ok(true)
            })
        },
    )
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
