//! The state machine's answer to each ping: every status against every ping kind, and
//! start/rid pairing with run durations.

use super::*;

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
