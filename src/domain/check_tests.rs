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

// ---------------------------------------------------------------------------------------
// on_ping: every stored status x every ping kind
// ---------------------------------------------------------------------------------------

// --- success ---

#[test]
fn success_on_new_check_flips_up_without_notification() {
    let state = check_with(Status::New);

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::New, Status::Up, FlipReason::Success))
    );
    assert!(!out.flip.unwrap().notifies());
    assert_eq!(out.duration, None);
}

#[test]
fn success_on_up_check_stays_up_without_flip_and_moves_last_ping() {
    let state = check_with(Status::Up);

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(out.flip, None);
    assert_eq!(out.duration, None);
}

#[test]
fn success_on_down_check_flips_up_and_notifies() {
    let state = check_with(Status::Down);

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::Down, Status::Up, FlipReason::Success))
    );
    assert!(out.flip.unwrap().notifies());
}

#[test]
fn success_on_paused_check_flips_up_without_notification() {
    let state = check_with(Status::Paused);

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::Paused, Status::Up, FlipReason::Success))
    );
    assert!(!out.flip.unwrap().notifies());
}

// --- fail ---

#[test]
fn fail_on_new_check_flips_down_with_reason_fail_and_notifies() {
    let state = check_with(Status::New);

    let out = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::New, Status::Down, FlipReason::Fail))
    );
    assert!(out.flip.unwrap().notifies());
    assert_eq!(out.duration, None);
}

#[test]
fn fail_on_up_check_flips_down_with_reason_fail_and_notifies() {
    let state = check_with(Status::Up);

    let out = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::Up, Status::Down, FlipReason::Fail))
    );
    assert!(out.flip.unwrap().notifies());
}

#[test]
fn fail_on_down_check_makes_no_flip_but_moves_last_ping() {
    let state = check_with(Status::Down);

    let out = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(out.flip, None);
    assert_eq!(out.duration, None);
}

#[test]
fn fail_on_paused_check_flips_down_with_reason_fail_and_notifies() {
    let state = check_with(Status::Paused);

    let out = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::Paused, Status::Down, FlipReason::Fail))
    );
    assert!(out.flip.unwrap().notifies());
}

// --- start ---

fn assert_start_only_marks_running(status: Status) {
    let state = check_with(status);

    let out = on_ping(&state, PingKind::Start, Some(rid_a()), now());

    assert_eq!(out.state.status, status, "status stays {status:?}");
    assert_eq!(out.state.last_ping, state.last_ping, "last_ping untouched");
    assert_eq!(out.state.last_start, Some(now()));
    assert_eq!(out.state.last_start_rid, Some(rid_a()));
    assert!(out.state.is_running());
    assert_eq!(out.flip, None);
    assert_eq!(out.duration, None);
}

#[test]
fn start_on_new_check_stays_new_and_starts_running() {
    assert_start_only_marks_running(Status::New);
}

#[test]
fn start_on_up_check_stays_up_and_starts_running() {
    assert_start_only_marks_running(Status::Up);
}

#[test]
fn start_on_down_check_stays_down_and_starts_running() {
    assert_start_only_marks_running(Status::Down);
}

#[test]
fn start_on_paused_check_stays_paused_and_starts_running() {
    assert_start_only_marks_running(Status::Paused);
}

// --- log and ignored ---

fn assert_changes_nothing(status: Status, kind: PingKind) {
    // A running check with a previous duration: nothing of it may move.
    let mut state = running(status, now() - secs(30), Some(rid_a()));
    state.last_duration = Some(secs(42));

    let out = on_ping(&state, kind, Some(rid_a()), now());

    assert_eq!(
        runtime(&out.state),
        runtime(&state),
        "{status:?} + {kind:?}"
    );
    assert_eq!(out.state.alert_after(), state.alert_after());
    assert_eq!(out.flip, None);
    assert_eq!(out.duration, None);
}

#[test]
fn log_on_new_check_changes_nothing() {
    assert_changes_nothing(Status::New, PingKind::Log);
}

#[test]
fn log_on_up_check_changes_nothing() {
    assert_changes_nothing(Status::Up, PingKind::Log);
}

#[test]
fn log_on_down_check_changes_nothing() {
    assert_changes_nothing(Status::Down, PingKind::Log);
}

#[test]
fn log_on_paused_check_changes_nothing() {
    assert_changes_nothing(Status::Paused, PingKind::Log);
}

#[test]
fn ignored_on_new_check_changes_nothing() {
    assert_changes_nothing(Status::New, PingKind::Ignored);
}

#[test]
fn ignored_on_up_check_changes_nothing() {
    assert_changes_nothing(Status::Up, PingKind::Ignored);
}

