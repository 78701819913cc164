//! The reference's data: rows read by primary key, and the log its secret reads wait for.
//! SQLite reads run on the calling thread on read-only connections and one thread writes;
//! PostgreSQL goes through one sqlx pool. Both commit log rows in groups.

use rusqlite::{Connection, OpenFlags, params};
use sqlx::PgPool;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// Most log rows committed together, and the queue in front of the writer.
const BATCH: usize = 512;
const QUEUE: usize = 8192;

/// A stored row: nonce and ciphertext.
pub type Row = (Vec<u8>, Vec<u8>);
/// A log row waiting for its commit: (secret id, status, whom to tell).
type Job = (i64, i32, oneshot::Sender<bool>);

/// One engine's connections plus the log writer.
pub enum Store {
    Sqlite { path: String, readers: Mutex<Vec<Connection>>, log: mpsc::Sender<Job> },
    Postgres { pool: PgPool, log: mpsc::Sender<Job> },
}

impl Store {
    /// Makes the tables anew with `rows` (id, nonce, ciphertext) and starts the log writer.
    pub async fn open(database: &str, rows: &[(i64, Vec<u8>, Vec<u8>)]) -> Result<Store, String> {
        let (log, jobs) = mpsc::channel(QUEUE);
        if database.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect(database)
                .await
                .map_err(|e| e.to_string())?;
            postgres_schema(&pool, rows).await.map_err(|e| e.to_string())?;
            tokio::spawn(postgres_writer(pool.clone(), jobs));
            Ok(Store::Postgres { pool, log })
        } else {
            let writer = sqlite_schema(database, rows).map_err(|e| e.to_string())?;
            std::thread::spawn(move || sqlite_writer(writer, jobs));
            Ok(Store::Sqlite { path: database.to_owned(), readers: Mutex::new(Vec::new()), log })
        }
    }

    /// Row `id`, or None.
    pub async fn row(&self, id: i64) -> Result<Option<Row>, String> {
        match self {
            Store::Sqlite { path, readers, .. } => {
                let idle = readers.lock().ok().and_then(|mut r| r.pop());
                let conn = match idle {
                    Some(c) => c,
                    None => {
                        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                        let c = Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
                        c.busy_timeout(Duration::from_secs(1)).map_err(|e| e.to_string())?;
                        c
                    }
                };
                let row = conn
                    .prepare_cached("select nonce, sealed from ref_secrets where id = ?1")
                    .and_then(|mut s| {
                        let mut rows = s.query(params![id])?;
                        rows.next()?.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose()
                    })
                    .map_err(|e| e.to_string());
                if let Ok(mut r) = readers.lock() {
                    r.push(conn);
                }
                row
            }
            Store::Postgres { pool, .. } => sqlx::query_as("select nonce, sealed from ref_secrets where id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// Logs a call; true once its row is committed.
    pub async fn log(&self, id: i64, status: i32) -> bool {
        let (Store::Sqlite { log, .. } | Store::Postgres { log, .. }) = self;
        let (done, wait) = oneshot::channel();
        log.send((id, status, done)).await.is_ok() && wait.await.unwrap_or(false)
    }
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

fn sqlite_schema(path: &str, rows: &[(i64, Vec<u8>, Vec<u8>)]) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = 10000;
         drop table if exists ref_secrets; drop table if exists ref_log;
         create table ref_secrets (id integer primary key, nonce blob not null, sealed blob not null);
         create table ref_log (id integer primary key, at integer not null, secret_id integer not null,
                               status integer not null);",
    )?;
    let tx = conn.transaction()?;
    for (id, nonce, sealed) in rows {
        tx.execute("insert into ref_secrets (id, nonce, sealed) values (?1, ?2, ?3)", params![id, nonce, sealed])?;
    }
    tx.commit()?;
    Ok(conn)
}

/// The SQLite log writer: takes whatever has queued up (at most BATCH), commits it in one
/// transaction, tells each caller, and waits for more.
fn sqlite_writer(mut conn: Connection, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let at = now_micros();
        let ok = conn
            .transaction()
            .and_then(|tx| {
                {
                    let mut insert =
                        tx.prepare_cached("insert into ref_log (at, secret_id, status) values (?1, ?2, ?3)")?;
                    for (id, status, _) in &batch {
                        insert.execute(params![at, id, status])?;
                    }
                }
                tx.commit()
            })
            .is_ok();
        for (_, _, done) in batch.drain(..) {
            let _ = done.send(ok);
        }
    }
}

async fn postgres_schema(pool: &PgPool, rows: &[(i64, Vec<u8>, Vec<u8>)]) -> sqlx::Result<()> {
    sqlx::raw_sql(
        "drop table if exists ref_secrets; drop table if exists ref_log;
         create table ref_secrets (id bigint primary key, nonce bytea not null, sealed bytea not null);
         create table ref_log (id bigserial primary key, at bigint not null, secret_id bigint not null,
                               status integer not null);",
    )
    .execute(pool)
    .await?;
    let mut tx = pool.begin().await?;
    for (id, nonce, sealed) in rows {
        sqlx::query("insert into ref_secrets (id, nonce, sealed) values ($1, $2, $3)")
            .bind(id)
            .bind(nonce)
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// The PostgreSQL log writer: one multi-row insert (a statement is its own transaction) per
/// group of queued rows.
async fn postgres_writer(pool: PgPool, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH);
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        let ids: Vec<i64> = batch.iter().map(|(id, _, _)| *id).collect();
        let statuses: Vec<i32> = batch.iter().map(|(_, s, _)| *s).collect();
        let ok = sqlx::query(
            "insert into ref_log (at, secret_id, status) select $1, * from unnest($2::bigint[], $3::int[])",
        )
        .bind(now_micros())
        .bind(&ids)
        .bind(&statuses)
        .execute(&pool)
        .await
        .is_ok();
        for (_, _, done) in batch.drain(..) {
            let _ = done.send(ok);
        }
    }
}
