use super::*;

const WED: &str = "2025-05-14 10:20";
const END: &str = "2100-01-01 00:00";
const BERLIN: &str = "Europe/Berlin";
const NEW_YORK: &str = "America/New_York";
const SYDNEY: &str = "Australia/Sydney";
const LORD_HOWE: &str = "Australia/Lord_Howe"; // shifts by 30 minutes at 02:00
const SANTIAGO: &str = "America/Santiago"; // changes at midnight
const HAVANA: &str = "America/Havana"; // changes at midnight

/// "2025-05-14 10:20" or "2025-05-14 10:20:00.001", in UTC.
fn utc(s: &str) -> DateTime<Utc> {
    let minutes = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M");
    let parsed = minutes.or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"));
    parsed.unwrap().and_utc()
}

/// Firings strictly after `from` (at most `limit` of them, none later than `to`),
/// stepping with next_after and checking that each step moves forward.
fn run(expr: &str, zone: &str, from: &str, to: &str, limit: usize) -> Vec<DateTime<Utc>> {
    let (s, tz): (_, Tz) = (CronSchedule::parse(expr).unwrap(), zone.parse().unwrap());
    let (mut t, to, mut out) = (utc(from), utc(to), vec![]);
    while out.len() < limit {
        let Some(next) = s.next_after(t, tz).filter(|n| *n <= to) else {
            break;
        };
        assert!(next > t, "{expr}: {next} is not after {t}");
        out.push(next);
        t = next;
    }
    out
}

/// Checks rows of "expression => expected firings, joined by ', '".
fn check(rows: &[&str], actual: impl Fn(&str, usize) -> Vec<String>) {
    for row in rows {
        let (expr, expected) = row.split_once(" => ").unwrap();
        let n = expected.split(", ").filter(|e| !e.is_empty()).count();
        assert_eq!(actual(expr.trim(), n).join(", "), expected, "{expr}");
    }
}

/// The first firings in UTC after `from`, shown as "Wed 05-14 10:20".
fn first(from: &str, rows: &[&str]) {
    check(rows, |expr, n| {
        let show = |t: DateTime<Utc>| t.format("%a %m-%d %H:%M").to_string();
        run(expr, "UTC", from, END, n.max(1))
            .into_iter()
            .map(show)
            .collect()
    });
}

/// The firings in `zone` after `from` and up to `to`, as local "day hh:mm+offset".
fn firings(zone: &str, (from, to): (&str, &str), rows: &[&str]) {
    check(rows, |expr, _| local(zone, all(expr, zone, from, to)));
}

/// Rows of "after | expression => next firing (or nothing)" in `zone`.
fn next(zone: &str, rows: &[&str]) {
    for row in rows {
        let (after, row) = row.split_once(" | ").unwrap();
        check(&[row], |expr, _| {
            local(zone, run(expr, zone, after.trim(), END, 1))
        });
    }
}

fn local(zone: &str, instants: Vec<DateTime<Utc>>) -> Vec<String> {
    let tz: Tz = zone.parse().unwrap();
    let show = |t: DateTime<Utc>| t.with_timezone(&tz).format("%d %H:%M%:z").to_string();
    instants.into_iter().map(show).collect()
}

fn all(expr: &str, zone: &str, from: &str, to: &str) -> Vec<DateTime<Utc>> {
    run(expr, zone, from, to, usize::MAX)
}

#[test]
fn aliases_expand_to_their_classic_expressions() {
    let rows = [
        "@yearly      => Thu 01-01 00:00",
        "@annually    => Thu 01-01 00:00",
        "@monthly     => Sun 06-01 00:00",
        "@weekly      => Sun 05-18 00:00",
        "@daily       => Thu 05-15 00:00",
        "@midnight    => Thu 05-15 00:00",
        "@hourly      => Wed 05-14 11:00",
        "  @HOURLY\t  => Wed 05-14 11:00",
        "@Daily       => Thu 05-15 00:00",
    ];
    first(WED, &rows);
}

