use super::*;

/// The next `n` firings after local time `from` (its earliest instant) as local times with
/// the UTC offset in hours, joined by ", "; "never" if there is none.
fn fires(expr: &str, tz: Tz, from: &str, n: usize) -> String {
    let schedule = OnCalendarSchedule::parse(expr).unwrap();
    let naive = NaiveDateTime::parse_from_str(from, "%Y-%m-%d %H:%M").unwrap();
    let mut at = tz.from_local_datetime(&naive).earliest().unwrap().to_utc();
    let mut out = Vec::new();
    while out.len() < n
        && let Some(next) = schedule.next_after(at, tz)
    {
        assert!(next > at, "{expr}: {next} is not after {at}");
        let local = next.with_timezone(&tz);
        let hours = local.offset().fix().local_minus_utc() / 3600;
        out.push(format!("{}{hours:+03}", local.format("%F %R")));
        at = next;
    }
    if out.is_empty() {
        "never".into()
    } else {
        out.join(", ")
    }
}

/// Each case is "expression | zone | local start | expected firings".
fn check(cases: &[&str]) {
    for case in cases {
        let [expr, tz, from, want] = case.split(" | ").collect::<Vec<_>>()[..] else {
            panic!("bad case {case:?}")
        };
        let n = want.split(", ").count();
        assert_eq!(fires(expr, tz.parse().unwrap(), from, n), want, "{case}");
    }
}

#[test]
fn shorthands_expand_to_their_systemd_meaning() {
    // 2025-01-15 is a Wednesday.
    check(&[
        "minutely | UTC | 2025-01-15 10:30 | 2025-01-15 10:31+00, 2025-01-15 10:32+00",
        "hourly | UTC | 2025-01-15 10:30 | 2025-01-15 11:00+00, 2025-01-15 12:00+00",
        "DAILY | UTC | 2025-01-15 10:30 | 2025-01-16 00:00+00, 2025-01-17 00:00+00",
        "weekly | UTC | 2025-01-15 10:30 | 2025-01-20 00:00+00, 2025-01-27 00:00+00",
        "monthly | UTC | 2025-01-15 10:30 | 2025-02-01 00:00+00, 2025-03-01 00:00+00",
        "quarterly | UTC | 2025-01-15 10:30 | 2025-04-01 00:00+00, 2025-07-01 00:00+00",
        "semiannually | UTC | 2025-01-15 10:30 | 2025-07-01 00:00+00, 2026-01-01 00:00+00",
        "yearly | UTC | 2025-01-15 10:30 | 2026-01-01 00:00+00, 2027-01-01 00:00+00",
        "Annually | UTC | 2025-01-15 10:30 | 2026-01-01 00:00+00, 2027-01-01 00:00+00",
        "daily Europe/Riga | UTC | 2025-01-15 10:30 | 2025-01-15 22:00+00",
    ]);
}

#[test]
fn weekday_lists_and_ranges_restrict_the_days() {
    check(&[
        // From a Saturday to Monday.
        "Mon..Fri 09:00 | UTC | 2025-01-04 12:00 | 2025-01-06 09:00+00, 2025-01-07 09:00+00",
        "Wed, 17:48 | UTC | 2025-01-04 12:00 | 2025-01-08 17:48+00",
        "sat-sun,Monday 7:00 | UTC | 2025-01-06 08:00 | 2025-01-11 07:00+00",
        "Mon,Wed..Fri | UTC | 2025-01-06 08:00 | 2025-01-08 00:00+00, 2025-01-09 00:00+00",
    ]);
}

#[test]
fn fields_take_lists_ranges_and_repetitions() {
    check(&[
        "*-*-* 02:00 | Europe/Riga | 2025-01-10 12:00 | 2025-01-11 02:00+02",
        "*:0/15 | Europe/Riga | 2025-01-10 10:07 | 2025-01-10 10:15+02, 2025-01-10 10:30+02",
        "*:0/15 | Europe/Riga | 2025-01-10 10:50 | 2025-01-10 11:00+02",
        "8..18/5:00 | UTC | 2025-01-10 10:07 | 2025-01-10 13:00+00, 2025-01-10 18:00+00",
        "*-*-1/7 12:00 | UTC | 2025-01-20 00:00 | 2025-01-22 12:00+00, 2025-01-29 12:00+00",
        "*-*-1/7 12:00 | UTC | 2025-01-30 00:00 | 2025-02-01 12:00+00",
        "2025/2-01-01 | UTC | 2025-06-01 00:00 | 2027-01-01 00:00+00, 2029-01-01 00:00+00",
        "30-6-15 1,2:30:00 | UTC | 2025-01-01 00:00 | 2030-06-15 01:30+00, 2030-06-15 02:30+00",
        "Mon 2-29 | UTC | 2020-01-01 00:00 | 2044-02-29 00:00+00, 2072-02-29 00:00+00",
    ]);
}

