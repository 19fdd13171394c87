//! The scheduler: finds checks whose deadline has passed and moves them down, with their
//! notifications queued in the same transaction. Any number of schedulers may run against
//! one database; compare-and-set updates make each flip happen once.

use crate::clock::Clock;
use crate::domain::check::on_deadline;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::{Db, deadlines};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Checks handled per query.
const BATCH: i64 = 500;
/// The longest the scheduler sleeps: also how soon it sees deadlines set by other processes.
const MAX_SLEEP: Duration = Duration::from_secs(1);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Checks this scheduler moved down.
    pub flipped: usize,
    /// Stale deadlines replaced.
    pub skipped: usize,
}

/// Lets the ping path wake this process's scheduler when a ping sets a deadline earlier
/// than the one the scheduler sleeps towards. Cheap: one atomic load per ping.
#[derive(Debug)]
pub struct Wake {
    notify: Notify,
    sleeping_until_ms: AtomicI64,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            notify: Notify::new(),
            sleeping_until_ms: AtomicI64::new(i64::MAX),
        }
    }
}

impl Wake {
    pub fn deadline_set(&self, deadline: DateTime<Utc>) {
        let ms = deadline.timestamp_millis();
        if ms < self.sleeping_until_ms.fetch_min(ms, Ordering::AcqRel) {
            self.notify.notify_one();
        }
    }

    pub fn sleeping_until(&self, deadline: DateTime<Utc>) {
        self.sleeping_until_ms
            .store(deadline.timestamp_millis(), Ordering::Release);
    }

    pub async fn notified(&self) {
        self.notify.notified().await;
    }
}

pub struct Scheduler {
    db: Db,
    clock: Arc<dyn Clock>,
    wake: Arc<Wake>,
    outbox_wake: Arc<tokio::sync::Notify>,
}

impl Scheduler {
    pub fn new(state: &AppState) -> Self {
        Scheduler {
            db: state.db.clone(),
            clock: state.clock.clone(),
            wake: state.scheduler_wake.clone(),
            outbox_wake: state.outbox_wake.clone(),
        }
    }

    /// Handles every check that is due now, a batch per transaction.
    #[tracing::instrument(skip_all)]
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let now = self.clock.now();
        let mut report = TickReport::default();
        loop {
            let batch =
                deadlines::process_due(&self.db, now, BATCH, |row| on_deadline(&row.state(), now))
                    .await?;
            report.flipped += batch.flipped;
            report.skipped += batch.rescheduled;
            if batch.flipped > 0 {
                tracing::info!(checks = batch.flipped, "checks are down");
            }
            if batch.queued > 0 {
                self.outbox_wake.notify_one();
            }
            // A short batch means nothing else is due (or other schedulers hold the rest).
            // Every row handled leaves the due set: down checks have no deadline and a
            // rescheduled one is due later.
            if i64::try_from(batch.seen).is_ok_and(|n| n < BATCH) {
                return Ok(report);
            }
        }
    }

    /// Runs until cancelled: a tick, then a sleep until the next deadline (at most a
    /// second), cut short when a ping in this process sets an earlier deadline.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduler tick failed; retrying");
            }
            let now = self.clock.now();
            let max = now + TimeDelta::from_std(MAX_SLEEP).unwrap_or(TimeDelta::seconds(1));
            let until = match deadlines::next_deadline(&self.db).await {
                Ok(Some(next)) => next.clamp(now, max),
                Ok(None) => max,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler could not read the next deadline");
                    max
                }
            };
            self.wake.sleeping_until(until);
            let pause = (until - now).to_std().unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}
