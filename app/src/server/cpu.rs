//! Bounded CPU work off the async workers: password hashing and key generation. Anything a
//! stranger or a browser can ask for that costs a core for a while runs here, so a flood
//! queues instead of starving health checks, page loads and REST reads; when the queue is
//! full, callers are told to slow down at once rather than waiting.

use crate::domain::AppError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// At most `concurrency` jobs at once on blocking threads, `max_queued` more waiting.
///
/// Cancel-safe: a request dropped while it waits gives its queue place back (a guard leaves
/// the queue on drop), and a job already running keeps its permit until the job ends (the
/// permit moves into the blocking task), so the bound holds whatever clients do.
#[derive(Debug)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
    queued: AtomicUsize,
    max_queued: usize,
    load: Arc<Load>,
    /// What a caller hears when the queue is full.
    busy: &'static str,
}

/// Jobs running now and the most ever seen at once (what the bound is checked against).
#[derive(Debug, Default)]
struct Load {
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// A place in the queue, given back when dropped (also when the request is cancelled).
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One job running on a blocking thread; counted while it lives.
struct Running(Arc<Load>);

impl Running {
    fn start(load: Arc<Load>) -> Self {
        let now = load.running.fetch_add(1, Ordering::SeqCst) + 1;
        load.peak.fetch_max(now, Ordering::SeqCst);
        Running(load)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl CpuPool {
    /// `concurrency` jobs run at once; `max_queued` more may wait; `busy` is the refusal.
    pub fn new(concurrency: usize, max_queued: usize, busy: &'static str) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            queued: AtomicUsize::new(0),
            max_queued,
            load: Arc::default(),
            busy,
        }
    }

    /// The most jobs that ever ran at once in this process (never above `concurrency`).
    pub fn peak_running(&self) -> usize {
        self.load.peak.load(Ordering::SeqCst)
    }

    /// Jobs running now.
    pub fn running(&self) -> usize {
        self.load.running.load(Ordering::SeqCst)
    }

    /// Requests waiting for a slot now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    fn enter_queue(&self) -> Result<QueuePlace<'_>, AppError> {
        let place = QueuePlace(&self.queued);
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.max_queued {
            return Err(AppError::rate_limited(self.busy));
        }
        Ok(place)
    }

    /// Runs `work` on a blocking thread once a slot is free.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let place = self.enter_queue()?;
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| AppError::internal())?;
        drop(place);
        let load = self.load.clone();
        // The permit travels with the job: if this future is dropped now, the blocking task
        // still runs to its end, and only then is the slot free for the next one.
        let task = tokio::task::spawn_blocking(move || {
            let running = Running::start(load);
            let out = work();
            drop(running);
            drop(permit);
            out
        });
        task.await.map_err(|_| AppError::internal())
    }
}