#[test]
fn each_field_takes_ranges_steps_lists_and_names() {
    let rows = [
        "* * * * *        => Wed 05-14 10:21, Wed 05-14 10:22",
        "*/20 * * * *     => Wed 05-14 10:40, Wed 05-14 11:00",
        "10-20/5 * * * *  => Wed 05-14 11:10, Wed 05-14 11:15, Wed 05-14 11:20",
        "1,2,59 * * * *   => Wed 05-14 10:59, Wed 05-14 11:01, Wed 05-14 11:02",
        "50/5 * * * *     => Wed 05-14 10:50, Wed 05-14 10:55, Wed 05-14 11:50", // as cronsim
        "0 */6 * * *      => Wed 05-14 12:00, Wed 05-14 18:00, Thu 05-15 00:00",
        "30 9-17/4 * * *  => Wed 05-14 13:30, Wed 05-14 17:30, Thu 05-15 09:30",
        "0 0 */10 * *     => Wed 05-21 00:00, Sat 05-31 00:00, Sun 06-01 00:00",
        "0 0 1,15 * *     => Thu 05-15 00:00, Sun 06-01 00:00",
        "0 0 1 */3 *      => Tue 07-01 00:00, Wed 10-01 00:00, Thu 01-01 00:00",
        "0 0 1 jan,Jul *  => Tue 07-01 00:00, Thu 01-01 00:00",
        "0 0 1 MAR-may *  => Sun 03-01 00:00, Wed 04-01 00:00, Fri 05-01 00:00",
        " \t0\t9  * *   1 \n => Mon 05-19 09:00",
    ];
    first(WED, &rows);
}

#[test]
fn day_of_week_is_0_to_7_from_sunday_unlike_the_cron_crate() {
    // The cron crate alone reads `1` as Sunday; standard cron means Monday.
    let raw = cron::Schedule::from_str("0 0 9 * * 1").unwrap();
    let raw_next = raw.after(&utc(WED)).next().unwrap();
    assert_eq!(raw_next.weekday(), chrono::Weekday::Sun);
    let rows = [
        "0 9 * * 1        => Mon 05-19 09:00",
        "0 9 * * 0        => Sun 05-18 09:00, Sun 05-25 09:00",
        "0 9 * * 7        => Sun 05-18 09:00, Sun 05-25 09:00",
        "0 9 * * sun      => Sun 05-18 09:00, Sun 05-25 09:00",
        "0 9 * * SUN,7    => Sun 05-18 09:00, Sun 05-25 09:00",
        "0 9 * * 7-7      => Sun 05-18 09:00, Sun 05-25 09:00",
        "0 9 * * 5-7      => Fri 05-16 09:00, Sat 05-17 09:00, Sun 05-18 09:00",
        "0 9 * * mon-Fri  => Thu 05-15 09:00, Fri 05-16 09:00, Mon 05-19 09:00",
        "0 0 * * */2      => Thu 05-15 00:00, Sat 05-17 00:00, Sun 05-18 00:00",
        "0 0 * * 0-7      => Thu 05-15 00:00, Fri 05-16 00:00",
    ];
    first(WED, &rows);
}

#[test]
fn cron_crate_alone_needs_a_seconds_field_and_ands_the_day_fields() {
    assert!(cron::Schedule::from_str("0 9 * * 1").is_err());
    let raw = cron::Schedule::from_str("0 0 0 13 * FRI").unwrap();
    let next = raw.after(&utc("2025-01-01 00:00")).next().unwrap();
    assert_eq!(next, utc("2025-06-13 00:00"), "only a Friday the 13th");
}

#[test]
fn restricted_day_of_month_and_day_of_week_fire_on_either() {
    let rows = [
        "0 0 13 * 5    => Fri 06-06 00:00, Fri 06-13 00:00, Fri 06-20 00:00, Fri 06-27 00:00, \
                          Fri 07-04 00:00, Fri 07-11 00:00, Sun 07-13 00:00",
        "0 0 13 * *    => Fri 06-13 00:00, Sun 07-13 00:00",
        // A field starting with `*` (even `*/2`) makes the other a plain AND filter.
        "0 0 */2 * 5   => Fri 06-13 00:00, Fri 06-27 00:00, Fri 07-11 00:00",
        "0 0 1-7 * */7 => Sun 07-06 00:00, Sun 08-03 00:00",
    ];
    first("2025-06-01 00:00", &rows);
}

