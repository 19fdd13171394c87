//! Shared by the property tests of the domain's parsers and validators (`*_props.rs`):
//! the run settings, time zones worth testing, and instants near their DST changes.
//!
//! Each property runs a modest number of cases by default, so `cargo test` stays quick;
//! `PROPTEST_CASES=N` runs N cases of every property (bench/fuzz.sh does a million).

use chrono::{DateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `default_cases` cases per property, or `PROPTEST_CASES`. Failures are not written to
/// files: each failure found becomes a named regression test instead.
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Zones whose rules have caught schedulers out: DST at midnight (Santiago, Havana), a
/// 30-minute shift (Lord Howe), a 2-hour one (Troll), a skipped day (Apia, 2011), a
/// southern-hemisphere year, a :45 offset (Chatham), and no DST at all.
pub const ZONES: [Tz; 12] = [
    Tz::UTC,
    Tz::Europe__Riga,
    Tz::Europe__London,
    Tz::America__New_York,
    Tz::America__Santiago,
    Tz::America__Havana,
    Tz::America__St_Johns,
    Tz::Australia__Lord_Howe,
    Tz::Antarctica__Troll,
    Tz::Pacific__Apia,
    Tz::Pacific__Chatham,
    Tz::Asia__Kolkata,
];

pub fn zone() -> impl Strategy<Value = Tz> {
    proptest::sample::select(&ZONES[..])
}

/// The zone's UTC offset at `t`, in seconds.
pub fn offset_at(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The first instant after `from`, within 400 days, at which the zone's offset changes.
pub fn next_transition(tz: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = offset_at(tz, from);
    let mut lo = from;
    let mut hi = (1..=400)
        .map(|d| from + TimeDelta::days(d))
        .find(|t| offset_at(tz, *t) != start)?;
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if offset_at(tz, mid) == start {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

/// An instant between 1971 and 2098, to the second.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (31_536_000i64..4_070_908_800).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default())
}

/// A zone and an instant, half of the time within two days before one of its offset
/// changes, where schedules go wrong.
pub fn zone_and_instant() -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
    (zone(), instant(), any::<bool>(), 0i64..172_800).prop_map(|(tz, t, near, before)| {
        let near_change = near
            .then(|| next_transition(tz, t))
            .flatten()
            .map(|change| change - TimeDelta::seconds(before));
        (tz, near_change.unwrap_or(t))
    })
}