#[test]
fn tilde_counts_days_from_the_end_of_the_month() {
    check(&[
        // Leap year, then not.
        "*-02~01 | UTC | 2024-01-01 00:00 | 2024-02-29 00:00+00, 2025-02-28 00:00+00",
        "*-*~03 12:00 | UTC | 2025-02-01 00:00 | 2025-02-26 12:00+00, 2025-03-29 12:00+00",
        "Sun *~07/1 | UTC | 2020-01-01 00:00 | 2020-01-26 00:00+00, 2020-02-23 00:00+00",
    ]);
}

#[test]
fn dates_that_never_come_again_give_none() {
    check(&[
        "2025-12-25 10:00 | UTC | 2025-12-01 00:00 | 2025-12-25 10:00+00",
        "2025-12-25 10:00 | UTC | 2025-12-25 10:00 | never",
        "2025-12-25 10:00 | UTC | 2026-01-01 00:00 | never",
        "2199-2-29 | UTC | 2025-01-01 00:00 | never",
        "*-02-30 | UTC | 2025-01-01 00:00 | never",
    ]);
}

#[test]
fn several_lines_fire_at_the_earliest() {
    let expr = "2030-01-01\n\n  12:34 Europe/Riga \r\n*-*-* 12:00 UTC\n";
    let want = "2025-01-10 10:34+00, 2025-01-10 12:00+00, 2025-01-11 10:34+00";
    assert_eq!(fires(expr, Tz::UTC, "2025-01-10 09:00", 3), want);
}

#[test]
fn explicit_time_zone_overrides_the_argument() {
    check(&[
        "12:34 Europe/Riga | America/New_York | 2025-01-10 00:00 | 2025-01-10 05:34-05",
        "Mon *-*-* 09:00 UTC | Europe/Berlin | 2025-01-04 00:00 | 2025-01-06 10:00+01",
    ]);
}

#[test]
fn a_firing_exactly_at_after_is_not_returned() {
    check(&["*-*-* 09:00 | UTC | 2025-01-10 09:00 | 2025-01-11 09:00+00"]);
    let schedule = OnCalendarSchedule::parse("*:*:*").unwrap();
    let after = "2025-01-10T09:00:00.5Z".parse::<DateTime<Utc>>().unwrap();
    let next = schedule.next_after(after, Tz::UTC).unwrap();
    assert_eq!(next.to_rfc3339(), "2025-01-10T09:00:01+00:00");
}

#[test]
fn spring_forward_gap_is_skipped() {
    check(&[
        "*-*-* 02:30 | Europe/Berlin | 2025-03-29 12:00 | 2025-03-31 02:30+02",
        "*:* | Europe/Berlin | 2025-03-30 01:58 | 2025-03-30 01:59+01, 2025-03-30 03:00+02",
        "*-*-* 02:30 | America/New_York | 2025-03-08 12:00 | 2025-03-10 02:30-04",
        "*:30 | America/New_York | 2025-03-09 01:00 | 2025-03-09 01:30-05, 2025-03-09 03:30-04",
        // Samoa skipped 2011-12-30 entirely.
        "12:00 | Pacific/Apia | 2011-12-29 00:00 | 2011-12-29 12:00-10, 2011-12-31 12:00+14",
    ]);
}

#[test]
fn fall_back_fold_fires_only_at_the_first_occurrence() {
    let minutely = "2025-10-26 02:59+02, 2025-10-26 03:00+01, 2025-10-26 03:01+01";
    let berlin = "2025-10-26 02:30+02, 2025-10-27 02:30+01, 2025-10-28 02:30+01";
    let ny = "2025-11-02 01:30-04, 2025-11-03 01:30-05, 2025-11-04 01:30-05";
    check(&[
        &format!("minutely | Europe/Berlin | 2025-10-26 02:58 | {minutely}"),
        &format!("*-*-* 02:30 | Europe/Berlin | 2025-10-25 12:00 | {berlin}"),
        &format!("*-*-* 01:30 | America/New_York | 2025-11-01 12:00 | {ny}"),
    ]);
}