#[test]
fn ignored_on_down_check_changes_nothing() {
    assert_changes_nothing(Status::Down, PingKind::Ignored);
}

#[test]
fn ignored_on_paused_check_changes_nothing() {
    assert_changes_nothing(Status::Paused, PingKind::Ignored);
}

#[test]
fn log_on_up_check_leaves_last_ping_and_alert_after_unchanged() {
    let state = check_with(Status::Up);
    let before = state.alert_after();

    let out = on_ping(&state, PingKind::Log, None, now());

    assert_eq!(out.state.last_ping, state.last_ping);
    assert_eq!(out.state.alert_after(), before);
    assert!(before.is_some());
}

#[test]
fn on_ping_does_not_modify_the_input_state() {
    let state = check_with(Status::Up);
    let before = runtime(&state);

    let _ = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(runtime(&state), before);
}

// ---------------------------------------------------------------------------------------
// on_ping: start / rid pairing and durations
// ---------------------------------------------------------------------------------------

#[test]
fn start_then_success_without_rid_records_duration_and_clears_last_start() {
    let started = now() - secs(2);
    let state = on_ping(&new_check(), PingKind::Start, None, started).state;

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.duration, Some(secs(2)));
    assert_eq!(out.state.last_duration, Some(secs(2)));
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.state.last_start_rid, None);
    assert!(!out.state.is_running());
    assert_eq!(out.state.status, Status::Up);
}

#[test]
fn start_rid_a_then_success_rid_a_records_duration_and_clears_last_start() {
    let started = now() - secs(90);
    let state = on_ping(&new_check(), PingKind::Start, Some(rid_a()), started).state;

    let out = on_ping(&state, PingKind::Success, Some(rid_a()), now());

    assert_eq!(out.duration, Some(secs(90)));
    assert_eq!(out.state.last_duration, Some(secs(90)));
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.state.last_start_rid, None);
    assert_eq!(out.state.status, Status::Up);
}

#[test]
fn start_rid_a_then_fail_rid_a_records_duration_and_goes_down() {
    let started = now() - secs(90);
    let state = on_ping(
        &check_with(Status::Up),
        PingKind::Start,
        Some(rid_a()),
        started,
    )
    .state;

    let out = on_ping(&state, PingKind::Fail, Some(rid_a()), now());

    assert_eq!(out.duration, Some(secs(90)));
    assert_eq!(out.state.last_duration, Some(secs(90)));
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.state.status, Status::Down);
}

#[test]
fn start_rid_a_then_success_rid_b_keeps_running_without_duration_and_is_up() {
    let started = now() - secs(30);
    let state = on_ping(&new_check(), PingKind::Start, Some(rid_a()), started).state;

    let out = on_ping(&state, PingKind::Success, Some(rid_b()), now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_ping, Some(now()));
    assert_eq!(out.state.last_start, Some(started), "still running");
    assert_eq!(out.state.last_start_rid, Some(rid_a()));
    assert_eq!(out.duration, None);
    assert_eq!(out.state.last_duration, None);
    assert_eq!(
        out.flip,
        Some(flip(now(), Status::New, Status::Up, FlipReason::Success))
    );
}

#[test]
fn start_rid_a_then_fail_rid_b_clears_last_start_without_duration_and_is_down() {
    let started = now() - secs(30);
    let state = on_ping(
        &check_with(Status::Up),
        PingKind::Start,
        Some(rid_a()),
        started,
    )
    .state;

    let out = on_ping(&state, PingKind::Fail, Some(rid_b()), now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.state.last_start_rid, None);
    assert_eq!(out.duration, None);
    assert_eq!(out.state.last_duration, None);
}

#[test]
fn start_rid_a_then_success_without_rid_clears_last_start_without_duration() {
    let started = now() - secs(30);
    let state = on_ping(
        &check_with(Status::Up),
        PingKind::Start,
        Some(rid_a()),
        started,
    )
    .state;

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.state.last_start_rid, None);
    assert_eq!(out.duration, None);
    assert_eq!(out.state.last_duration, None);
}

#[test]
fn start_rid_a_then_fail_without_rid_clears_last_start_without_duration() {
    let started = now() - secs(30);
    let state = on_ping(
        &check_with(Status::Up),
        PingKind::Start,
        Some(rid_a()),
        started,
    )
    .state;

    let out = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.duration, None);
}

