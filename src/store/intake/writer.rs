//! The writer tasks. They share one queue: a task takes whatever is waiting (up to
//! [`MAX_BATCH`]), writes it as one batch, and meanwhile the queue fills for the next
//! task. SQLite gets one writer (it has one write lock anyway), on a connection of its
//! own that keeps a copy of the rows it wrote ([`CheckCache`]) and leaves checkpoints to
//! another ([`WalKeeper`]); PostgreSQL several, each on a connection from the pool.
//!
//! If a batch fails (a deadlock between two writers on PostgreSQL, say), its pings are
//! written again one by one, each as a batch of its own, so one bad ping cannot fail the
//! others; a batch whose commit is in doubt is first looked up by its id ([`ledger`]),
//! so none is stored twice. Every step is bounded by the database timeout, and after a
//! failure the writer takes a fresh connection and, until it writes again, reports
//! itself failing ([`WriterHealth`]) and probes on its own.

use super::batch::{self, Writing};
use super::cache::CheckCache;
use super::health::{self, PROBE_EVERY, WriterHealth, chain};
use super::rates::PingRates;
use super::wal::WalKeeper;
use super::{AutoCreateLimit, PingJob, Recorded, ledger};
use crate::store::{Db, Pool, StoreError, bounded};
use sqlx::sqlite::SqlitePoolOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

/// Most pings written in one transaction.
const MAX_BATCH: usize = 256;

/// SQLite page cache of the writer's connection, in KiB (negative, as SQLite takes it):
/// enough for the checks table and its indexes of a large installation.
const WRITER_PAGE_CACHE: &str = "-32768";

type Reply = oneshot::Sender<Result<Recorded, StoreError>>;

/// The handle handlers send pings through. Cheap to clone; the writer tasks stop when
/// the last handle is dropped.
#[derive(Clone)]
pub struct PingWriter {
    queue: mpsc::Sender<(PingJob, Reply)>,
    health: Arc<WriterHealth>,
}

impl PingWriter {
    /// Starts `writers` writer tasks on `db` (on SQLite one, on a connection of its own,
    /// whatever `writers` says), on a thread of their own: on the request runtime they
    /// would queue behind every open connection at each await, and the batch would spend
    /// most of its time waiting to be scheduled rather than writing.
    pub fn start(db: Db, writers: usize, limit: AutoCreateLimit, timeout: Duration) -> PingWriter {
        let health = Arc::new(WriterHealth::default());
        let writers = match &db.0 {
            // One write lock, one connection, and a copy of the rows only it may trust.
            Pool::Sqlite(_) => 1,
            Pool::Postgres(_) => writers.max(1),
        };
        let (queue, rx) = mpsc::channel(MAX_BATCH * 16);
        let rx = Arc::new(Mutex::new(rx));
        let shared = health.clone();
        let rates = Arc::new(PingRates::default());
        let spawned = std::thread::Builder::new().name("ping-writer".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "cannot start the ping writer; pings will be refused");
                    return;
                }
            };
            runtime.block_on(async move {
                let (keeper, checkpointer) = match &db.0 {
                    Pool::Sqlite(pool) => {
                        let (keeper, task) = WalKeeper::start(pool);
                        (Some(keeper), Some(task))
                    }
                    Pool::Postgres(_) => (None, None),
                };
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..writers {
                    tasks.spawn(writer(
                        db.clone(),
                        rx.clone(),
                        limit,
                        timeout,
                        keeper.clone(),
                        shared.clone(),
                        rates.clone(),
                    ));
                }
                drop(keeper);
                while tasks.join_next().await.is_some() {}
                if let Some(task) = checkpointer {
                    let _ = task.await;
                }
            });
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the ping writer thread; pings will be refused");
        }
        PingWriter { queue, health }
    }

    /// `Err` with the reason while the writer cannot write (for `/healthz`).
    pub fn health(&self) -> Result<(), String> {
        self.health.check()
    }

    /// Writes a ping; returns once it is committed (or failed).
    pub async fn record(&self, job: PingJob) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((job, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the ping writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the ping writer dropped the ping".into()))?
    }
}

