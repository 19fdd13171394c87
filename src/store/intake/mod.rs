//! Ping intake: the one way a ping reaches the database.
//!
//! Pings that arrive together are written together, in one transaction, and each is
//! answered only after that transaction commits (group commit): a `2xx` still means
//! stored, while the database does one commit for many pings. A single ping is a batch
//! of one; pings by uuid and by slug (which may create their check) go through the same
//! code, in arrival order.
//!
//! - [`writer`]: the queue and the writer tasks that take batches from it, and the retry,
//!   ping by ping, of a batch that failed.
//! - [`batch`]: one batch in one transaction: find the checks, apply the state machine
//!   in memory, pair runs, write.
//! - [`lookup`]: the checks a batch pings, by uuid (all at once) and by slug.
//! - [`sql`]: the batch's few statements, whatever its size.
//! - [`cache`]: the SQLite writer's copy of the rows it wrote.
//! - [`wal`]: checkpoints of SQLite's write-ahead log, off the writer's connection.
//! - [`ledger`]: batch ids that settle a commit in doubt on PostgreSQL.
//! - [`health`]: whether the writer can write, for `/healthz`, and its probe.

mod batch;
mod cache;
mod health;
pub mod ledger;
mod lookup;
mod rates;
mod sql;
pub(super) mod wal;
mod writer;

pub use writer::PingWriter;

use super::checks::CheckConfig;
use super::{Db, StoreError};
use crate::domain::ping::{PingAction, PingKind};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A ping to write, owning its data so it can wait in the queue.
#[derive(Debug, Clone)]
pub struct PingJob {
    pub target: Target,
    pub action: PingAction,
    pub method: String,
    pub body: Bytes,
    pub rid: Option<Uuid>,
    pub remote_addr: Option<String>,
    pub scheme: String,
    pub ua: String,
    pub now: DateTime<Utc>,
}

/// Which check a ping is for.
#[derive(Debug, Clone)]
pub enum Target {
    Uuid(String),
    Slug {
        ping_key: String,
        slug: String,
        /// Create the check if the project has none with this slug (`?create=1`).
        create: Option<Box<AutoCreate>>,
    },
}

/// What became of a ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Stored {
        /// The check was created by this ping.
        created_check: bool,
        kind: PingKind,
        /// The check's new deadline, so the scheduler can wake early for it.
        alert_after: Option<DateTime<Utc>>,
        /// Notifications queued by this ping's flip.
        queued: u64,
    },
    NotFound,
    AmbiguousSlug,
    /// The check is pinged faster than its allowance; this ping changed nothing and was
    /// not stored.
    RateLimited,
    /// `?create=1` would create a check, but the project created its allowance of checks
    /// this minute.
    CreationRateLimited,
    /// `?create=1` named channels the project does not have (the message says which).
    BadChannels(String),
}

/// How a check created by its first ping (`?create=1`) is set up.
#[derive(Debug, Clone)]
pub struct AutoCreate {
    /// Its configuration; name and slug are the URL's slug.
    pub config: CheckConfig,
    /// Which of the project's channels it gets, as the API's `channels` field.
    pub channels: String,
}

/// Limits that apply to auto-provisioned checks.
#[derive(Debug, Clone, Copy)]
pub struct AutoCreateLimit {
    /// The most checks the project's owner may hold before `?create=1` stops creating.
    pub max_owned_checks: i64,
    /// The most checks `?create=1` creates in one project per minute.
    pub per_minute: i64,
}

/// Writes `jobs` as one batch, in one transaction and in their order, as a writer task
/// writes what it takes from the queue; the results come in the same order. Either all
/// are written or none (the writer then retries them one by one).
pub async fn write_together(
    db: &Db,
    jobs: &[PingJob],
    limit: AutoCreateLimit,
) -> Result<Vec<Recorded>, StoreError> {
    let jobs: Vec<&PingJob> = jobs.iter().collect();
    let rates = rates::PingRates::default();
    let how = batch::Writing {
        limit,
        timeout: super::DEFAULT_TIMEOUT,
        id: None,
        rates: &rates,
    };
    batch::write(db, &jobs, how, None)
        .await
        .map_err(batch::Failed::into_error)
}