#[test]
fn february_29_fires_only_in_leap_years_and_impossible_dates_never() {
    let leap_days = run("0 0 29 2 *", "UTC", WED, "2033-01-01 00:00", 9);
    let expected = [utc("2028-02-29 00:00"), utc("2032-02-29 00:00")];
    assert_eq!(leap_days, expected);
    let rows = [
        "0 0 30 2 *         => ",
        "0 0 31 2 *         => ",
        "0 0 31 4,6,9,11 *  => ",
        "0 0 30 2 1         => Mon 02-02 00:00", // the day of week matches: OR rule
    ];
    first(WED, &rows);
    next(BERLIN, &["2025-05-14 10:20 | 0 0 30 2 * => "]);
}

#[test]
fn invalid_expressions_give_messages_naming_the_field() {
    let rows = [
        "* * * *          => expected 5 fields (minute hour day-of-month month day-of-week), got 4",
        "* * * * * *      => expected 5 fields (minute hour day-of-month month day-of-week), got 6",
        "                 => expected 5 fields (minute hour day-of-month month day-of-week), got 0",
        "@daily *         => unknown alias @daily *",
        "@fortnightly     => unknown alias @fortnightly",
        "@reboot          => @reboot has no schedule and is not supported",
        "60 * * * *       => minute field: 60 is out of range 0-59",
        "99999999999 * * * * => minute field: 99999999999 is out of range 0-59",
        "* 24 * * *       => hour field: 24 is out of range 0-23",
        "* * 0 * *        => day-of-month field: 0 is out of range 1-31",
        "* * 32 * *       => day-of-month field: 32 is out of range 1-31",
        "* * * 13 *       => month field: 13 is out of range 1-12",
        "* * * * 8        => day-of-week field: 8 is out of range 0-7",
        "*/0 * * * *      => minute field: step in \"*/0\" must be a whole number of at least 1",
        "* 1-5/x * * *    => hour field: step in \"1-5/x\" must be a whole number of at least 1",
        "5-1 * * * *      => minute field: range 5-1 goes backwards",
        "* * * * FRI-MON  => day-of-week field: range FRI-MON goes backwards",
        "1,,2 * * * *     => minute field: empty value",
        "-1 * * * *       => minute field: empty value",
        "+5 * * * *       => minute field: \"+5\" is not a valid value",
        "? * * * *        => minute field: \"?\" is not a valid value",
        "* * L * *        => day-of-month field: \"L\" is not a valid value",
        "* * * * MONDAY   => day-of-week field: \"MONDAY\" is not a valid value",
        "* * * * JAN      => day-of-week field: \"JAN\" is not a valid value",
        "* * * * 1#2      => day-of-week field: \"1#2\" is not a valid value",
    ];
    let message = |expr: &str| CronSchedule::parse(expr).unwrap_err().0;
    check(&rows, |expr, _| vec![message(expr)]);
}

#[test]
fn never_panics_on_odd_input() {
    for expr in [
        "",
        "@",
        "*/",
        "/5",
        "*-*",
        "1-",
        ",",
        "５ * * * *",
        "\0 * * * *",
        "@daily\0",
    ] {
        assert!(CronSchedule::parse(expr).is_err(), "{expr:?}");
    }
    assert!(CronSchedule::parse("*/18446744073709551616 * * * *").is_err());
    let every_minute = CronSchedule::parse("* * * * *").unwrap();
    for extreme in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
        let next = every_minute.next_after(extreme, chrono_tz::Asia::Tokyo);
        assert_eq!(next, None);
    }
    // The cron crate stops at 2100.
    next("Pacific/Kiritimati", &["2100-06-01 00:00 | 0 0 1 1 * => "]);
}

#[test]
fn next_after_is_strictly_after() {
    let rows = [
        "2025-05-14 10:00           | 0 * * * * => 14 11:00+00:00",
        "2025-05-14 09:59:59.999    | 0 * * * * => 14 10:00+00:00",
        "2025-05-14 10:00:00.001    | 0 * * * * => 14 11:00+00:00",
    ];
    next("UTC", &rows);
    let rows = ["2025-05-14 03:30 | 0 9 * * * => 15 09:00+05:30"];
    next("Asia/Kolkata", &rows);
}

