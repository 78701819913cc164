//! PostgreSQL connections for the machine API's reads, kept outside sqlx's pool.
//!
//! sqlx's pool pings every connection that comes back to it (0.8.6, `return_to_pool`), in
//! case a cancelled query left it halfway through the protocol: a second round trip, and a
//! spawned task, for every read. A connection here goes back only when its query ran to the
//! end, so it is known to be clean and needs no ping. One whose query failed or was cancelled
//! (its client hung up) is dropped, which closes it; its permit goes back either way.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sqlx::{Connection, Execute, Executor};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Semaphore;

/// At most this many readers per server, opened as they are first needed.
pub const READERS: usize = 8;

/// How long a read waits for a free reader and for a new one to connect, as the pool's
/// acquire timeout: past it the read fails (503) instead of hanging on a database that does
/// not answer.
const WAIT: Duration = Duration::from_secs(30);

/// Idle reader connections and the permits that bound how many exist at once.
pub struct PostgresReaders {
    url: String,
    idle: Mutex<Vec<AnyConnection>>,
    permits: Semaphore,
}

impl std::fmt::Debug for PostgresReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("PostgresReaders").field("available", &self.permits.available_permits()).finish()
    }
}

impl PostgresReaders {
    /// Readers for the database at `url`; none is opened until a read needs it.
    pub fn new(url: &str) -> Self {
        PostgresReaders { url: url.to_owned(), idle: Mutex::new(Vec::new()), permits: Semaphore::new(READERS) }
    }

    /// Runs `query` on an idle reader (or a new one) and returns its rows.
    pub async fn fetch_all<'q>(&self, query: impl Execute<'q, sqlx::Any> + 'q) -> Result<Vec<AnyRow>, sqlx::Error> {
        let ready = async {
            let permit = self.permits.acquire().await.map_err(|_| sqlx::Error::PoolClosed)?;
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match idle {
                Some(conn) => conn,
                None => AnyConnection::connect(&self.url).await?,
            };
            Ok::<_, sqlx::Error>((permit, conn))
        };
        let (_permit, mut conn) = tokio::time::timeout(WAIT, ready).await.map_err(|_| sqlx::Error::PoolTimedOut)??;
        let rows = conn.fetch_all(query).await?;
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        Ok(rows)
    }

    /// Closes every idle reader and refuses new reads (graceful shutdown).
    pub async fn close(&self) {
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for conn in idle {
            let _ = conn.close().await;
        }
    }
}