#[test]
fn start_without_rid_then_success_with_rid_a_keeps_running_without_duration() {
    let started = now() - secs(30);
    let state = on_ping(&check_with(Status::Up), PingKind::Start, None, started).state;

    let out = on_ping(&state, PingKind::Success, Some(rid_a()), now());

    assert_eq!(out.state.status, Status::Up);
    assert_eq!(out.state.last_start, Some(started));
    assert_eq!(out.state.last_start_rid, None);
    assert_eq!(out.duration, None);
}

#[test]
fn start_without_rid_then_fail_with_rid_a_clears_last_start_without_duration() {
    let started = now() - secs(30);
    let state = on_ping(&check_with(Status::Up), PingKind::Start, None, started).state;

    let out = on_ping(&state, PingKind::Fail, Some(rid_a()), now());

    assert_eq!(out.state.status, Status::Down);
    assert_eq!(out.state.last_start, None);
    assert_eq!(out.duration, None);
}

#[test]
fn start_leaves_last_ping_untouched_even_when_never_pinged() {
    let out = on_ping(&new_check(), PingKind::Start, None, now());

    assert_eq!(out.state.last_ping, None);
    assert_eq!(out.state.status, Status::New);
    assert_eq!(out.state.last_start, Some(now()));
}

#[test]
fn second_start_replaces_the_first_start_and_its_rid() {
    let first = now() - secs(100);
    let second = now() - secs(40);
    let state = on_ping(
        &check_with(Status::Up),
        PingKind::Start,
        Some(rid_a()),
        first,
    )
    .state;
    let state = on_ping(&state, PingKind::Start, Some(rid_b()), second).state;

    assert_eq!(state.last_start, Some(second));
    assert_eq!(state.last_start_rid, Some(rid_b()));

    let out = on_ping(&state, PingKind::Success, Some(rid_b()), now());
    assert_eq!(out.duration, Some(secs(40)));
}

#[test]
fn start_does_not_reset_a_previous_last_duration() {
    let mut state = check_with(Status::Up);
    state.last_duration = Some(secs(7));

    let out = on_ping(&state, PingKind::Start, None, now());

    assert_eq!(out.state.last_duration, Some(secs(7)));
}

#[test]
fn success_without_a_start_resets_last_duration_to_none() {
    let mut state = check_with(Status::Up);
    state.last_duration = Some(secs(7));

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.state.last_duration, None);
    assert_eq!(out.duration, None);
}

#[test]
fn fail_without_a_start_resets_last_duration_to_none() {
    let mut state = check_with(Status::Up);
    state.last_duration = Some(secs(7));

    let out = on_ping(&state, PingKind::Fail, None, now());

    assert_eq!(out.state.last_duration, None);
    assert_eq!(out.duration, None);
}

#[test]
fn unpaired_success_for_another_run_resets_last_duration_to_none() {
    let mut state = running(Status::Up, now() - secs(30), Some(rid_a()));
    state.last_duration = Some(secs(7));

    let out = on_ping(&state, PingKind::Success, Some(rid_b()), now());

    assert_eq!(out.state.last_duration, None);
    assert_eq!(out.duration, None);
}

#[test]
fn completion_after_the_check_went_down_for_a_long_run_still_records_duration() {
    // Started, ran past grace (the scheduler flipped it down), then finished.
    let started = now() - secs(GRACE + 60);
    let state = went_down(&running(Status::Up, started, None));

    let out = on_ping(&state, PingKind::Success, None, now());

    assert_eq!(out.duration, Some(secs(GRACE + 60)));
    assert_eq!(out.state.status, Status::Up);
    assert!(out.flip.unwrap().notifies());
}

// ---------------------------------------------------------------------------------------
// grace_start / alert_after
// ---------------------------------------------------------------------------------------

#[test]
fn simple_up_check_grace_starts_one_period_after_last_ping() {
    let last_ping = at(2026, 1, 15, 10, 0, 0);
    let mut state = check_with(Status::Up);
    state.last_ping = Some(last_ping);

    assert_eq!(state.grace_start(true), Some(at(2026, 1, 15, 11, 0, 0)));
    assert_eq!(state.grace_start(false), Some(at(2026, 1, 15, 11, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 1, 15, 11, 10, 0)));
}

#[test]
fn hourly_cron_pinged_at_half_past_grace_starts_at_the_full_hour() {
    let state = cron_up("0 * * * *", "UTC", at(2026, 1, 15, 10, 30, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 1, 15, 11, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 1, 15, 12, 0, 0)));
}

#[test]
fn hourly_cron_pinged_exactly_on_the_hour_expects_the_next_hour() {
    let state = cron_up("0 * * * *", "UTC", at(2026, 1, 15, 11, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 1, 15, 12, 0, 0)));
}

