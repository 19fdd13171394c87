//! One batch of pings in one transaction, in arrival order, whatever mix of checks,
//! uuids and slugs it holds:
//!
//! 1. find the checks: those named by uuid in one select (none for rows the SQLite writer
//!    holds), then each slug the batch names, in arrival order (`?create=1` may create);
//! 2. apply the state machine to each ping in memory, in arrival order, each ping seeing
//!    what the pings before it did to its check, and pair each run's completion with its
//!    start ([`BatchRuns`]): a start earlier in the batch pairs in memory;
//! 3. only if a completion belongs to an older, overlapping run started before the batch,
//!    look up those runs' open starts in the ping log, all in one select;
//! 4. record the flips (rare, one by one, with their outbox rows), then write every
//!    check's new state and every ping with one statement each.
//!
//! A batch of one ping is the same code: there is no other way a ping is written.

use super::cache::CheckCache;
use super::lookup::{Found, Rows};
use super::rates::PingRates;
use super::sql::{self, NewPing};
use super::{AutoCreateLimit, PingJob, Recorded, ledger};
use crate::domain::check::{Flip, on_ping};
use crate::domain::ids::CheckId;
use crate::domain::ping::classify;
use crate::domain::run::{self, BatchRuns, Pairing};
use crate::store::{Db, StoreError, Tx, bounded, flips};
use chrono::TimeDelta;
use std::time::Duration;
use uuid::Uuid;

/// Why a batch was not answered with its results.
#[derive(Debug)]
pub(super) enum Failed {
    /// Nothing was stored (the transaction was rolled back or never began).
    NotWritten(StoreError),
    /// COMMIT was sent but its answer never came: the batch may be stored. `results` are
    /// what it would answer if it was.
    InDoubt {
        error: StoreError,
        results: Vec<Recorded>,
    },
}

impl Failed {
    pub(super) fn into_error(self) -> StoreError {
        match self {
            Failed::NotWritten(e) | Failed::InDoubt { error: e, .. } => e,
        }
    }
}

/// How a batch is written: the limits of `?create=1`, how long each step may wait for
/// the database, and, on PostgreSQL, the id that makes a commit in doubt checkable.
#[derive(Clone, Copy)]
pub(super) struct Writing<'a> {
    pub limit: AutoCreateLimit,
    pub timeout: Duration,
    pub id: Option<Uuid>,
    /// Each check's ping allowance.
    pub rates: &'a PingRates,
}

/// Writes `jobs` in one transaction, in their order; the results come in the same order.
/// `cache` is the single SQLite writer's copy of the rows, if this is that writer.
pub(super) async fn write(
    db: &Db,
    jobs: &[&PingJob],
    how: Writing<'_>,
    mut cache: Option<&mut CheckCache>,
) -> Result<Vec<Recorded>, Failed> {
    let prepared = bounded(how.timeout, prepare(db, jobs, how, cache.as_deref_mut()))
        .await
        .map_err(Failed::NotWritten)?;
    let (tx, rows, results) = prepared;
    match bounded(how.timeout, tx.commit()).await {
        Ok(()) => {
            if let Some(cache) = cache {
                cache.store(rows.into_rows());
            }
            Ok(results)
        }
        // Only a batch with an id can be looked up (SQLite's commits are never in doubt).
        Err(error) if how.id.is_some() => Err(Failed::InDoubt { error, results }),
        Err(error) => Err(Failed::NotWritten(error)),
    }
}

/// Everything up to the commit.
async fn prepare(
    db: &Db,
    jobs: &[&PingJob],
    how: Writing<'_>,
    mut cache: Option<&mut CheckCache>,
) -> Result<(Tx, Rows, Vec<Recorded>), StoreError> {
    let mut tx = db.begin_write().await?;
    if let Some(cache) = cache.as_deref_mut() {
        cache.validate(&mut tx).await?;
    }
    let mut rows = Rows::load(&mut tx, jobs, cache.as_deref()).await?;
    let mut found = Vec::with_capacity(jobs.len());
    for job in jobs {
        found.push(rows.find(&mut tx, job, how.limit).await?);
    }
    let mut applied = apply(jobs, found, &mut rows, how.rates);
    applied.pair_from_log(&mut tx).await?;
    applied.record_flips(&mut tx).await?;
    sql::write(&mut tx, rows.all(), &applied.pings).await?;
    if let (Some(id), Some(first)) = (how.id, jobs.first()) {
        ledger::enter(&mut tx, id, first.now).await?;
    }
    Ok((tx, rows, applied.results))
}