/// The database handle for the writers. On SQLite, a connection of its own: taken from
/// the shared pool, each batch would land on whichever connection was idle longest,
/// whose page cache another connection's writes have made stale, and SQLite would read
/// every page it touches from the file again. A connection that does the writing keeps
/// its cache valid, and gets a larger one. On PostgreSQL, the shared pool.
fn writer_db(db: &Db) -> Db {
    match &db.0 {
        Pool::Sqlite(pool) => {
            let options = (*pool.connect_options())
                .clone()
                .pragma("cache_size", WRITER_PAGE_CACHE);
            // The same connection for as long as it works: the writer's copy of the rows
            // is checked with `data_version`, which only compares within one connection.
            // It is replaced only after an error, which drops the copy.
            Db(
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .min_connections(0)
                        .idle_timeout(None)
                        .max_lifetime(None)
                        .test_before_acquire(false)
                        .connect_lazy_with(options),
                ),
                db.1,
            )
        }
        Pool::Postgres(_) => db.clone(),
    }
}

async fn writer(
    base: Db,
    rx: Arc<Mutex<mpsc::Receiver<(PingJob, Reply)>>>,
    limit: AutoCreateLimit,
    timeout: Duration,
    keeper: Option<WalKeeper>,
    health: Arc<WriterHealth>,
    rates: Arc<PingRates>,
) {
    let mut writer = Writer {
        db: writer_db(&base),
        // SQLite has a single writer, which alone may trust its copy of the rows.
        cache: matches!(base.0, Pool::Sqlite(_)).then(CheckCache::default),
        base,
        limit,
        timeout,
        health,
        rates,
    };
    loop {
        let batch = match take(&rx, writer.health.is_failing()).await {
            Taken::Closed => return,
            Taken::Nothing => {
                writer.probe().await;
                continue;
            }
            Taken::Batch(batch) => batch,
        };
        writer.write_batch(batch).await;
        if let Some(keeper) = &keeper {
            keeper.written();
        }
    }
}

enum Taken {
    Batch(Vec<(PingJob, Reply)>),
    /// Nothing came within the probe interval (asked for only while failing).
    Nothing,
    /// Every handle is gone: the writer stops.
    Closed,
}

/// Takes what is waiting (up to [`MAX_BATCH`]), waiting for the first ping; while the
/// writer is failing, waits at most [`PROBE_EVERY`].
async fn take(rx: &Mutex<mpsc::Receiver<(PingJob, Reply)>>, failing: bool) -> Taken {
    let mut rx = rx.lock().await;
    let first = if failing {
        match tokio::time::timeout(PROBE_EVERY, rx.recv()).await {
            Ok(first) => first,
            Err(_) => return Taken::Nothing,
        }
    } else {
        rx.recv().await
    };
    let Some(first) = first else {
        return Taken::Closed;
    };
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Taken::Batch(batch)
}

/// One writer task's connection and what it keeps between batches.
struct Writer {
    /// The service's database, from which a fresh connection is made after a failure.
    base: Db,
    db: Db,
    cache: Option<CheckCache>,
    limit: AutoCreateLimit,
    timeout: Duration,
    health: Arc<WriterHealth>,
    rates: Arc<PingRates>,
}

/// Why a write failed, and whether writing the same pings again is safe.
enum Unwritten {
    /// Nothing was stored: the pings may be written again.
    Safe(StoreError),
    /// The batch may have been stored and its id could not be looked up: writing again
    /// could store its pings twice.
    InDoubt(StoreError),
}

