//! Unit tests for the check state machine, against healthchecks' documented behaviour
//! (reference sections 1.3, 1.4, 2.2, 2.3 and conformance behaviours 1-28, 47-48).

use super::*;
use chrono::TimeZone;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// A fixed UTC instant.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// The instant most pings in these tests arrive at.
fn now() -> DateTime<Utc> {
    at(2026, 1, 15, 12, 0, 0)
}

/// Period of the simple test schedule: one hour.
const TIMEOUT: i64 = 3_600;
/// Grace of the test checks: ten minutes.
const GRACE: i64 = 600;

fn rid_a() -> Uuid {
    Uuid::from_u128(0xaaaa_aaaa_aaaa_4aaa_8aaa_aaaa_aaaa_aaaa)
}

fn rid_b() -> Uuid {
    Uuid::from_u128(0xbbbb_bbbb_bbbb_4bbb_8bbb_bbbb_bbbb_bbbb)
}

/// A simple (hourly, 10 min grace) check that is `new` and has never pinged.
fn new_check() -> CheckState {
    CheckState::new(Schedule::simple(TIMEOUT), secs(GRACE))
}

/// A simple check with the given stored status. Every status but `new` has a last ping
/// ten minutes before `now()` (a paused or down check keeps the ping it had).
fn check_with(status: Status) -> CheckState {
    let mut state = new_check();
    state.status = status;
    if status != Status::New {
        state.last_ping = Some(now() - secs(600));
    }
    state
}

/// `check_with(status)` that also received a `/start` (optionally with a rid) at `started`.
fn running(status: Status, started: DateTime<Utc>, rid: Option<Uuid>) -> CheckState {
    let mut state = check_with(status);
    state.last_start = Some(started);
    state.last_start_rid = rid;
    state
}

/// A check on a cron schedule in a time zone, 1 h grace, up, last pinged at `last_ping`.
fn cron_up(expr: &str, tz: &str, last_ping: DateTime<Utc>) -> CheckState {
    let mut state = CheckState::new(Schedule::cron(expr, tz).unwrap(), secs(3_600));
    state.status = Status::Up;
    state.last_ping = Some(last_ping);
    state
}

/// The runtime fields of a state, for whole-state comparisons (`CheckState` is not `Eq`).
type Runtime = (
    Status,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<Uuid>,
    Option<TimeDelta>,
);

fn runtime(state: &CheckState) -> Runtime {
    (
        state.status,
        state.last_ping,
        state.last_start,
        state.last_start_rid,
        state.last_duration,
    )
}

fn flip(at: DateTime<Utc>, old: Status, new: Status, reason: FlipReason) -> Flip {
    Flip {
        at,
        old,
        new,
        reason,
    }
}

// ---------------------------------------------------------------------------------------
// Enum string forms
// ---------------------------------------------------------------------------------------

#[test]
fn status_as_str_and_parse_round_trip_for_every_status() {
    for status in [Status::New, Status::Up, Status::Down, Status::Paused] {
        assert_eq!(Status::parse(status.as_str()), Some(status));
    }
    assert_eq!(Status::New.as_str(), "new");
    assert_eq!(Status::Up.as_str(), "up");
    assert_eq!(Status::Down.as_str(), "down");
    assert_eq!(Status::Paused.as_str(), "paused");
}

#[test]
fn status_parse_rejects_unknown_and_display_only_values() {
    assert_eq!(Status::parse(""), None);
    assert_eq!(Status::parse("UP"), None);
    assert_eq!(Status::parse("grace"), None);
    assert_eq!(Status::parse("started"), None);
}

#[test]
fn display_status_strings_match_the_api() {
    assert_eq!(DisplayStatus::New.as_str(), "new");
    assert_eq!(DisplayStatus::Up.as_str(), "up");
    assert_eq!(DisplayStatus::Grace.as_str(), "grace");
    assert_eq!(DisplayStatus::Down.as_str(), "down");
    assert_eq!(DisplayStatus::Paused.as_str(), "paused");
    assert_eq!(DisplayStatus::Started.as_str(), "started");
}

#[test]
fn flip_reason_strings() {
    assert_eq!(FlipReason::Timeout.as_str(), "timeout");
    assert_eq!(FlipReason::Fail.as_str(), "fail");
    assert_eq!(FlipReason::Success.as_str(), "success");
    assert_eq!(FlipReason::Pause.as_str(), "pause");
    assert_eq!(FlipReason::Resume.as_str(), "resume");
}

#[test]
fn new_check_state_is_new_and_empty() {
    let state = new_check();

    assert_eq!(runtime(&state), (Status::New, None, None, None, None));
    assert_eq!(state.grace, secs(GRACE));
    assert!(!state.is_running());
}

// ---------------------------------------------------------------------------------------
// Flip::notifies
// ---------------------------------------------------------------------------------------

#[test]
fn flip_to_down_always_notifies() {
    for old in [Status::New, Status::Up, Status::Paused] {
        for reason in [FlipReason::Fail, FlipReason::Timeout] {
            assert!(
                flip(now(), old, Status::Down, reason).notifies(),
                "{old:?} -> down ({reason:?})"
            );
        }
    }
}

#[test]
fn flip_down_to_up_notifies() {
    assert!(flip(now(), Status::Down, Status::Up, FlipReason::Success).notifies());
}

#[test]
fn flip_new_to_up_does_not_notify() {
    assert!(!flip(now(), Status::New, Status::Up, FlipReason::Success).notifies());
}

#[test]
fn flip_paused_to_up_does_not_notify() {
    assert!(!flip(now(), Status::Paused, Status::Up, FlipReason::Success).notifies());
}

#[test]
fn pause_and_resume_flips_never_notify() {
    for old in [Status::New, Status::Up, Status::Down] {
        assert!(!flip(now(), old, Status::Paused, FlipReason::Pause).notifies());
    }
    assert!(!flip(now(), Status::Paused, Status::New, FlipReason::Resume).notifies());
}

mod deadlines;
mod on_ping;
mod pause_and_dst;
mod status_at;