#[test]
fn hourly_cron_pinged_slightly_early_counts_for_the_previous_slot() {
    // 10:59:30 is before the 11:00 firing: the ping counts for 10:00, 11:00 is due.
    let state = cron_up("0 * * * *", "UTC", at(2026, 1, 15, 10, 59, 30));

    assert_eq!(state.grace_start(true), Some(at(2026, 1, 15, 11, 0, 0)));
}

#[test]
fn new_check_has_no_grace_start_or_alert_after() {
    let state = check_with(Status::New);

    assert_eq!(state.grace_start(true), None);
    assert_eq!(state.grace_start(false), None);
    assert_eq!(state.alert_after(), None);
}

#[test]
fn paused_check_has_no_grace_start_or_alert_after_even_with_a_last_ping() {
    let state = check_with(Status::Paused);
    assert!(state.last_ping.is_some());

    assert_eq!(state.grace_start(true), None);
    assert_eq!(state.grace_start(false), None);
    assert_eq!(state.alert_after(), None);
}

#[test]
fn down_check_has_no_grace_start_or_alert_after_even_with_a_last_ping() {
    let state = check_with(Status::Down);
    assert!(state.last_ping.is_some());

    assert_eq!(state.grace_start(true), None);
    assert_eq!(state.alert_after(), None);
}

#[test]
fn running_up_check_grace_starts_at_last_start_when_earlier_than_expected() {
    // Expected at last_ping + 1 h = 12:50; started at 12:00.
    let started = now();
    let state = running(Status::Up, started, None);
    let expected = state.last_ping.unwrap() + secs(TIMEOUT);
    assert!(started < expected);

    assert_eq!(state.grace_start(true), Some(started));
    assert_eq!(state.alert_after(), Some(started + secs(GRACE)));
    // Without `with_started` only the schedule counts.
    assert_eq!(state.grace_start(false), Some(expected));
}

#[test]
fn running_up_check_grace_starts_at_expected_when_earlier_than_last_start() {
    let mut state = running(Status::Up, now(), None);
    state.last_ping = Some(now() - secs(2 * TIMEOUT));
    let expected = now() - secs(TIMEOUT);

    assert_eq!(state.grace_start(true), Some(expected));
    assert_eq!(state.alert_after(), Some(expected + secs(GRACE)));
}

#[test]
fn running_new_check_goes_down_grace_after_its_start() {
    let started = now();
    let state = running(Status::New, started, None);

    assert_eq!(state.grace_start(true), Some(started));
    assert_eq!(state.grace_start(false), None);
    assert_eq!(state.alert_after(), Some(started + secs(GRACE)));
}

#[test]
fn running_paused_check_goes_down_grace_after_its_start() {
    let started = now();
    let state = running(Status::Paused, started, None);

    assert_eq!(state.grace_start(true), Some(started));
    assert_eq!(state.grace_start(false), None);
    assert_eq!(state.alert_after(), Some(started + secs(GRACE)));
}

#[test]
fn running_down_check_has_no_grace_start_or_alert_after() {
    let state = running(Status::Down, now(), None);

    assert_eq!(state.grace_start(true), None);
    assert_eq!(state.grace_start(false), None);
    assert_eq!(state.alert_after(), None);
}

#[test]
fn cron_check_that_can_never_fire_again_has_no_alert_after() {
    // 30 February never comes.
    let state = cron_up("0 0 30 2 *", "UTC", now());

    assert_eq!(state.grace_start(true), None);
    assert_eq!(state.alert_after(), None);
    assert_eq!(
        state.status_at(now() + secs(400 * 86_400), false),
        DisplayStatus::Up
    );
}

// ---------------------------------------------------------------------------------------
// status_at
// ---------------------------------------------------------------------------------------

#[test]
fn up_check_is_up_until_grace_start_then_grace_then_down_at_grace_end() {
    let mut state = check_with(Status::Up);
    state.last_ping = Some(at(2026, 1, 15, 10, 0, 0));
    let grace_start = at(2026, 1, 15, 11, 0, 0);
    let grace_end = at(2026, 1, 15, 11, 10, 0);

    assert_eq!(
        state.status_at(at(2026, 1, 15, 10, 0, 0), false),
        DisplayStatus::Up
    );
    assert_eq!(
        state.status_at(grace_start - secs(1), false),
        DisplayStatus::Up
    );
    assert_eq!(state.status_at(grace_start, false), DisplayStatus::Grace);
    assert_eq!(
        state.status_at(grace_end - secs(1), false),
        DisplayStatus::Grace
    );
    assert_eq!(state.status_at(grace_end, false), DisplayStatus::Down);
    assert_eq!(
        state.status_at(grace_end + secs(86_400), false),
        DisplayStatus::Down
    );
}