impl Writer {
    /// Writes a batch and answers its pings; if it fails, writes each ping again as a
    /// batch of its own (unless the first attempt may have stored them).
    async fn write_batch(&mut self, batch: Vec<(PingJob, Reply)>) {
        let size = batch.len();
        let jobs: Vec<&PingJob> = batch.iter().map(|(job, _)| job).collect();
        let failed = match self.write(&jobs).await {
            Ok(results) => {
                self.health.wrote();
                for ((_, reply), result) in batch.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
                tracing::trace!(pings = size, "ping batch written");
                return;
            }
            Err(Unwritten::Safe(e)) if size > 1 => e,
            Err(Unwritten::Safe(e) | Unwritten::InDoubt(e)) => {
                tracing::warn!(error = %chain(&e), pings = size, "ping batch not written");
                for (_, reply) in batch {
                    let _ = reply.send(Err(copy(&e)));
                }
                return;
            }
        };
        tracing::warn!(error = %chain(&failed), pings = size, "batched ping write failed; writing them one by one");
        for (job, reply) in batch {
            let result = match self.write(&[&job]).await {
                Ok(results) => {
                    self.health.wrote();
                    results.into_iter().next().ok_or_else(|| {
                        StoreError::Other("a batch of one ping gave no result".into())
                    })
                }
                Err(Unwritten::Safe(e) | Unwritten::InDoubt(e)) => Err(e),
            };
            let _ = reply.send(result);
        }
    }

    /// One attempt at a batch. A commit in doubt is settled by looking up the batch's id;
    /// after any failure the connection is replaced and the copy of the rows dropped.
    async fn write(&mut self, jobs: &[&PingJob]) -> Result<Vec<Recorded>, Unwritten> {
        let id = matches!(self.db.0, Pool::Postgres(_)).then(Uuid::new_v4);
        let rates = self.rates.clone();
        let how = Writing {
            limit: self.limit,
            timeout: self.timeout,
            id,
            rates: &rates,
        };
        let failed = match batch::write(&self.db, jobs, how, self.cache.as_mut()).await {
            Ok(results) => return Ok(results),
            Err(failed) => failed,
        };
        self.after_failure();
        match failed {
            batch::Failed::NotWritten(e) => {
                self.health.failed(&e);
                Err(Unwritten::Safe(e))
            }
            batch::Failed::InDoubt { error, results } => {
                let id = id.unwrap_or_default();
                match bounded(self.timeout, ledger::committed(&self.db, id)).await {
                    Ok(true) => {
                        tracing::warn!(error = %chain(&error), "the answer to a ping batch's commit was lost, but the batch is stored");
                        Ok(results)
                    }
                    Ok(false) => {
                        self.health.failed(&error);
                        Err(Unwritten::Safe(error))
                    }
                    Err(lookup) => {
                        tracing::warn!(error = %chain(&lookup), "cannot tell whether a ping batch was stored; its pings are answered 503");
                        self.health.failed(&error);
                        Err(Unwritten::InDoubt(error))
                    }
                }
            }
        }
    }

    /// While failing: a small write that proves the writer can write again.
    async fn probe(&mut self) {
        match bounded(self.timeout, health::probe(&self.db)).await {
            Ok(()) => self.health.wrote(),
            Err(e) => {
                self.health.failed(&e);
                self.after_failure();
            }
        }
    }

    /// A connection that failed mid-transaction may be left inside it (SQLite after a
    /// full disk refuses every later `begin`), so the SQLite writer takes a fresh one;
    /// PostgreSQL's pool rolls back or drops its connections itself.
    fn after_failure(&mut self) {
        if let Some(cache) = self.cache.as_mut() {
            cache.clear();
        }
        if let Pool::Sqlite(_) = &self.base.0 {
            let old = std::mem::replace(&mut self.db, writer_db(&self.base));
            tokio::spawn(async move {
                let _ = tokio::time::timeout(CLOSE_WAIT, old.close()).await;
            });
        }
    }
}

/// How long a replaced connection gets to close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// The same failure for another ping of the batch.
fn copy(e: &StoreError) -> StoreError {
    StoreError::Unavailable(chain(e).into())
}
