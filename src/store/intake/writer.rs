//! The writer tasks. They share one queue: a task takes whatever is waiting (up to
//! [`MAX_BATCH`]), writes it as one batch, and meanwhile the queue fills for the next
//! task. SQLite gets one writer (it has one write lock anyway), on a connection of its
//! own that keeps a copy of the rows it wrote ([`CheckCache`]) and leaves checkpoints to
//! another ([`WalKeeper`]); PostgreSQL several, each on a connection from the pool.
//!
//! If a batch fails (a deadlock between two writers on PostgreSQL, say), its pings are
//! written again one by one, each as a batch of its own, so one bad ping cannot fail the
//! others.

use super::cache::CheckCache;
use super::wal::WalKeeper;
use super::{AutoCreateLimit, PingJob, Recorded, batch};
use crate::store::{Db, Pool, StoreError};
use sqlx::sqlite::SqlitePoolOptions;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

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
}

impl PingWriter {
    /// Starts `writers` writer tasks on `db` (on SQLite one, on a connection of its own,
    /// whatever `writers` says), on a thread of their own: on the request runtime they
    /// would queue behind every open connection at each await, and the batch would spend
    /// most of its time waiting to be scheduled rather than writing.
    pub fn start(db: Db, writers: usize, limit: AutoCreateLimit) -> PingWriter {
        let db = writer_db(&db);
        let writers = match &db.0 {
            // One write lock, one connection, and a copy of the rows only it may trust.
            Pool::Sqlite(_) => 1,
            Pool::Postgres(_) => writers.max(1),
        };
        let (queue, rx) = mpsc::channel(MAX_BATCH * 16);
        let rx = Arc::new(Mutex::new(rx));
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
                    tasks.spawn(writer(db.clone(), rx.clone(), limit, keeper.clone()));
                }
                drop(keeper);
                while tasks.join_next().await.is_some() {}
                if let Some(task) = checkpointer {
                    let _ = task.await;
                }
                if let Pool::Sqlite(_) = &db.0 {
                    // The writer's own connection (the service's pool stays open).
                    db.close().await;
                }
            });
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the ping writer thread; pings will be refused");
        }
        PingWriter { queue }
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
            Db(Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(0)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .test_before_acquire(false)
                    .connect_lazy_with(options),
            ))
        }
        Pool::Postgres(_) => db.clone(),
    }
}

async fn writer(
    db: Db,
    rx: Arc<Mutex<mpsc::Receiver<(PingJob, Reply)>>>,
    limit: AutoCreateLimit,
    keeper: Option<WalKeeper>,
) {
    // SQLite has a single writer, which alone may trust its copy of the rows.
    let mut cache = matches!(db.0, Pool::Sqlite(_)).then(CheckCache::default);
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        write_batch(&db, batch, limit, cache.as_mut()).await;
        if let Some(keeper) = &keeper {
            keeper.written();
        }
    }
}

/// Writes a batch and answers its pings; if it fails, writes each ping again as a batch
/// of its own.
async fn write_batch(
    db: &Db,
    batch: Vec<(PingJob, Reply)>,
    limit: AutoCreateLimit,
    mut cache: Option<&mut CheckCache>,
) {
    let size = batch.len();
    let jobs: Vec<&PingJob> = batch.iter().map(|(job, _)| job).collect();
    let failed = match batch::write(db, &jobs, limit, cache.as_deref_mut()).await {
        Ok(results) => {
            for ((_, reply), result) in batch.into_iter().zip(results) {
                let _ = reply.send(Ok(result));
            }
            tracing::trace!(pings = size, "ping batch written");
            return;
        }
        Err(e) => e,
    };
    // The connection may have been replaced, and with it what `data_version` compares.
    if let Some(cache) = cache.as_deref_mut() {
        cache.clear();
    }
    if size == 1 {
        if let Some((_, reply)) = batch.into_iter().next() {
            let _ = reply.send(Err(failed));
        }
        return;
    }
    tracing::warn!(error = %failed, pings = size, "batched ping write failed; writing them one by one");
    for (job, reply) in batch {
        let result = batch::write(db, &[&job], limit, cache.as_deref_mut())
            .await
            .and_then(|results| {
                results
                    .into_iter()
                    .next()
                    .ok_or_else(|| StoreError::Other("a batch of one ping gave no result".into()))
            });
        if result.is_err()
            && let Some(cache) = cache.as_deref_mut()
        {
            cache.clear();
        }
        let _ = reply.send(result);
    }
}
