//! Cron parsing and the next-run search: no input panics or hangs, and firings move
//! strictly forward.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use overdue::domain::cron::CronSchedule;

fuzz_target!(|data: &[u8]| {
    let Some((after, tz, rest)) = common::instant_and_zone(data) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(schedule) = CronSchedule::parse(text) else {
        return;
    };
    let mut t = after;
    for _ in 0..3 {
        let Some(next) = schedule.next_after(t, tz) else {
            break;
        };
        assert!(next > t, "{text:?} in {tz}: {next} is not after {t}");
        let mid = t + (next - t) / 2;
        assert_eq!(
            schedule.next_after(mid, tz),
            Some(next),
            "{text:?} in {tz} from {mid}"
        );
        t = next;
    }
});
