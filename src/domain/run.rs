//! How long a run took: pairing a completion (success or failure) with its start, for the
//! duration recorded with the ping.
//!
//! A check remembers only its latest start, and the state machine ([`super::check::on_ping`])
//! pairs a completion with that start alone. Runs may overlap, though: when a completion
//! names (by run id) an older start, that start is in the ping log, and the run's duration
//! comes from the latest start of the same run, no more than [`MAX_RUN`] before the
//! completion, that no completion of the run has closed since (as healthchecks.io does).
//!
//! Pings are applied in batches, and a batch's own starts are not in the log while the
//! batch is applied. [`BatchRuns`] follows the runs a batch opens and closes, so that a
//! start and its completion in one batch pair in memory, and says which completions still
//! need the log: the store looks those up for the whole batch at once, before it writes
//! the batch, and finishes them with [`from_log`].

use super::ping::PingKind;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use uuid::Uuid;

/// Runs longer than this are not paired with their start (as healthchecks.io).
pub const MAX_RUN: TimeDelta = TimeDelta::hours(72);

/// Where a ping's run duration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Known without the log: from the check's remembered start or a start earlier in the
    /// batch, or none at all.
    Known(Option<TimeDelta>),
    /// A completion of an older run: from that run's latest open start in the log, as it
    /// was before the batch (see [`from_log`]).
    FromLog,
}

/// The runs (by check and run id) that one batch of pings has opened and closed so far.
/// `K` names a check.
#[derive(Debug)]
pub struct BatchRuns<K> {
    /// The latest start of each run started in this batch and not closed since.
    open: HashMap<(K, Uuid), DateTime<Utc>>,
    /// Runs a completion in this batch closed: their starts in the log are closed too.
    closed: HashSet<(K, Uuid)>,
}

impl<K> Default for BatchRuns<K> {
    fn default() -> Self {
        BatchRuns {
            open: HashMap::new(),
            closed: HashSet::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> BatchRuns<K> {
    /// Takes the next ping of the batch, in arrival order, and says where its duration
    /// comes from. `remembered` is the duration the state machine found from the check's
    /// remembered start ([`super::check::PingOutcome::duration`]).
    pub fn on_ping(
        &mut self,
        check: &K,
        kind: PingKind,
        rid: Option<Uuid>,
        now: DateTime<Utc>,
        remembered: Option<TimeDelta>,
    ) -> Pairing {
        let Some(rid) = rid else {
            // Without a run id only the remembered start can pair.
            return Pairing::Known(remembered);
        };
        let run = (check.clone(), rid);
        match kind {
            PingKind::Start => {
                self.open.insert(run, now);
                Pairing::Known(None)
            }
            PingKind::Success | PingKind::Fail => {
                // A completion closes every start of its run so far, wherever it is.
                let started_in_batch = self.open.remove(&run);
                let closed_in_batch = !self.closed.insert(run);
                if remembered.is_some() {
                    Pairing::Known(remembered)
                } else if let Some(start) = started_in_batch {
                    // The latest start of the run is this batch's, later than any in the log.
                    Pairing::Known(within_limit(start, now))
                } else if closed_in_batch {
                    Pairing::Known(None)
                } else {
                    Pairing::FromLog
                }
            }
            PingKind::Log | PingKind::Ignored => Pairing::Known(remembered),
        }
    }
}

/// The duration of a completion at `now` whose run's latest open start in the log (as it
/// was before the batch) is `start`.
pub fn from_log(start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<TimeDelta> {
    start.and_then(|start| within_limit(start, now))
}

/// The earliest start a completion at `now` can pair with.
pub fn earliest_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - MAX_RUN
}

fn within_limit(start: DateTime<Utc>, now: DateTime<Utc>) -> Option<TimeDelta> {
    (start >= earliest_start(now)).then(|| now - start)
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