/// What applying a batch in memory leaves to write.
struct Applied<'a> {
    /// One per job, in order; `queued` is filled in when the flips are recorded.
    results: Vec<Recorded>,
    pings: Vec<NewPing<'a>>,
    /// Completions of runs started before the batch whose check remembers another
    /// start: (index in `pings`, run id).
    from_log: Vec<(usize, Uuid)>,
    /// (index in `results`, check id, flip), in arrival order.
    flips: Vec<(usize, CheckId, Flip)>,
}

/// Applies the state machine to each ping in arrival order, changing `rows` in memory.
fn apply<'a>(
    jobs: &[&'a PingJob],
    found: Vec<Found>,
    rows: &mut Rows,
    rates: &PingRates,
) -> Applied<'a> {
    let mut applied = Applied {
        results: Vec::with_capacity(jobs.len()),
        pings: Vec::with_capacity(jobs.len()),
        from_log: Vec::new(),
        flips: Vec::new(),
    };
    let mut runs = BatchRuns::default();
    for (job, found) in jobs.iter().copied().zip(found) {
        let (index, created_check) = match found {
            Found::Check { index, created } => (index, created),
            Found::Not(result) => {
                applied.results.push(result);
                continue;
            }
        };
        let Some(row) = rows.get_mut(index) else {
            applied.results.push(Recorded::NotFound);
            continue;
        };
        let kind = classify(job.action, &job.method, &job.body, &row.rules());
        let outcome = on_ping(&row.state(), kind, job.rid, job.now);
        // Beyond the check's allowance a ping is refused, unless it changes the status.
        if outcome.flip.is_none() && !rates.allow(row.id, job.now) {
            applied.results.push(Recorded::RateLimited);
            continue;
        }
        let duration = match runs.on_ping(&row.id, kind, job.rid, job.now, outcome.duration) {
            Pairing::Known(duration) => duration,
            Pairing::FromLog => {
                if let Some(rid) = job.rid {
                    applied.from_log.push((applied.pings.len(), rid));
                }
                None
            }
        };
        row.set_state(&outcome.state);
        row.n_pings += 1;
        if let Some(flip) = outcome.flip {
            applied.flips.push((applied.results.len(), row.id, flip));
        }
        applied.results.push(Recorded::Stored {
            created_check,
            kind,
            alert_after: row.alert_after,
            queued: 0,
        });
        applied.pings.push(NewPing {
            check_id: row.id,
            n: row.n_pings,
            kind,
            job,
            duration_ms: duration.as_ref().map(TimeDelta::num_milliseconds),
        });
    }
    applied
}

impl Applied<'_> {
    /// Gives completions of overlapping runs their durations from the log, with one
    /// select for the whole batch. Runs before the batch's pings are inserted, so the log
    /// holds what came before the batch; [`BatchRuns`] has handled the batch's own.
    async fn pair_from_log(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        let completions: Vec<(&NewPing, Uuid)> = self
            .from_log
            .iter()
            .filter_map(|&(i, rid)| Some((self.pings.get(i)?, rid)))
            .collect();
        let Some(since) = completions
            .iter()
            .map(|(ping, _)| run::earliest_start(ping.job.now))
            .min()
        else {
            return Ok(());
        };
        let wanted: Vec<(CheckId, Uuid)> = completions
            .iter()
            .map(|(ping, rid)| (ping.check_id, *rid))
            .collect();
        let starts = sql::open_starts(tx, &wanted, since).await?;
        for &(i, rid) in &self.from_log {
            if let Some(ping) = self.pings.get_mut(i) {
                let start = starts.get(&(ping.check_id, rid)).copied();
                ping.duration_ms = run::from_log(start, ping.job.now)
                    .as_ref()
                    .map(TimeDelta::num_milliseconds);
            }
        }
        Ok(())
    }

    /// Records the batch's flips with their outbox rows, and how many each queued.
    async fn record_flips(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        for (i, check_id, flip) in &self.flips {
            let count = flips::record(tx, *check_id, flip).await?;
            if let Some(Recorded::Stored { queued, .. }) = self.results.get_mut(*i) {
                *queued = count;
            }
        }
        Ok(())
    }
}