#[test]
fn with_started_makes_no_difference_to_a_check_that_is_not_running() {
    let mut state = check_with(Status::Up);
    state.last_ping = Some(at(2026, 1, 15, 10, 0, 0));

    for t in [
        at(2026, 1, 15, 10, 30, 0),
        at(2026, 1, 15, 11, 5, 0),
        at(2026, 1, 15, 11, 10, 0),
    ] {
        assert_eq!(state.status_at(t, true), state.status_at(t, false));
    }
}

#[test]
fn stored_down_check_displays_down() {
    let state = check_with(Status::Down);

    assert_eq!(state.status_at(now(), false), DisplayStatus::Down);
    assert_eq!(state.status_at(now(), true), DisplayStatus::Down);
}

#[test]
fn new_check_not_running_stays_new_forever() {
    let state = check_with(Status::New);

    assert_eq!(state.status_at(now(), false), DisplayStatus::New);
    assert_eq!(
        state.status_at(now() + secs(10 * 86_400), true),
        DisplayStatus::New
    );
}

#[test]
fn paused_check_not_running_stays_paused_forever() {
    let state = check_with(Status::Paused);

    assert_eq!(state.status_at(now(), false), DisplayStatus::Paused);
    assert_eq!(
        state.status_at(now() + secs(10 * 86_400), true),
        DisplayStatus::Paused
    );
}

#[test]
fn running_check_with_started_shows_started_until_the_run_expires() {
    let started = now();
    for status in [Status::New, Status::Up, Status::Paused, Status::Down] {
        let state = running(status, started, None);

        assert_eq!(
            state.status_at(started, true),
            DisplayStatus::Started,
            "{status:?}"
        );
        assert_eq!(
            state.status_at(started + secs(GRACE - 1), true),
            DisplayStatus::Started,
            "{status:?}"
        );
    }
}

#[test]
fn running_check_without_started_shows_its_underlying_status() {
    let started = now();
    let cases = [
        (Status::New, DisplayStatus::New),
        (Status::Up, DisplayStatus::Up),
        (Status::Paused, DisplayStatus::Paused),
        (Status::Down, DisplayStatus::Down),
    ];
    for (status, shown) in cases {
        let state = running(status, started, None);

        assert_eq!(
            state.status_at(started + secs(60), false),
            shown,
            "{status:?}"
        );
    }
}

#[test]
fn running_up_check_without_started_still_goes_to_grace_on_schedule() {
    // Last ping 12:00 - 10 min, so grace starts at 12:50; the run started 12:45 and has
    // not expired at 12:51.
    let state = running(Status::Up, now() + secs(45 * 60), None);

    assert_eq!(
        state.status_at(now() + secs(51 * 60), false),
        DisplayStatus::Grace
    );
    assert_eq!(
        state.status_at(now() + secs(51 * 60), true),
        DisplayStatus::Started
    );
}

#[test]
fn running_new_check_is_down_from_exactly_last_start_plus_grace() {
    let started = now();
    let state = running(Status::New, started, None);
    let expiry = started + secs(GRACE);

    assert_eq!(state.status_at(expiry - secs(1), false), DisplayStatus::New);
    assert_eq!(state.status_at(expiry, false), DisplayStatus::Down);
    assert_eq!(state.status_at(expiry, true), DisplayStatus::Down);
}

#[test]
fn running_up_check_is_down_past_last_start_plus_grace() {
    let started = now();
    let state = running(Status::Up, started, None);
    let expiry = started + secs(GRACE);

    assert_eq!(state.status_at(expiry - secs(1), false), DisplayStatus::Up);
    assert_eq!(state.status_at(expiry, false), DisplayStatus::Down);
    assert_eq!(state.status_at(expiry + secs(1), true), DisplayStatus::Down);
}

#[test]
fn running_paused_check_is_down_past_last_start_plus_grace() {
    let started = now();
    let state = running(Status::Paused, started, None);
    let expiry = started + secs(GRACE);

    assert_eq!(
        state.status_at(expiry - secs(1), false),
        DisplayStatus::Paused
    );
    assert_eq!(state.status_at(expiry, false), DisplayStatus::Down);
    assert_eq!(state.status_at(expiry, true), DisplayStatus::Down);
}

#[test]
fn hourly_cron_pinged_at_half_past_is_in_grace_from_the_hour_and_down_after_grace() {
    let state = cron_up("0 * * * *", "UTC", at(2026, 1, 15, 10, 30, 0));

    assert_eq!(
        state.status_at(at(2026, 1, 15, 10, 59, 59), false),
        DisplayStatus::Up
    );
    assert_eq!(
        state.status_at(at(2026, 1, 15, 11, 0, 0), false),
        DisplayStatus::Grace
    );
    assert_eq!(
        state.status_at(at(2026, 1, 15, 11, 59, 59), false),
        DisplayStatus::Grace
    );
    assert_eq!(
        state.status_at(at(2026, 1, 15, 12, 0, 0), false),
        DisplayStatus::Down
    );
}

