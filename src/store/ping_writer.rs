//! Group commit for the ping path. Pings that arrive together are written in one
//! transaction, and each is answered only after that transaction commits, so a `2xx`
//! still means stored while the database does one commit for many pings.
//!
//! Writer tasks share one queue: a task takes whatever is waiting (up to [`MAX_BATCH`]),
//! writes it, and meanwhile the queue fills for the next task. SQLite gets one writer
//! (it has one write lock anyway); PostgreSQL several, each on its own connection.
//! Within a batch, pings are applied in arrival order: each run of pings by uuid is
//! written together (its checks locked in id order, so concurrent batches do not
//! deadlock), and a ping by slug, which may create its check, on its own between runs.
//! If a batch fails (a deadlock between slug and uuid pings on PostgreSQL, say), its
//! pings are retried one by one, so one bad ping cannot fail the others.
//!
//! On SQLite the writer has a connection of its own (see [`Db::for_ping_writer`]), keeps
//! the rows it wrote ([`CheckCache`]) so that a batch to known checks reads nothing,
//! and leaves checkpoints to a second connection ([`WalKeeper`]).

use super::check_cache::CheckCache;
use super::checks::CheckRow;
use super::pings::{self, AutoCreate, AutoCreateLimit, Incoming, Recorded, Target};
use super::wal::WalKeeper;
use super::{Db, Pool, Tx};
use crate::domain::ping::PingAction;
use crate::store::StoreError;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

/// Most pings written in one transaction.
pub const MAX_BATCH: usize = 256;

/// A ping to write, owning its data so it can wait in the queue.
#[derive(Debug, Clone)]
pub struct PingJob {
    pub target: OwnedTarget,
    pub action: PingAction,
    pub method: String,
    pub body: Bytes,
    pub rid: Option<Uuid>,
    pub remote_addr: Option<String>,
    pub scheme: String,
    pub ua: String,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum OwnedTarget {
    Uuid(String),
    Slug {
        ping_key: String,
        slug: String,
        create: Option<Box<AutoCreate>>,
    },
}

impl PingJob {
    fn target(&self) -> Target<'_> {
        match &self.target {
            OwnedTarget::Uuid(u) => Target::Uuid(u),
            OwnedTarget::Slug {
                ping_key,
                slug,
                create,
            } => Target::Slug {
                ping_key,
                slug,
                create: create.as_deref(),
            },
        }
    }

    pub(super) fn incoming(&self) -> Incoming<'_> {
        Incoming {
            action: self.action,
            method: &self.method,
            body: &self.body,
            rid: self.rid,
            remote_addr: self.remote_addr.clone(),
            scheme: &self.scheme,
            ua: &self.ua,
        }
    }
}

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
        let db = db.for_ping_writer();
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

async fn write_batch(
    db: &Db,
    batch: Vec<(PingJob, Reply)>,
    limit: AutoCreateLimit,
    mut cache: Option<&mut CheckCache>,
) {
    let size = batch.len();
    let jobs: Vec<&PingJob> = batch.iter().map(|(job, _)| job).collect();
    match write_together(db, &jobs, limit, cache.as_deref_mut()).await {
        Ok(results) => {
            for ((_, reply), result) in batch.into_iter().zip(results) {
                let _ = reply.send(Ok(result));
            }
            tracing::trace!(pings = size, "ping batch written");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, pings = size, "batched ping write failed; writing them one by one")
        }
    }
    if let Some(cache) = cache {
        cache.clear();
    }
    for (job, reply) in batch {
        let result = pings::record(db, job.target(), &job.incoming(), limit, job.now).await;
        let _ = reply.send(result);
    }
}

/// Writes `jobs` in one transaction, in their order; the results come in the same order.
/// `cache` is the single SQLite writer's copy of the rows, if this is that writer.
pub async fn write_together(
    db: &Db,
    jobs: &[&PingJob],
    limit: AutoCreateLimit,
    mut cache: Option<&mut CheckCache>,
) -> Result<Vec<Recorded>, StoreError> {
    let by_slug = jobs
        .iter()
        .any(|job| matches!(job.target, OwnedTarget::Slug { .. }));
    if by_slug && let Some(cache) = cache.as_deref_mut() {
        // Slug pings write checks the copy does not follow, and a later run of this
        // batch must read what an earlier one wrote: the copy sits this batch out.
        cache.clear();
    }
    let mut tx = db.begin_write().await?;
    if let Some(cache) = cache.as_deref_mut() {
        cache.validate(&mut tx).await?;
    }
    let mut results = Vec::with_capacity(jobs.len());
    let mut rows = Vec::new();
    let mut run: Vec<(&str, &PingJob)> = Vec::new();
    for job in jobs {
        match &job.target {
            OwnedTarget::Uuid(u) => run.push((u.as_str(), job)),
            OwnedTarget::Slug { .. } => {
                write_run(&mut tx, &mut run, cache.as_deref(), &mut results, &mut rows).await?;
                results.push(
                    pings::record_in(&mut tx, job.target(), &job.incoming(), limit, job.now)
                        .await?,
                );
            }
        }
    }
    write_run(&mut tx, &mut run, cache.as_deref(), &mut results, &mut rows).await?;
    tx.commit().await?;
    if let Some(cache) = cache
        && !by_slug
    {
        cache.store(rows);
    }
    Ok(results)
}

/// Writes a run of consecutive pings by uuid together, and empties it.
async fn write_run(
    tx: &mut Tx,
    run: &mut Vec<(&str, &PingJob)>,
    cache: Option<&CheckCache>,
    results: &mut Vec<Recorded>,
    rows: &mut Vec<CheckRow>,
) -> Result<(), StoreError> {
    if run.is_empty() {
        return Ok(());
    }
    let written = super::ping_batch::record_by_uuid(tx, run, cache).await?;
    results.extend(written.results);
    rows.extend(written.rows);
    run.clear();
    Ok(())
}