#[test]
fn stepping_through_a_year_of_dst_is_strictly_increasing() {
    // 365 days of half-hours, minus 00:00 itself (strictly after), minus the gap's 02:00
    // and 02:30; the repeated 01:00 and 01:30 fire once.
    let fired = fires(
        "*:0/30",
        chrono_tz::America::New_York,
        "2025-01-01 00:00",
        20_000,
    );
    assert_eq!(fired.matches("2025-").count(), 365 * 48 - 3);
}

#[test]
fn invalid_expressions_are_rejected_with_the_reason() {
    let cases = [
        ("*-13-01", "month 13 is out of range 1-12"),
        ("25:00", "hour 25 is out of range 0-23"),
        ("Mon..Xyz", "unknown weekday 'Xyz'"),
        ("Mon *-*-* 00:00 UTC extra", "at most 4"),
        ("", "empty"),
        ("  \n\t\n", "empty"),
        ("*:0/0", "minute step 0"),
        ("*-*-5..1", "day range '5..1' runs backwards"),
        ("Fri..Mon", "runs backwards"),
        ("1~29", "day (from the end) 29 is out of range 1-28"),
        ("12:00:01.5", "fractional seconds"),
        ("Europe/Riga", "unknown weekday"),
        (
            "12:34 Europe/Surprise",
            "'Europe/Surprise' is not a known time zone",
        ),
        ("12:00 2025-01-01", "out of place"),
        ("* 1-1", "cannot parse '*'"),
        ("1-2-3-4", "must be [YYYY-]MM-DD"),
        ("1:2:3:4", "must be HH:MM"),
        ("1969-01-01", "year 1969 is out of range 1970-2199"),
        ("daily\n*:x", "line 2: invalid minute 'x'"),
    ];
    for (expr, want) in cases {
        let got = OnCalendarSchedule::parse(expr).unwrap_err().0;
        assert!(
            got.contains(want),
            "{expr:?}: {got:?} should contain {want:?}"
        );
    }
}

/// Found by the property tests: Samoa moved from -11 to -10 (DST) and then to +14 within
/// 2011, 25 hours in all; a search started before both changes skipped the first firing
/// of January 2012 (`*~*` is the 4th to the 31st), answering January 5th.
#[test]
fn offsets_that_add_up_to_more_than_a_day_do_not_skip_a_firing() {
    let apia: Tz = "Pacific/Apia".parse().unwrap();
    let s = OnCalendarSchedule::parse("2012..2012-*~* Pacific/Apia").unwrap();
    for from in [
        "2009-06-17T12:00:00Z",
        "2011-06-01T00:00:00Z",
        "2011-12-29T00:00:00Z",
    ] {
        let next = s.next_after(from.parse().unwrap(), apia).unwrap();
        assert_eq!(
            next.with_timezone(&apia).to_string(),
            "2012-01-04 00:00:00 +14",
            "from {from}"
        );
    }
}

/// Found by the property tests: a search that starts while the clock repeats local times
/// after falling back fired them a second time. St. John's fell back two hours at 00:01
/// on 1988-10-30 (double daylight time), so 00:00 came twice; Riga repeats 03:00-03:59.
#[test]
fn a_search_starting_in_a_repeated_hour_does_not_fire_its_times_again() {
    for (expr, zone, from_utc, want) in [
        // 02:00 UTC is 22:30 the second time round; 00:00 was at 01:30 UTC.
        (
            "0..0:*",
            "America/St_Johns",
            "1988-10-30T02:00:00Z",
            "1988-10-30 00:01:00 NST",
        ),
        (
            "0..0:*",
            "America/St_Johns",
            "1988-10-30T01:30:30Z",
            "1988-10-30 00:01:00 NST",
        ),
        // 01:30 UTC is 03:30 EET, the second 03:30 of the night.
        (
            "minutely",
            "Europe/Riga",
            "2025-10-26T01:30:00Z",
            "2025-10-26 04:00:00 EET",
        ),
    ] {
        let tz: Tz = zone.parse().unwrap();
        let next = OnCalendarSchedule::parse(expr)
            .unwrap()
            .next_after(from_utc.parse().unwrap(), tz)
            .unwrap();
        assert_eq!(
            next.with_timezone(&tz).to_string(),
            want,
            "{expr} from {from_utc}"
        );
    }
}