#[test]
fn is_running_follows_last_start() {
    assert!(!check_with(Status::Up).is_running());
    assert!(running(Status::Up, now(), None).is_running());
}

// ---------------------------------------------------------------------------------------
// on_deadline / went_down
// ---------------------------------------------------------------------------------------

#[test]
fn overdue_up_check_goes_down_dated_at_the_exact_deadline_not_now() {
    let state = check_with(Status::Up);
    let deadline = state.alert_after().unwrap();
    let noticed = deadline + secs(37);

    let out = on_deadline(&state, noticed);

    let expected = flip(deadline, Status::Up, Status::Down, FlipReason::Timeout);
    assert_eq!(out, DeadlineOutcome::GoesDown(expected));
    assert!(expected.notifies());
}

#[test]
fn up_check_goes_down_when_the_deadline_is_noticed_exactly_on_time() {
    let state = check_with(Status::Up);
    let deadline = state.alert_after().unwrap();

    let out = on_deadline(&state, deadline);

    assert_eq!(
        out,
        DeadlineOutcome::GoesDown(flip(
            deadline,
            Status::Up,
            Status::Down,
            FlipReason::Timeout
        ))
    );
}

#[test]
fn hourly_cron_check_flip_is_dated_at_the_hour_plus_grace() {
    let state = cron_up("0 * * * *", "UTC", at(2026, 1, 15, 10, 30, 0));

    let out = on_deadline(&state, at(2026, 1, 15, 12, 0, 5));

    assert_eq!(
        out,
        DeadlineOutcome::GoesDown(flip(
            at(2026, 1, 15, 12, 0, 0),
            Status::Up,
            Status::Down,
            FlipReason::Timeout
        ))
    );
}

#[test]
fn running_new_check_goes_down_at_start_plus_grace_keeping_old_status_new() {
    let started = now();
    let state = running(Status::New, started, None);

    let out = on_deadline(&state, started + secs(GRACE + 5));

    assert_eq!(
        out,
        DeadlineOutcome::GoesDown(flip(
            started + secs(GRACE),
            Status::New,
            Status::Down,
            FlipReason::Timeout
        ))
    );
}

#[test]
fn running_paused_check_goes_down_at_start_plus_grace_keeping_old_status_paused() {
    let started = now();
    let state = running(Status::Paused, started, None);

    let out = on_deadline(&state, started + secs(GRACE + 5));

    let expected = flip(
        started + secs(GRACE),
        Status::Paused,
        Status::Down,
        FlipReason::Timeout,
    );
    assert_eq!(out, DeadlineOutcome::GoesDown(expected));
    assert!(expected.notifies());
}

#[test]
fn running_up_check_goes_down_at_start_plus_grace_before_its_schedule_is_due() {
    let started = now();
    let state = running(Status::Up, started, None);

    let out = on_deadline(&state, started + secs(GRACE));

    assert_eq!(
        out,
        DeadlineOutcome::GoesDown(flip(
            started + secs(GRACE),
            Status::Up,
            Status::Down,
            FlipReason::Timeout
        ))
    );
}

#[test]
fn stale_deadline_on_a_check_pinged_since_is_rescheduled() {
    // The stored alert_after was computed from an older ping; a fresh ping came in.
    let old = check_with(Status::Up);
    let stale_deadline = old.alert_after().unwrap();
    let pinged = on_ping(&old, PingKind::Success, None, stale_deadline - secs(1)).state;

    let out = on_deadline(&pinged, stale_deadline);

    assert_eq!(
        out,
        DeadlineOutcome::Reschedule(Some(stale_deadline - secs(1) + secs(TIMEOUT + GRACE)))
    );
}

#[test]
fn deadline_noticed_during_grace_reschedules_to_grace_end() {
    let state = check_with(Status::Up);
    let grace_end = state.alert_after().unwrap();

    let out = on_deadline(&state, grace_end - secs(1));

    assert_eq!(out, DeadlineOutcome::Reschedule(Some(grace_end)));
}

#[test]
fn deadline_on_an_already_down_check_reschedules_to_never() {
    let state = check_with(Status::Down);

    assert_eq!(
        on_deadline(&state, now() + secs(86_400)),
        DeadlineOutcome::Reschedule(None)
    );
}

