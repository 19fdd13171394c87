//! The check state machine: what a ping, the passage of time, a pause or a resume does to
//! a check. Pure functions over [`CheckState`]; the store loads, calls and saves.

use super::ping::PingKind;
use super::schedule::Schedule;
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

/// The status that is stored. `grace` and `started` are derived from it and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Up,
    Down,
    Paused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Up => "up",
            Status::Down => "down",
            Status::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "new" => Status::New,
            "up" => Status::Up,
            "down" => Status::Down,
            "paused" => Status::Paused,
            _ => return None,
        })
    }
}

/// The status a person sees at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayStatus {
    New,
    Up,
    Grace,
    Down,
    Paused,
    /// Running: a start signal came and no completion yet (shown only where asked for).
    Started,
}

impl DisplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayStatus::New => "new",
            DisplayStatus::Up => "up",
            DisplayStatus::Grace => "grace",
            DisplayStatus::Down => "down",
            DisplayStatus::Paused => "paused",
            DisplayStatus::Started => "started",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlipReason {
    /// No ping in time, or a run that started and did not finish within the grace time.
    Timeout,
    /// A failure signal (`/fail`, a non-zero exit status, a failure keyword).
    Fail,
    /// A success signal.
    Success,
    Pause,
    Resume,
}

impl FlipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlipReason::Timeout => "timeout",
            FlipReason::Fail => "fail",
            FlipReason::Success => "success",
            FlipReason::Pause => "pause",
            FlipReason::Resume => "resume",
        }
    }

    pub fn parse(s: &str) -> Option<FlipReason> {
        Some(match s {
            "timeout" => FlipReason::Timeout,
            "fail" => FlipReason::Fail,
            "success" => FlipReason::Success,
            "pause" => FlipReason::Pause,
            "resume" => FlipReason::Resume,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flip {
    pub at: DateTime<Utc>,
    pub old: Status,
    pub new: Status,
    pub reason: FlipReason,
}

impl Flip {
    /// Whether the check's channels hear of this flip. Going down always notifies;
    /// coming up notifies only after being down (a new or resumed check coming up is
    /// not news); pausing and resuming never notify.
    pub fn notifies(&self) -> bool {
        match self.new {
            Status::Down => true,
            Status::Up => self.old == Status::Down,
            Status::New | Status::Paused => false,
        }
    }
}

/// The runtime state of a check, as the state machine needs it.
#[derive(Debug, Clone)]
pub struct CheckState {
    pub status: Status,
    pub schedule: Schedule,
    pub grace: TimeDelta,
    pub last_ping: Option<DateTime<Utc>>,
    pub last_start: Option<DateTime<Utc>>,
    pub last_start_rid: Option<Uuid>,
    pub last_duration: Option<TimeDelta>,
}

impl CheckState {
    pub fn new(schedule: Schedule, grace: TimeDelta) -> Self {
        CheckState {
            status: Status::New,
            schedule,
            grace,
            last_ping: None,
            last_start: None,
            last_start_rid: None,
            last_duration: None,
        }
    }

    /// When the check becomes late. With `with_started`, a running check is late from
    /// its start (so it goes down once a run outlasts the grace time).
    pub fn grace_start(&self, with_started: bool) -> Option<DateTime<Utc>> {
        let expected = match (self.status, self.last_ping) {
            (Status::Up, Some(last_ping)) => self.schedule.next_expected(last_ping),
            _ => None,
        };
        let running = self
            .last_start
            .filter(|_| with_started && self.status != Status::Down);
        match (expected, running) {
            (Some(e), Some(s)) => Some(e.min(s)),
            (e, s) => e.or(s),
        }
    }

    /// The instant the check goes down if nothing else happens: what the scheduler's
    /// index is keyed on. `None` means never (new, paused or already down, and not running).
    pub fn alert_after(&self) -> Option<DateTime<Utc>> {
        self.grace_start(true)
            .and_then(|t| t.checked_add_signed(self.grace))
    }

    /// The status at `now`. `with_started` reports a running check as `Started`
    /// (API v1 does; later versions report the underlying status and a flag).
    pub fn status_at(&self, now: DateTime<Utc>, with_started: bool) -> DisplayStatus {
        if let Some(start) = self.last_start {
            if now >= start + self.grace {
                return DisplayStatus::Down;
            }
            if with_started {
                return DisplayStatus::Started;
            }
        }
        match self.status {
            Status::New => return DisplayStatus::New,
            Status::Paused => return DisplayStatus::Paused,
            Status::Down => return DisplayStatus::Down,
            Status::Up => {}
        }
        match self.grace_start(false) {
            None => DisplayStatus::Up,
            Some(gs) if now >= gs + self.grace => DisplayStatus::Down,
            Some(gs) if now >= gs => DisplayStatus::Grace,
            Some(_) => DisplayStatus::Up,
        }
    }

    pub fn is_running(&self) -> bool {
        self.last_start.is_some()
    }
}

/// What a ping did to a check.
#[derive(Debug, Clone)]
pub struct PingOutcome {
    pub state: CheckState,
    pub flip: Option<Flip>,
    /// Time since the matching start, when this completion closes a run.
    pub duration: Option<TimeDelta>,
}

/// Applies one classified ping to a check.
pub fn on_ping(
    state: &CheckState,
    kind: PingKind,
    rid: Option<Uuid>,
    now: DateTime<Utc>,
) -> PingOutcome {
    let mut next = state.clone();
    let mut flip = None;
    let mut duration = None;
    match kind {
        PingKind::Start => {
            next.last_start = Some(now);
            next.last_start_rid = rid;
        }
        PingKind::Success | PingKind::Fail => {
            next.last_ping = Some(now);
            next.last_duration = None;
            if let Some(start) = state.last_start {
                if state.last_start_rid == rid {
                    duration = Some(now - start);
                    next.last_duration = duration;
                    next.last_start = None;
                    next.last_start_rid = None;
                } else if kind == PingKind::Fail || rid.is_none() {
                    next.last_start = None;
                    next.last_start_rid = None;
                }
                // A success for another run leaves this one running.
            }
            let (new_status, reason) = if kind == PingKind::Fail {
                (Status::Down, FlipReason::Fail)
            } else {
                (Status::Up, FlipReason::Success)
            };
            if new_status != state.status {
                next.status = new_status;
                flip = Some(Flip {
                    at: now,
                    old: state.status,
                    new: new_status,
                    reason,
                });
            }
        }
        PingKind::Log | PingKind::Ignored => {}
    }
    PingOutcome {
        state: next,
        flip,
        duration,
    }
}

/// What the scheduler should do with a check whose `alert_after` has passed.
#[derive(Debug, Clone, PartialEq)]
pub enum DeadlineOutcome {
    /// The check is down; the flip is dated at the exact deadline, not when it was noticed.
    GoesDown(Flip),
    /// Not down (a stale deadline): store this one instead.
    Reschedule(Option<DateTime<Utc>>),
}

pub fn on_deadline(state: &CheckState, now: DateTime<Utc>) -> DeadlineOutcome {
    if state.status != Status::Down
        && state.status_at(now, false) == DisplayStatus::Down
        && let Some(deadline) = state.alert_after()
    {
        return DeadlineOutcome::GoesDown(Flip {
            at: deadline,
            old: state.status,
            new: Status::Down,
            reason: FlipReason::Timeout,
        });
    }
    DeadlineOutcome::Reschedule(state.alert_after())
}

/// The state after the scheduler's flip to down.
pub fn went_down(state: &CheckState) -> CheckState {
    CheckState {
        status: Status::Down,
        ..state.clone()
    }
}

/// Pausing stops monitoring until the next ping (or an explicit resume with
/// `manual_resume`). Pausing a paused check changes nothing.
pub fn pause(state: &CheckState, now: DateTime<Utc>) -> Option<(CheckState, Flip)> {
    if state.status == Status::Paused {
        return None;
    }
    let next = CheckState {
        status: Status::Paused,
        last_start: None,
        last_start_rid: None,
        ..state.clone()
    };
    let flip = Flip {
        at: now,
        old: state.status,
        new: Status::Paused,
        reason: FlipReason::Pause,
    };
    Some((next, flip))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPaused;

/// Resuming returns a paused check to `new`, forgetting its last ping.
pub fn resume(state: &CheckState, now: DateTime<Utc>) -> Result<(CheckState, Flip), NotPaused> {
    if state.status != Status::Paused {
        return Err(NotPaused);
    }
    let next = CheckState {
        status: Status::New,
        last_ping: None,
        last_start: None,
        last_start_rid: None,
        ..state.clone()
    };
    let flip = Flip {
        at: now,
        old: Status::Paused,
        new: Status::New,
        reason: FlipReason::Resume,
    };
    Ok((next, flip))
}

#[cfg(test)]
#[path = "check_tests/mod.rs"]
mod tests;
