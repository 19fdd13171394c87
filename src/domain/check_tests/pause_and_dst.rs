//! Pausing and resuming, and cron checks across daylight-saving changes.

use super::*;

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