#[test]
fn deadline_on_a_running_down_check_reschedules_to_never() {
    let state = running(Status::Down, now(), None);

    assert_eq!(
        on_deadline(&state, now() + secs(86_400)),
        DeadlineOutcome::Reschedule(None)
    );
}

#[test]
fn deadline_on_an_idle_new_or_paused_check_reschedules_to_never() {
    for status in [Status::New, Status::Paused] {
        let state = check_with(status);

        assert_eq!(
            on_deadline(&state, now() + secs(86_400)),
            DeadlineOutcome::Reschedule(None),
            "{status:?}"
        );
    }
}

#[test]
fn went_down_sets_status_down_and_clears_alert_after() {
    let state = check_with(Status::Up);

    let down = went_down(&state);

    assert_eq!(down.status, Status::Down);
    assert_eq!(down.alert_after(), None);
    assert_eq!(down.last_ping, state.last_ping);
}

#[test]
fn went_down_on_a_running_check_keeps_the_run_but_has_no_alert_after() {
    let started = now();
    let state = running(Status::New, started, Some(rid_a()));

    let down = went_down(&state);

    assert_eq!(down.status, Status::Down);
    assert_eq!(down.last_start, Some(started));
    assert_eq!(down.last_start_rid, Some(rid_a()));
    assert_eq!(down.alert_after(), None);
    assert_eq!(
        down.status_at(started + secs(GRACE), false),
        DisplayStatus::Down
    );
}

// ---------------------------------------------------------------------------------------
// pause / resume
// ---------------------------------------------------------------------------------------

fn assert_pauses(status: Status) {
    let state = running(status, now() - secs(30), Some(rid_a()));

    let (next, flip_) = pause(&state, now()).expect("pausing a non-paused check");

    assert_eq!(next.status, Status::Paused);
    assert_eq!(next.last_start, None);
    assert_eq!(next.last_start_rid, None);
    assert_eq!(next.last_ping, state.last_ping, "pause keeps last_ping");
    assert_eq!(next.alert_after(), None);
    assert_eq!(
        next.status_at(now() + secs(86_400), false),
        DisplayStatus::Paused
    );
    assert_eq!(
        flip_,
        flip(now(), status, Status::Paused, FlipReason::Pause)
    );
    assert!(!flip_.notifies());
}

#[test]
fn pause_new_check_gives_paused_with_reason_pause() {
    assert_pauses(Status::New);
}

#[test]
fn pause_up_check_gives_paused_with_reason_pause() {
    assert_pauses(Status::Up);
}

#[test]
fn pause_down_check_gives_paused_with_reason_pause() {
    assert_pauses(Status::Down);
}

#[test]
fn pause_already_paused_check_changes_nothing() {
    assert!(pause(&check_with(Status::Paused), now()).is_none());
    assert!(pause(&running(Status::Paused, now(), None), now()).is_none());
}

#[test]
fn resume_paused_check_gives_new_with_no_last_ping_and_reason_resume() {
    let state = running(Status::Paused, now() - secs(30), Some(rid_a()));

    let (next, flip_) = resume(&state, now()).expect("resuming a paused check");

    assert_eq!(next.status, Status::New);
    assert_eq!(next.last_ping, None);
    assert_eq!(next.last_start, None);
    assert_eq!(next.last_start_rid, None);
    assert_eq!(next.alert_after(), None);
    assert_eq!(
        flip_,
        flip(now(), Status::Paused, Status::New, FlipReason::Resume)
    );
    assert!(!flip_.notifies());
}

#[test]
fn resume_non_paused_check_is_not_paused_error() {
    for status in [Status::New, Status::Up, Status::Down] {
        assert_eq!(
            resume(&check_with(status), now()).unwrap_err(),
            NotPaused,
            "{status:?}"
        );
    }
}

#[test]
fn first_success_after_resume_flips_new_to_up_without_notification() {
    let (resumed, _) = resume(&check_with(Status::Paused), now()).unwrap();

    let out = on_ping(&resumed, PingKind::Success, None, now() + secs(5));

    let f = out.flip.unwrap();
    assert_eq!((f.old, f.new), (Status::New, Status::Up));
    assert!(!f.notifies());
}

// ---------------------------------------------------------------------------------------
// DST: cron checks in time zones with daylight saving
// (module doc of cron.rs: a fixed-time job in a spring-forward gap fires once when the
// gap ends; in a repeated fall-back hour it fires only at the first occurrence)
// ---------------------------------------------------------------------------------------

const RIGA_9AM: &str = "0 9 * * *";
const NY_0230: &str = "30 2 * * *";

