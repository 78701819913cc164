//! The machine-call logs' writer (request log and MCP log): calls hand their record to one
//! writer task that commits whatever has queued up in a single transaction (group commit),
//! then answers each caller. A response carrying secret material is sent only after its
//! record's commit; if the commit fails the callers hear so and answer 503. Access keys'
//! `last used at` moves in the same transaction, at most once per key per batch.

use crate::server::db::Db;
use crate::server::repo::request_log;
use tokio::sync::{mpsc, oneshot};

pub use crate::server::repo::request_log::{Logged, McpRecord, Record};

/// Most records committed together.
const BATCH: usize = 512;
/// Records that may wait for the writer before callers queue up behind them.
const QUEUE: usize = 8192;

type Job = (Logged, oneshot::Sender<bool>);

/// A handle to the writer task (cheap to clone).
#[derive(Clone, Debug)]
pub struct RequestLog {
    jobs: mpsc::Sender<Job>,
}

impl RequestLog {
    /// Starts the writer task on the current runtime. One writer on either engine: on
    /// PostgreSQL a second one, taking turns at the queue, was measured and lost (see
    /// docs/decisions.md).
    pub fn start(db: Db) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(db, rx));
        RequestLog { jobs }
    }

    /// Records a call; true once the record is committed.
    pub async fn record(&self, record: Logged) -> bool {
        let (done, wait) = oneshot::channel();
        if self.jobs.send((record, done)).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }
}

/// The writer: takes whatever has queued, commits it, answers its callers, and goes back for
/// more.
async fn write_batches(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut writer = request_log::Writer::new(db);
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let (records, done): (Vec<Logged>, Vec<_>) = batch.drain(..).unzip();
        let ok = match writer.append(&records).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, rows = records.len(), "the request log could not be written");
                false
            }
        };
        for caller in done {
            let _ = caller.send(ok);
        }
    }
}