#[test]
fn cron_crate_alone_skips_or_doubles_fixed_jobs_across_dst() {
    let raw = cron::Schedule::from_str("0 30 2 * * *").unwrap();
    let runs = |from: &str| -> Vec<_> {
        let from = utc(from).with_timezone(&chrono_tz::Europe::Berlin);
        raw.after(&from).take(2).map(|t| t.to_utc()).collect()
    };
    // Spring forward: no run on the 30th at all. Fall back: two runs on the 26th.
    let spring = [utc("2025-03-31 00:30"), utc("2025-04-01 00:30")];
    assert_eq!(runs("2025-03-29 12:00"), spring);
    let fall = [utc("2025-10-26 00:30"), utc("2025-10-26 01:30")];
    assert_eq!(runs("2025-10-25 12:00"), fall);
}

#[test]
fn berlin_spring_forward() {
    let rows = [
        "0 1,2,3 * * * => 29 01:00+01:00, 29 02:00+01:00, 29 03:00+01:00, \
                          30 01:00+01:00, 30 03:00+02:00, 31 01:00+02:00",
        "0,30 2 * * *  => 29 02:00+01:00, 29 02:30+01:00, 30 03:00+02:00",
        // An interval job: its minute field starts with `*`.
        "*/20 2 * * *  => 29 02:00+01:00, 29 02:20+01:00, 29 02:40+01:00",
    ];
    firings(BERLIN, ("2025-03-28 23:30", "2025-03-30 23:30"), &rows);
    let rows = [
        "*/30 * * * *  => 30 00:00+01:00, 30 00:30+01:00, 30 01:00+01:00, 30 01:30+01:00, \
                          30 03:00+02:00, 30 03:30+02:00, 30 04:00+02:00",
        "0 */2 * * *   => 30 00:00+01:00, 30 04:00+02:00",
    ];
    firings(BERLIN, ("2025-03-29 22:30", "2025-03-30 02:00"), &rows);
}

#[test]
fn berlin_fall_back() {
    let rows = [
        "0 1,2,3 * * * => 25 01:00+02:00, 25 02:00+02:00, 25 03:00+02:00, \
                          26 01:00+02:00, 26 02:00+02:00, 26 03:00+01:00",
    ];
    firings(BERLIN, ("2025-10-24 22:30", "2025-10-26 22:30"), &rows);
    let rows = [
        "*/30 * * * *  => 26 02:00+02:00, 26 02:30+02:00, 26 02:00+01:00, \
                          26 02:30+01:00, 26 03:00+01:00",
        "*/20 2 * * *  => 26 02:00+02:00, 26 02:20+02:00, 26 02:40+02:00, \
                          26 02:00+01:00, 26 02:20+01:00, 26 02:40+01:00",
    ];
    firings(BERLIN, ("2025-10-25 23:45", "2025-10-26 02:00"), &rows);
    // From inside the repeated hour: a fixed-time job already ran, an interval job runs again.
    let rows = [
        "2025-10-26 01:10 | 30 2 * * * => 27 02:30+01:00",
        "2025-10-26 00:45 | 15 * * * * => 26 02:15+01:00",
        "2025-10-26 01:20 | 15 * * * * => 26 03:15+01:00",
    ];
    next(BERLIN, &rows);
}

#[test]
fn new_york_spring_forward_and_fall_back() {
    let spring = ["30 2 * * *    => 08 02:30-05:00, 09 03:00-04:00, 10 02:30-04:00"];
    firings(NEW_YORK, ("2025-03-08 00:00", "2025-03-10 12:00"), &spring);
    let spring =
        ["*/30 * * * *  => 09 01:00-05:00, 09 01:30-05:00, 09 03:00-04:00, 09 03:30-04:00"];
    firings(NEW_YORK, ("2025-03-09 05:45", "2025-03-09 07:30"), &spring);
    let fall = ["30 1 * * *    => 01 01:30-04:00, 02 01:30-04:00, 03 01:30-05:00"];
    firings(NEW_YORK, ("2025-11-01 00:00", "2025-11-03 12:00"), &fall);
    let fall = [
        "*/30 * * * *  => 02 01:00-04:00, 02 01:30-04:00, 02 01:00-05:00, \
                          02 01:30-05:00, 02 02:00-05:00",
    ];
    firings(NEW_YORK, ("2025-11-02 04:45", "2025-11-02 07:00"), &fall);
    let rows = ["2025-11-02 05:45 | 30 * * * * => 02 01:30-05:00"];
    next(NEW_YORK, &rows);
}