#[test]
fn riga_9am_in_winter_is_7_utc() {
    // EET is UTC+2.
    let state = cron_up(RIGA_9AM, "Europe/Riga", at(2026, 3, 27, 7, 5, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 3, 28, 7, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 3, 28, 8, 0, 0)));
}

#[test]
fn riga_9am_on_the_spring_forward_day_is_6_utc() {
    // Clocks go forward 2026-03-29 03:00 -> 04:00 local; 09:00 is then EEST (UTC+3).
    let state = cron_up(RIGA_9AM, "Europe/Riga", at(2026, 3, 28, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 3, 29, 6, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 3, 29, 7, 0, 0)));
}

#[test]
fn riga_9am_after_the_spring_forward_day_is_6_utc() {
    let state = cron_up(RIGA_9AM, "Europe/Riga", at(2026, 3, 29, 6, 5, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 3, 30, 6, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 3, 30, 7, 0, 0)));
}

#[test]
fn riga_9am_the_day_before_fall_back_is_6_utc() {
    let state = cron_up(RIGA_9AM, "Europe/Riga", at(2026, 10, 23, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 10, 24, 6, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 10, 24, 7, 0, 0)));
}

#[test]
fn riga_9am_on_the_fall_back_day_is_7_utc() {
    // Clocks go back 2026-10-25 04:00 -> 03:00 local; 09:00 is then EET (UTC+2).
    let state = cron_up(RIGA_9AM, "Europe/Riga", at(2026, 10, 24, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 10, 25, 7, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 10, 25, 8, 0, 0)));
}

#[test]
fn riga_check_goes_down_at_the_dst_shifted_deadline() {
    let state = cron_up(RIGA_9AM, "Europe/Riga", at(2026, 3, 28, 12, 0, 0));

    assert_eq!(
        state.status_at(at(2026, 3, 29, 6, 59, 59), false),
        DisplayStatus::Grace
    );
    assert_eq!(
        on_deadline(&state, at(2026, 3, 29, 7, 0, 30)),
        DeadlineOutcome::GoesDown(flip(
            at(2026, 3, 29, 7, 0, 0),
            Status::Up,
            Status::Down,
            FlipReason::Timeout
        ))
    );
}

#[test]
fn new_york_0230_in_winter_is_0730_utc() {
    // EST is UTC-5.
    let state = cron_up(NY_0230, "America/New_York", at(2026, 3, 6, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 3, 7, 7, 30, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 3, 7, 8, 30, 0)));
}

#[test]
fn new_york_0230_skipped_by_spring_forward_fires_when_the_gap_ends() {
    // 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist, so the job fires at
    // 03:00 EDT = 07:00 UTC.
    let state = cron_up(NY_0230, "America/New_York", at(2026, 3, 7, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 3, 8, 7, 0, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 3, 8, 8, 0, 0)));
}

#[test]
fn new_york_0230_the_day_after_spring_forward_is_0630_utc() {
    // Pinged exactly at the gap-end firing: the next is 02:30 EDT on the 9th.
    let state = cron_up(NY_0230, "America/New_York", at(2026, 3, 8, 7, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 3, 9, 6, 30, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 3, 9, 7, 30, 0)));
}

#[test]
fn new_york_0230_the_day_before_fall_back_is_0630_utc() {
    let state = cron_up(NY_0230, "America/New_York", at(2026, 10, 30, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 10, 31, 6, 30, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 10, 31, 7, 30, 0)));
}

#[test]
fn new_york_0230_on_the_fall_back_day_is_0730_utc() {
    // 2026-11-01 02:00 EDT -> 01:00 EST; 02:30 comes once, in EST (UTC-5).
    let state = cron_up(NY_0230, "America/New_York", at(2026, 10, 31, 12, 0, 0));

    assert_eq!(state.grace_start(true), Some(at(2026, 11, 1, 7, 30, 0)));
    assert_eq!(state.alert_after(), Some(at(2026, 11, 1, 8, 30, 0)));
}

#[test]
fn new_york_0130_in_the_repeated_hour_fires_only_at_the_first_occurrence() {
    // 01:30 on 2026-11-01 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    let before = cron_up("30 1 * * *", "America/New_York", at(2026, 10, 31, 12, 0, 0));
    assert_eq!(before.grace_start(true), Some(at(2026, 11, 1, 5, 30, 0)));

    // Pinged at the first occurrence: the second one is not a firing; the next is
    // 01:30 EST on the 2nd.
    let after = cron_up("30 1 * * *", "America/New_York", at(2026, 11, 1, 5, 30, 0));
    assert_eq!(after.grace_start(true), Some(at(2026, 11, 2, 6, 30, 0)));
}
