//! Delivery workers: drain the notification outbox. A dispatcher claims due rows with a
//! lease and hands each send to a task of its own; it never waits for the slowest send
//! before claiming more. Which rows it takes is `domain::fairness`: bounded sends in
//! flight per channel, per project (over all processes) and per process, so a slow or
//! dead channel holds up nobody else. Failures retry with backoff; a permanent failure
//! disables the channel and tells the project's owners. Several processes may run this
//! at once.

mod compose;
mod send;

use crate::clock::Clock;
use crate::domain::delivery::RetryPolicy;
use crate::domain::fairness::{self, Limits, Load};
use crate::notify::Senders;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::outbox::{self, Claimed, Outcome, Watermark};
use chrono::TimeDelta;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

const MAX_SLEEP: Duration = Duration::from_secs(1);
/// While nothing changes in the outbox, how long the dispatcher goes without looking at
/// the rows waiting (a lease that ran out is noticed within this).
const MAX_QUIET: Duration = Duration::from_secs(10);

/// The sends a dispatcher has in flight; each yields the outcomes of its rows.
type Sends = JoinSet<Result<Vec<Outcome>, StoreError>>;

#[derive(Clone)]
pub struct Notifier {
    state: AppState,
    senders: Senders,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    limits: Limits,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub postponed: usize,
    /// Not retried because a later change of the check waits for the same channel.
    pub superseded: usize,
}

impl TickReport {
    fn count(&mut self, finished: Result<Result<Vec<Outcome>, StoreError>, JoinError>) {
        match finished {
            Ok(Ok(outcomes)) => {
                for o in outcomes {
                    match o {
                        Outcome::Sent => self.sent += 1,
                        Outcome::Retry { .. } => self.retried += 1,
                        Outcome::Failed { .. } => self.failed += 1,
                        Outcome::Postpone { .. } => self.postponed += 1,
                        Outcome::Superseded => self.superseded += 1,
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "delivering notifications failed; their leases will expire and they will be retried")
            }
            Err(e) => tracing::error!(error = %e, "a delivery task panicked"),
        }
    }
}

impl Notifier {
    pub fn new(state: &AppState) -> anyhow::Result<Notifier> {
        Ok(Notifier {
            senders: state.senders.clone(),
            clock: state.clock.clone(),
            policy: RetryPolicy::new(
                state.config.notify_max_attempts,
                state.config.notify_max_age,
            ),
            limits: Limits::DEFAULT,
            state: state.clone(),
        })
    }

    /// How long a claim lasts: one attempt's hard limit (`timed`) with room to record it.
    fn lease(&self) -> TimeDelta {
        TimeDelta::seconds(i64::try_from(self.state.config.notify_timeout).unwrap_or(10) + 10)
    }

    /// Claims what the limits allow now and starts those sends; returns how many started.
    async fn fill(&self, sends: &mut Sends) -> Result<usize, StoreError> {
        let free = fairness::PER_PROCESS.saturating_sub(sends.len());
        if free == 0 {
            return Ok(0);
        }
        let db = &self.state.db;
        let now = self.clock.now();
        let load = Load::of(&outbox::in_flight(db, now).await?, &self.limits);
        let (full_channels, full_projects) = load.saturated(&self.limits);
        let candidates =
            outbox::candidates(db, now, &self.limits, (&full_channels, &full_projects)).await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let chosen = fairness::pick(&candidates, &load, free, &self.limits);
        let ids: Vec<i64> = chosen.iter().flatten().map(|r| r.id).collect();
        let mut leased: HashMap<i64, Claimed> = outbox::lease(db, &ids, now, now + self.lease())
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut started = 0;
        for send in chosen {
            let Some(channel_id) = send.first().map(|r| r.channel) else {
                continue;
            };
            // A row another worker leased in between is its to send.
            let rows: Vec<Claimed> = send.iter().filter_map(|r| leased.remove(&r.id)).collect();
            if rows.is_empty() {
                continue;
            }
            let me = self.clone();
            sends.spawn(async move { me.deliver_group(channel_id, rows).await });
            started += 1;
        }
        Ok(started)
    }

    /// Delivers every notification that is due now (as the limits let it through, a send
    /// starting as soon as another ends) and returns when none is left to start and none
    /// is in flight. Rows held by other processes are theirs.
    #[tracing::instrument(skip_all)]
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        let mut sends = Sends::new();
        loop {
            if let Err(e) = self.fill(&mut sends).await {
                // What already started finishes and is recorded.
                while let Some(done) = sends.join_next().await {
                    report.count(done);
                }
                return Err(e);
            }
            match sends.join_next().await {
                Some(done) => report.count(done),
                None => return Ok(report),
            }
        }
    }

    /// Runs until cancelled, keeping sends in flight across rounds: it claims more when a
    /// send ends, when this process queues a notification, and every second (rows queued
    /// by other processes, retries coming due). A look that started nothing is not
    /// repeated while the outbox stays as it was, so thousands of rows waiting for a dead
    /// channel cost nothing between its timeouts. Once cancelled it starts nothing new
    /// and lets the sends in flight finish (each is bounded by the notification timeout).
    pub async fn run(self, cancel: CancellationToken) {
        let mut sends = Sends::new();
        let mut report = TickReport::default();
        // Set after a look that started nothing: the outbox as it was just before it.
        let mut quiet: Option<(Watermark, std::time::Instant)> = None;
        loop {
            let now = self.clock.now();
            let mark = match outbox::watermark(&self.state.db, now).await {
                Ok(mark) => Some(mark),
                Err(e) => {
                    tracing::error!(error = %e, "reading the outbox failed; retrying");
                    None
                }
            };
            let unchanged = match (&quiet, &mark) {
                (Some((before, since)), Some(mark)) => {
                    since.elapsed() < MAX_QUIET && before.unchanged(mark, now)
                }
                _ => false,
            };
            if !unchanged {
                match self.fill(&mut sends).await {
                    Ok(0) => quiet = mark.map(|m| (m, std::time::Instant::now())),
                    Ok(_) => quiet = None,
                    Err(e) => {
                        quiet = None;
                        tracing::error!(error = %e, "claiming notifications failed; retrying");
                    }
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                Some(done) = sends.join_next(), if !sends.is_empty() => {
                    report.count(done);
                    while let Some(done) = sends.try_join_next() {
                        report.count(done);
                    }
                    quiet = None;
                }
                _ = self.state.outbox_wake.notified() => quiet = None,
                _ = tokio::time::sleep(MAX_SLEEP) => {}
            }
        }
        while let Some(done) = sends.join_next().await {
            report.count(done);
        }
    }
}
