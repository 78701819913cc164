//! SQLite reads on the calling thread, for the REST API's hot path.
//!
//! sqlx runs each SQLite connection on a thread of its own, so every query costs two thread
//! wake-ups, there and back. Serving thousands of API reads a second on a small machine,
//! those wake-ups, not SQLite, took most of the CPU (`make bench` shows the figures). A point
//! read of a WAL database takes microseconds and never waits for the writer, so the few
//! queries on the API's hot path run here, directly, on read-only connections. Everything
//! else goes through sqlx; PostgreSQL always does.

use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections kept open between reads (more open while more threads read at once).
const KEEP: usize = 8;

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);

/// Read-only connections to one SQLite file, used one per call on the calling thread.
pub struct InlineSqlite {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineSqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineSqlite").field("path", &self.path).finish_non_exhaustive()
    }
}

/// A SQLite error as the data layer reports errors.
pub fn driver(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::AnyDriverError(Box::new(e))
}

impl InlineSqlite {
    /// Reads from the database file at `path` (which sqlx has already opened in WAL mode).
    pub fn new(path: PathBuf) -> Self {
        InlineSqlite { path, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `read` on an idle connection, opening one when none is idle.
    pub fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let out = read(&conn);
        // Only a connection outside any transaction goes back (a read must see the latest commit).
        if conn.is_autocommit()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP
        {
            idle.push(conn);
        }
        out
    }

    /// Starts the checkpointer: a thread of its own that copies the WAL back into the database
    /// file every [`CHECKPOINT_EVERY`] (a passive checkpoint: it never waits for the writer or a
    /// reader), for as long as `this` lives. Without it the writer does that copying itself
    /// once the WAL passes 1,000 pages, fsyncs included, while every caller whose record is in
    /// the next log batch waits: that pause was the read API's p99. The writer's own
    /// checkpoint stays as the backstop should this thread fall behind or fail.
    pub fn start_checkpointer(this: &Arc<Self>) {
        let alive = Arc::downgrade(this);
        let path = this.path.clone();
        let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
            let mut conn: Option<Connection> = None;
            loop {
                std::thread::sleep(CHECKPOINT_EVERY);
                if alive.strong_count() == 0 {
                    return;
                }
                let done = match &conn {
                    Some(c) => c.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(())),
                    None => Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE).map(|c| {
                        conn = Some(c);
                    }),
                };
                if let Err(e) = done {
                    tracing::debug!(error = %e, "checkpoint skipped");
                    conn = None;
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no checkpointer thread: the writer checkpoints alone");
        }
    }

    fn open(&self) -> Result<Connection, sqlx::Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(driver)?;
        // Readers of a WAL database wait only in rare moments (such as recovery after a crash).
        conn.busy_timeout(Duration::from_secs(1)).map_err(driver)?;
        Ok(conn)
    }
}
