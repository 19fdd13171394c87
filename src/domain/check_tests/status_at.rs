//! The status a check shows at a given instant.

use super::*;

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