#[test]
fn sydney_and_lord_howe_with_its_half_hour_shift() {
    let fall = ["30 2 * * *    => 05 02:30+11:00, 06 02:30+11:00"];
    firings(SYDNEY, ("2025-04-04 12:00", "2025-04-06 12:00"), &fall);
    let spring = ["30 2 * * *    => 04 02:30+10:00, 05 03:00+11:00"];
    firings(SYDNEY, ("2025-10-03 12:00", "2025-10-05 12:00"), &spring);
    let rows = ["2025-10-04 12:00 | 15 2 * * * => 05 02:30+11:00"];
    next(LORD_HOWE, &rows);
    let fall = ["45 1 * * *    => 05 01:45+11:00, 06 01:45+11:00"];
    firings(LORD_HOWE, ("2025-04-04 12:00", "2025-04-06 12:00"), &fall);
    let fall = [
        "*/15 * * * *  => 06 01:30+11:00, 06 01:45+11:00, 06 01:30+10:30, \
                          06 01:45+10:30, 06 02:00+10:30",
    ];
    firings(LORD_HOWE, ("2025-04-05 14:20", "2025-04-05 15:30"), &fall);
}

#[test]
fn midnight_in_zones_whose_dst_changes_at_midnight() {
    let midnight = ["0 0 * * *     => 06 00:00-04:00, 07 01:00-03:00, 08 00:00-03:00"];
    firings(
        SANTIAGO,
        ("2025-09-05 12:00", "2025-09-08 12:00"),
        &midnight,
    );
    let midnight = ["0 0 * * *     => 01 00:00-04:00, 02 00:00-04:00, 03 00:00-05:00"];
    firings(HAVANA, ("2025-11-01 00:00", "2025-11-03 12:00"), &midnight);
    let hourly = ["0 * * * *     => 02 00:00-04:00, 02 00:00-05:00, 02 01:00-05:00"];
    firings(HAVANA, ("2025-11-02 03:30", "2025-11-02 06:00"), &hourly);
}

#[test]
fn interval_jobs_fire_every_real_hour_through_48_hours_around_each_change() {
    for (zone, change) in [
        (BERLIN, "2025-03-30 01:00"),
        (BERLIN, "2025-10-26 01:00"),
        (NEW_YORK, "2025-03-09 07:00"),
        (NEW_YORK, "2025-11-02 06:00"),
        (SYDNEY, "2025-04-05 16:00"),
        (SYDNEY, "2025-10-04 16:00"),
    ] {
        let hour = |h| utc(change) + TimeDelta::hours(h);
        let (from, to) = (hour(-24).to_string(), hour(24).to_string());
        let expected: Vec<_> = (-23..=24).map(hour).collect();
        let (from, to) = (&from[..16], &to[..16]);
        assert_eq!(
            all("0 * * * *", zone, from, to),
            expected,
            "{zone} {change}"
        );
    }
}

#[test]
fn a_year_of_stepping_fires_once_per_day_or_per_real_hour_in_every_zone() {
    let (from, to) = ("2025-01-01 00:00", "2026-01-01 00:00");
    for zone in [BERLIN, NEW_YORK, SYDNEY, LORD_HOWE, SANTIAGO, HAVANA] {
        for daily in ["0 0 * * *", "30 2 * * *", "@daily"] {
            assert_eq!(all(daily, zone, from, to).len(), 365, "{zone} {daily}");
        }
        if zone != LORD_HOWE {
            assert_eq!(all("0 * * * *", zone, from, to).len(), 8760, "{zone}");
        }
    }
}

#[test]
fn cron_crate_search_agrees_with_a_minute_by_minute_scan() {
    let (from, to) = ("2024-01-15 00:00", "2024-05-15 00:00");
    let minutes = (utc(to) - utc(from)).num_minutes();
    for expr in [
        "15 10 * * *",
        "0 0 31 * *",
        "0 12 * * 1",
        "0 0 13 * 5",
        "*/20 3 1-7 * 1",
    ] {
        let s = CronSchedule::parse(expr).unwrap();
        let scan: Vec<_> = (1..=minutes)
            .map(|m| utc(from) + TimeDelta::minutes(m))
            .filter(|t| s.parts.iter().any(|p| p.includes(*t)))
            .collect();
        assert_eq!(all(expr, "UTC", from, to), scan, "{expr}");
    }
}
