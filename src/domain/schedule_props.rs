//! Properties of schedules as checks use them: parsing any kind, expression and zone
//! never panics, a simple check is due exactly one period after its last ping, and a
//! calendar check is due strictly after it.

use super::*;
use crate::domain::check_update::guess_kind;
use crate::domain::props;
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = ScheduleKind> {
    prop::sample::select(vec![
        ScheduleKind::Simple,
        ScheduleKind::Cron,
        ScheduleKind::OnCalendar,
    ])
}

proptest! {
    #![proptest_config(props::config(256))]

    #[test]
    fn parsing_any_schedule_never_panics(
        kind in kind(),
        expr in "\\PC{0,30}|[0-9*/,@ :.~-]{0,20}|[a-zA-Z ]{0,12}",
        tz in "\\PC{0,12}|[A-Za-z_/]{0,20}",
    ) {
        let _ = Schedule::parse(kind, &expr, &tz);
        let _ = Schedule::parse(guess_kind(&expr), &expr, "UTC");
    }

    #[test]
    fn a_simple_check_is_due_one_period_after_its_last_ping(
        secs in 1i64..=MAX_TIMEOUT_SECS,
        last in props::instant(),
    ) {
        let due = Schedule::simple(secs).next_expected(last);
        prop_assert_eq!(due, Some(last + TimeDelta::seconds(secs)));
    }

    #[test]
    fn a_calendar_check_is_due_strictly_after_its_last_ping(
        expr in prop::sample::select(vec!["*/7 * * * *", "0 3 * * 1-5", "@monthly", "Sat *-*-1..7 12:00", "*-*~01 23:59:59"]),
        (tz, last) in props::zone_and_instant(),
    ) {
        let schedule = Schedule::parse(guess_kind(expr), expr, tz.name());
        prop_assert!(schedule.is_ok());
        let due = schedule.ok().and_then(|s| s.next_expected(last));
        prop_assert!(due.is_some_and(|d| d > last), "{due:?} after {last}");
    }
}
