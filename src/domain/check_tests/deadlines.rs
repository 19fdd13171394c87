//! Deadlines: when grace starts and alerts are due, and going down when they pass.

use super::*;

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
