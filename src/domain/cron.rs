//! Classic 5-field crontab expressions, evaluated in a time zone the way Debian cron and
//! Python's cronsim (used by healthchecks.io) do.
//!
//! The `cron` crate does the calendar search, but it speaks a different dialect, so this
//! module wraps it: we parse and validate the 5 fields ourselves (clear per-field errors),
//! expand every field into an explicit list, and hand the crate a 6-field expression with a
//! `0` seconds field and day-of-week *names* (the crate numbers days 1-7 from Sunday).
//! When day-of-month and day-of-week are both restricted (neither starts with `*`), a day
//! matches if EITHER matches (the Vixie rule; the crate ANDs them), so we search two
//! schedules and take the earlier firing.
//!
//! The crate is run on naive local wall-clock time; each candidate wall time is then mapped
//! to a real instant with Debian's DST rules. An expression is *fixed-time* when neither its
//! minute nor its hour field starts with `*` (Debian and cronsim; so `*/15 2 * * *` is an
//! interval job). A fixed-time job whose wall time falls in a spring-forward gap fires once
//! when the gap ends, and in a repeated fall-back hour fires only at the first occurrence.
//! Interval jobs fire at every real instant whose wall time matches: skipped in the gap,
//! twice in the repeated hour. Wall times outside 1970-2100 (the crate's range) give `None`.

use std::str::FromStr;

use chrono::{
    DateTime, Datelike, MappedLocalTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::{GapInfo, Tz};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(pub String);

#[derive(Debug, Clone)]
pub struct CronSchedule {
    /// One schedule, or two (day-of-month only, day-of-week only) whose union is the OR rule.
    parts: Vec<cron::Schedule>,
    /// Fixed-time (Debian's "non-wildcard") job: special DST handling.
    fixed: bool,
}

/// Name, minimum and maximum of each field.
const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/// How far ahead (in wall time) a firing is looked for: enough for any Feb 29.
const HORIZON_DAYS: i64 = 5 * 366;
/// Safety net against a pathological time zone: candidate wall times examined per call.
const MAX_CANDIDATES: usize = 20_000;

impl CronSchedule {
    /// Parses a classic 5-field crontab expression or an alias.
    pub fn parse(expr: &str) -> Result<CronSchedule, CronError> {
        let expr = expr.trim();
        let expr = match expr.strip_prefix('@') {
            Some(alias) => expand_alias(alias)?,
            None => expr,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), got {}",
                fields.len()
            )));
        }
        let mut sets = [0u64; 5];
        for (i, text) in fields.iter().enumerate() {
            sets[i] = parse_field(i, text)?;
        }
        let star = |i: usize| fields[i].starts_with('*');
        let list = |i: usize| render(i, sets[i]);
        let build = |dom: &str, dow: &str| {
            let text = format!("0 {} {} {dom} {} {dow}", list(0), list(1), list(3));
            cron::Schedule::from_str(&text)
                .map_err(|e| CronError(format!("internal error: cron rejected {text:?}: {e}")))
        };
        let parts = if star(2) || star(4) {
            vec![build(&list(2), &list(4))?]
        } else {
            vec![build(&list(2), "*")?, build("*", &list(4))?]
        };
        Ok(CronSchedule {
            parts,
            fixed: !star(0) && !star(1),
        })
    }

    /// The first scheduled instant strictly after `after`, evaluated in time zone `tz`.
    /// None only if the expression can never fire (e.g. "0 0 30 2 *").
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let start = wall(after, tz)?;
        if !(1970..=2100).contains(&start.year()) {
            return None;
        }
        let horizon = start + TimeDelta::days(HORIZON_DAYS);
        let mut candidate = search_floor(after, tz, start);
        let mut best: Option<DateTime<Utc>> = None;
        for _ in 0..MAX_CANDIDATES {
            candidate = self.next_wall(candidate)?;
            if candidate > horizon {
                return best;
            }
            // `settled`: no later wall time can map to an earlier instant.
            let (instant, settled) = match tz.from_local_datetime(&candidate) {
                MappedLocalTime::Single(t) => (t, true),
                MappedLocalTime::Ambiguous(first, _) if self.fixed => (first, true),
                MappedLocalTime::Ambiguous(first, _) if first.with_timezone(&Utc) > after => {
                    (first, true)
                }
                // Interval job, first occurrence already past: the second one may still be
                // beaten by the first occurrence of a later wall time in the repeated hour.
                MappedLocalTime::Ambiguous(_, second) => (second, false),
                MappedLocalTime::None if self.fixed => {
                    match GapInfo::new(&candidate, &tz).and_then(|gap| gap.end) {
                        Some(end) => (end, true),
                        None => continue,
                    }
                }
                MappedLocalTime::None => continue,
            };
            let instant = instant.with_timezone(&Utc);
            if instant <= after {
                continue;
            }
            best = Some(best.map_or(instant, |b| b.min(instant)));
            if settled {
                return best;
            }
        }
        best
    }

    /// The first matching wall time strictly after `wall`, per the cron crate.
    fn next_wall(&self, wall: NaiveDateTime) -> Option<NaiveDateTime> {
        let from = wall.and_utc();
        self.parts
            .iter()
            .filter_map(|part| part.after(&from).next())
            .map(|t| t.naive_utc())
            .min()
    }
}

fn expand_alias(alias: &str) -> Result<&'static str, CronError> {
    Ok(match alias.to_ascii_lowercase().as_str() {
        "yearly" | "annually" => "0 0 1 1 *",
        "monthly" => "0 0 1 * *",
        "weekly" => "0 0 * * 0",
        "daily" | "midnight" => "0 0 * * *",
        "hourly" => "0 * * * *",
        "reboot" => {
            return Err(CronError(
                "@reboot has no schedule and is not supported".into(),
            ));
        }
        _ => return Err(CronError(format!("unknown alias @{alias}"))),
    })
}

/// Parses field number `idx` into a bit set of its values (day-of-week 7 folded into 0).
fn parse_field(idx: usize, text: &str) -> Result<u64, CronError> {
    let (name, min, max) = FIELDS[idx];
    let fail = |msg: String| CronError(format!("{name} field: {msg}"));
    let mut set = 0u64;
    for term in text.split(',') {
        let (range, step) = match term.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (term, None),
        };
        let (first, last) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (parse_value(idx, a)?, parse_value(idx, b)?);
            if a > b {
                return Err(fail(format!("range {range} goes backwards")));
            }
            (a, b)
        } else {
            // `a/n` means `a-max/n`, as in cronsim and cronie.
            let a = parse_value(idx, range)?;
            (a, if step.is_some() { max } else { a })
        };
        let step = match step {
            None => 1,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if n >= 1 && s.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(fail(format!(
                        "step in {term:?} must be a whole number of at least 1"
                    )));
                }
            },
        };
        for v in (first..=last).step_by(step) {
            set |= 1 << v;
        }
    }
    if idx == 4 && set & (1 << 7) != 0 {
        set = (set & !(1 << 7)) | 1;
    }
    Ok(set)
}

fn parse_value(idx: usize, text: &str) -> Result<u32, CronError> {
    let (name, min, max) = FIELDS[idx];
    let names: &[&str] = match idx {
        3 => &MONTHS,
        4 => &DAYS,
        _ => &[],
    };
    if let Some(pos) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(pos as u32 + u32::from(idx == 3));
    }
    if text.is_empty() {
        return Err(CronError(format!("{name} field: empty value")));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CronError(format!(
            "{name} field: {text:?} is not a valid value"
        )));
    }
    match text.parse::<u32>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(CronError(format!(
            "{name} field: {text} is out of range {min}-{max}"
        ))),
    }
}

/// Renders a bit set as a list the cron crate reads the same way: `*` when full, and
/// day-of-week as names, since the crate numbers days 1-7 from Sunday.
fn render(idx: usize, set: u64) -> String {
    let (_, min, max) = FIELDS[idx];
    let max = if idx == 4 { 6 } else { max };
    if (min..=max).all(|v| set & (1 << v) != 0) {
        return "*".into();
    }
    let values = (min..=max).filter(|v| set & (1 << v) != 0);
    let items: Vec<String> = if idx == 4 {
        values.map(|v| DAYS[v as usize].to_string()).collect()
    } else {
        values.map(|v| v.to_string()).collect()
    };
    items.join(",")
}

/// Local wall-clock time of `t` in `tz`, or None if it does not fit a `NaiveDateTime`.
fn wall(t: DateTime<Utc>, tz: Tz) -> Option<NaiveDateTime> {
    t.naive_utc()
        .checked_add_offset(tz.offset_from_utc_datetime(&t.naive_utc()).fix())
}

/// Where to start the wall-time search: a fall-back soon after `after` repeats wall times
/// earlier than `start`, whose second occurrence is still in the future.
fn search_floor(after: DateTime<Utc>, tz: Tz, start: NaiveDateTime) -> NaiveDateTime {
    [TimeDelta::hours(3), TimeDelta::hours(26)]
        .into_iter()
        .filter_map(|d| after.checked_add_signed(d))
        .filter_map(|later| {
            let offset = tz.offset_from_utc_datetime(&later.naive_utc()).fix();
            after.naive_utc().checked_add_offset(offset)
        })
        .fold(start, NaiveDateTime::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn show(t: DateTime<Utc>, zone: Tz) -> String {
        t.with_timezone(&zone)
            .format("%Y-%m-%d %a %H:%M%:z")
            .to_string()
    }

    /// The firings strictly after `from` and at most `to`, stepping with next_after.
    fn firings(expr: &str, zone: &str, from: &str, to: &str) -> Vec<String> {
        let (s, zone, to) = (
            CronSchedule::parse(expr).unwrap(),
            zone.parse().unwrap(),
            utc(to),
        );
        let mut out = vec![];
        let mut t = utc(from);
        while let Some(next) = s.next_after(t, zone).filter(|n| *n <= to) {
            assert!(next > t, "{expr}: {next} is not after {t}");
            out.push(show(next, zone));
            t = next;
        }
        out
    }

    fn next(expr: &str, zone: &str, after: &str) -> Option<String> {
        let zone: Tz = zone.parse().unwrap();
        let s = CronSchedule::parse(expr).unwrap();
        s.next_after(utc(after), zone).map(|t| show(t, zone))
    }

    fn first(expr: &str, from: &str, n: usize) -> Vec<String> {
        let mut t = utc(from);
        let s = CronSchedule::parse(expr).unwrap();
        (0..n)
            .map(|_| {
                t = s.next_after(t, Tz::UTC).unwrap();
                t.format("%Y-%m-%d %a %H:%M").to_string()
            })
            .collect()
    }

    fn error(expr: &str) -> String {
        CronSchedule::parse(expr).unwrap_err().0
    }

    const WED: &str = "2025-05-14T10:20:00Z"; // a Wednesday

    #[test]
    fn aliases_expand_to_their_classic_expressions() {
        for (alias, expected) in [
            ("@yearly", "2026-01-01 Thu 00:00"),
            ("@annually", "2026-01-01 Thu 00:00"),
            ("@monthly", "2025-06-01 Sun 00:00"),
            ("@weekly", "2025-05-18 Sun 00:00"),
            ("@daily", "2025-05-15 Thu 00:00"),
            ("@midnight", "2025-05-15 Thu 00:00"),
            ("@hourly", "2025-05-14 Wed 11:00"),
            ("  @HOURLY\t", "2025-05-14 Wed 11:00"),
            ("@Daily", "2025-05-15 Thu 00:00"),
        ] {
            assert_eq!(first(alias, WED, 1), [expected], "{alias}");
        }
    }

    #[test]
    fn reboot_and_unknown_aliases_are_errors() {
        assert!(error("@reboot").contains("@reboot"));
        assert_eq!(error("@fortnightly"), "unknown alias @fortnightly");
    }

    #[test]
    fn minute_field_ranges_steps_and_lists() {
        let from = "2025-05-14T10:00:00Z";
        assert_eq!(
            first("*/20 * * * *", from, 3),
            [
                "2025-05-14 Wed 10:20",
                "2025-05-14 Wed 10:40",
                "2025-05-14 Wed 11:00"
            ]
        );
        assert_eq!(first("10-20/5 * * * *", from, 4)[3], "2025-05-14 Wed 11:10");
        assert_eq!(
            first("1,2,59 * * * *", from, 3),
            [
                "2025-05-14 Wed 10:01",
                "2025-05-14 Wed 10:02",
                "2025-05-14 Wed 10:59"
            ]
        );
        assert_eq!(first("50/5 * * * *", from, 3)[2], "2025-05-14 Wed 11:50");
        assert_eq!(first("* * * * *", from, 1), ["2025-05-14 Wed 10:01"]);
    }

    #[test]
    fn hour_day_and_month_fields_ranges_steps_lists_and_names() {
        assert_eq!(
            first("0 */6 * * *", WED, 3),
            [
                "2025-05-14 Wed 12:00",
                "2025-05-14 Wed 18:00",
                "2025-05-15 Thu 00:00"
            ]
        );
        assert_eq!(
            first("30 9-17/4 * * *", WED, 3),
            [
                "2025-05-14 Wed 13:30",
                "2025-05-14 Wed 17:30",
                "2025-05-15 Thu 09:30"
            ]
        );
        assert_eq!(
            first("0 0 */10 * *", WED, 3),
            [
                "2025-05-21 Wed 00:00",
                "2025-05-31 Sat 00:00",
                "2025-06-01 Sun 00:00"
            ]
        );
        assert_eq!(
            first("0 0 1,15 * *", WED, 2),
            ["2025-05-15 Thu 00:00", "2025-06-01 Sun 00:00"]
        );
        assert_eq!(
            first("0 0 1 */3 *", WED, 2),
            ["2025-07-01 Tue 00:00", "2025-10-01 Wed 00:00"]
        );
        assert_eq!(
            first("0 0 1 jan,Jul *", WED, 2),
            ["2025-07-01 Tue 00:00", "2026-01-01 Thu 00:00"]
        );
        assert_eq!(
            first("0 0 1 MAR-may *", WED, 2),
            ["2026-03-01 Sun 00:00", "2026-04-01 Wed 00:00"]
        );
    }

    #[test]
    fn day_of_week_is_0_to_7_from_sunday_unlike_the_cron_crate() {
        // The cron crate alone reads `1` as Sunday; standard cron means Monday.
        let raw = cron::Schedule::from_str("0 0 9 * * 1").unwrap();
        assert_eq!(
            raw.after(&utc(WED)).next().unwrap().weekday(),
            chrono::Weekday::Sun
        );
        assert_eq!(first("0 9 * * 1", WED, 1), ["2025-05-19 Mon 09:00"]);
        for sunday in [
            "0 9 * * 0",
            "0 9 * * 7",
            "0 9 * * sun",
            "0 9 * * SUN,7",
            "0 9 * * 7-7",
        ] {
            assert_eq!(
                first(sunday, WED, 2),
                ["2025-05-18 Sun 09:00", "2025-05-25 Sun 09:00"],
                "{sunday}"
            );
        }
        assert_eq!(
            first("0 9 * * 5-7", WED, 3),
            [
                "2025-05-16 Fri 09:00",
                "2025-05-17 Sat 09:00",
                "2025-05-18 Sun 09:00"
            ]
        );
        assert_eq!(
            first("0 9 * * mon-Fri", "2025-05-16T12:00:00Z", 2),
            ["2025-05-19 Mon 09:00", "2025-05-20 Tue 09:00"]
        );
        assert_eq!(
            first("0 0 * * */2", WED, 4),
            [
                "2025-05-15 Thu 00:00",
                "2025-05-17 Sat 00:00",
                "2025-05-18 Sun 00:00",
                "2025-05-20 Tue 00:00"
            ]
        );
        assert_eq!(first("0 0 * * 0-7", WED, 1), ["2025-05-15 Thu 00:00"]);
    }

    #[test]
    fn cron_crate_alone_needs_a_seconds_field_and_ands_the_day_fields() {
        assert!(cron::Schedule::from_str("0 9 * * 1").is_err());
        let raw = cron::Schedule::from_str("0 0 0 13 * FRI").unwrap();
        let next = raw.after(&utc("2025-01-01T00:00:00Z")).next().unwrap();
        assert_eq!(next, utc("2025-06-13T00:00:00Z"), "only a Friday the 13th");
    }

    #[test]
    fn restricted_day_of_month_and_day_of_week_fire_on_either() {
        let from = "2025-06-01T00:00:00Z";
        assert_eq!(
            first("0 0 13 * 5", from, 7),
            [
                "2025-06-06 Fri 00:00",
                "2025-06-13 Fri 00:00",
                "2025-06-20 Fri 00:00",
                "2025-06-27 Fri 00:00",
                "2025-07-04 Fri 00:00",
                "2025-07-11 Fri 00:00",
                "2025-07-13 Sun 00:00"
            ]
        );
        // A field starting with `*` (even `*/2`) makes the other one a plain AND filter.
        assert_eq!(
            first("0 0 */2 * 5", from, 3),
            [
                "2025-06-13 Fri 00:00",
                "2025-06-27 Fri 00:00",
                "2025-07-11 Fri 00:00"
            ]
        );
        assert_eq!(
            first("0 0 1-7 * */7", from, 2),
            ["2025-07-06 Sun 00:00", "2025-08-03 Sun 00:00"]
        );
        assert_eq!(
            first("0 0 13 * *", from, 2),
            ["2025-06-13 Fri 00:00", "2025-07-13 Sun 00:00"]
        );
    }

    #[test]
    fn february_29_fires_only_in_leap_years() {
        assert_eq!(
            first("0 0 29 2 *", "2025-03-01T00:00:00Z", 2),
            ["2028-02-29 Tue 00:00", "2032-02-29 Sun 00:00"]
        );
    }

    #[test]
    fn impossible_dates_never_fire_unless_a_weekday_also_matches() {
        for expr in ["0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *"] {
            assert_eq!(next(expr, "UTC", WED), None, "{expr}");
            assert_eq!(next(expr, "Europe/Berlin", WED), None, "{expr}");
        }
        assert_eq!(first("0 0 30 2 1", WED, 1), ["2026-02-02 Mon 00:00"]);
    }

    #[test]
    fn invalid_expressions_give_messages_naming_the_field() {
        let fields = "expected 5 fields (minute hour day-of-month month day-of-week)";
        for (expr, message) in [
            ("* * * *", format!("{fields}, got 4")),
            ("* * * * * *", format!("{fields}, got 6")),
            ("  ", format!("{fields}, got 0")),
            ("60 * * * *", "minute field: 60 is out of range 0-59".into()),
            (
                "99999999999 * * * *",
                "minute field: 99999999999 is out of range 0-59".into(),
            ),
            ("* 24 * * *", "hour field: 24 is out of range 0-23".into()),
            (
                "* * 0 * *",
                "day-of-month field: 0 is out of range 1-31".into(),
            ),
            (
                "* * 32 * *",
                "day-of-month field: 32 is out of range 1-31".into(),
            ),
            ("* * * 13 *", "month field: 13 is out of range 1-12".into()),
            (
                "* * * * 8",
                "day-of-week field: 8 is out of range 0-7".into(),
            ),
            (
                "*/0 * * * *",
                "minute field: step in \"*/0\" must be a whole number of at least 1".into(),
            ),
            (
                "* 1-5/x * * *",
                "hour field: step in \"1-5/x\" must be a whole number of at least 1".into(),
            ),
            (
                "5-1 * * * *",
                "minute field: range 5-1 goes backwards".into(),
            ),
            (
                "* * * * FRI-MON",
                "day-of-week field: range FRI-MON goes backwards".into(),
            ),
            ("1,,2 * * * *", "minute field: empty value".into()),
            ("-1 * * * *", "minute field: empty value".into()),
            (
                "+5 * * * *",
                "minute field: \"+5\" is not a valid value".into(),
            ),
            (
                "? * * * *",
                "minute field: \"?\" is not a valid value".into(),
            ),
            (
                "* * L * *",
                "day-of-month field: \"L\" is not a valid value".into(),
            ),
            (
                "* * * * MONDAY",
                "day-of-week field: \"MONDAY\" is not a valid value".into(),
            ),
            (
                "* * * * JAN",
                "day-of-week field: \"JAN\" is not a valid value".into(),
            ),
            (
                "* * * * 1#2",
                "day-of-week field: \"1#2\" is not a valid value".into(),
            ),
            (
                "@reboot",
                "@reboot has no schedule and is not supported".into(),
            ),
        ] {
            assert_eq!(error(expr), message, "{expr:?}");
        }
    }

    #[test]
    fn surrounding_and_repeated_whitespace_is_ignored() {
        assert_eq!(
            first(" \t0\t9  * *   1 \n", WED, 1),
            ["2025-05-19 Mon 09:00"]
        );
    }

    #[test]
    fn next_after_is_strictly_after() {
        let hourly = |after| next("0 * * * *", "UTC", after);
        assert_eq!(
            hourly("2025-05-14T10:00:00Z").unwrap(),
            "2025-05-14 Wed 11:00+00:00"
        );
        assert_eq!(
            hourly("2025-05-14T09:59:59.999Z").unwrap(),
            "2025-05-14 Wed 10:00+00:00"
        );
        assert_eq!(
            hourly("2025-05-14T10:00:00.001Z").unwrap(),
            "2025-05-14 Wed 11:00+00:00"
        );
        let kolkata = next("0 9 * * *", "Asia/Kolkata", "2025-05-14T03:30:00Z");
        assert_eq!(kolkata.unwrap(), "2025-05-15 Thu 09:00+05:30");
    }

    #[test]
    fn cron_crate_alone_skips_or_doubles_fixed_jobs_across_dst() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let raw = cron::Schedule::from_str("0 30 2 * * *").unwrap();
        let runs = |from: &str| -> Vec<_> {
            let from = utc(from).with_timezone(&berlin);
            raw.after(&from)
                .take(2)
                .map(|t| t.with_timezone(&Utc))
                .collect()
        };
        // Spring forward: no run on the 30th at all. Fall back: two runs on the 26th.
        assert_eq!(
            runs("2025-03-29T12:00:00Z"),
            [utc("2025-03-31T00:30:00Z"), utc("2025-04-01T00:30:00Z")]
        );
        assert_eq!(
            runs("2025-10-25T12:00:00Z"),
            [utc("2025-10-26T00:30:00Z"), utc("2025-10-26T01:30:00Z")]
        );
    }

    #[test]
    fn berlin_spring_forward() {
        let (from, to) = ("2025-03-28T23:30:00Z", "2025-03-31T01:00:00Z");
        assert_eq!(
            firings("0 1,2,3 * * *", "Europe/Berlin", from, to),
            [
                "2025-03-29 Sat 01:00+01:00",
                "2025-03-29 Sat 02:00+01:00",
                "2025-03-29 Sat 03:00+01:00",
                "2025-03-30 Sun 01:00+01:00",
                "2025-03-30 Sun 03:00+02:00", // 02:00 runs at 03:00, once
                "2025-03-31 Mon 01:00+02:00",
                "2025-03-31 Mon 02:00+02:00",
                "2025-03-31 Mon 03:00+02:00"
            ]
        );
        assert_eq!(
            firings("0,30 2 * * *", "Europe/Berlin", from, to),
            [
                "2025-03-29 Sat 02:00+01:00",
                "2025-03-29 Sat 02:30+01:00",
                "2025-03-30 Sun 03:00+02:00",
                "2025-03-31 Mon 02:00+02:00",
                "2025-03-31 Mon 02:30+02:00"
            ]
        );
        assert_eq!(
            firings(
                "*/30 * * * *",
                "Europe/Berlin",
                "2025-03-29T23:45:00Z",
                "2025-03-30T01:30:00Z"
            ),
            [
                "2025-03-30 Sun 01:00+01:00",
                "2025-03-30 Sun 01:30+01:00",
                "2025-03-30 Sun 03:00+02:00",
                "2025-03-30 Sun 03:30+02:00"
            ]
        );
        // `*/15 2 * * *` is an interval job (minute starts with `*`): no run on the 30th.
        assert_eq!(
            firings("*/15 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", to),
            Vec::<String>::new()
        );
    }

    #[test]
    fn berlin_fall_back() {
        let (from, to) = ("2025-10-24T22:30:00Z", "2025-10-26T22:30:00Z");
        assert_eq!(
            firings("0 1,2,3 * * *", "Europe/Berlin", from, to),
            [
                "2025-10-25 Sat 01:00+02:00",
                "2025-10-25 Sat 02:00+02:00",
                "2025-10-25 Sat 03:00+02:00",
                "2025-10-26 Sun 01:00+02:00",
                "2025-10-26 Sun 02:00+02:00",
                "2025-10-26 Sun 03:00+01:00"
            ]
        );
        assert_eq!(
            firings(
                "*/30 * * * *",
                "Europe/Berlin",
                "2025-10-25T23:45:00Z",
                "2025-10-26T02:00:00Z"
            ),
            [
                "2025-10-26 Sun 02:00+02:00",
                "2025-10-26 Sun 02:30+02:00",
                "2025-10-26 Sun 02:00+01:00",
                "2025-10-26 Sun 02:30+01:00",
                "2025-10-26 Sun 03:00+01:00"
            ]
        );
        // From inside the repeated hour: a fixed job already ran, an interval job runs again.
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2025-10-26T01:10:00Z").unwrap(),
            "2025-10-27 Mon 02:30+01:00"
        );
        assert_eq!(
            next("15 * * * *", "Europe/Berlin", "2025-10-26T00:45:00Z").unwrap(),
            "2025-10-26 Sun 02:15+01:00"
        );
        assert_eq!(
            next("15 * * * *", "Europe/Berlin", "2025-10-26T01:20:00Z").unwrap(),
            "2025-10-26 Sun 03:15+01:00"
        );
    }

    #[test]
    fn interval_jobs_fire_every_real_hour_through_48_hours_around_each_change() {
        for (zone, change) in [
            ("Europe/Berlin", "2025-03-30T01:00:00Z"),
            ("Europe/Berlin", "2025-10-26T01:00:00Z"),
            ("America/New_York", "2025-03-09T07:00:00Z"),
            ("America/New_York", "2025-11-02T06:00:00Z"),
            ("Australia/Sydney", "2025-04-05T16:00:00Z"),
            ("Australia/Sydney", "2025-10-04T16:00:00Z"),
        ] {
            let change = utc(change);
            let from = (change - TimeDelta::hours(24)).to_rfc3339();
            let to = (change + TimeDelta::hours(24)).to_rfc3339();
            let all = firings("0 * * * *", zone, &from, &to);
            assert_eq!(all.len(), 48, "{zone} {change}: {all:?}");
            let half_hours = firings("*/30 * * * *", zone, &from, &to);
            assert_eq!(half_hours.len(), 96, "{zone} {change}");
        }
    }

    #[test]
    fn new_york_spring_forward_and_fall_back() {
        let ny = "America/New_York";
        assert_eq!(
            firings(
                "30 2 * * *",
                ny,
                "2025-03-08T00:00:00Z",
                "2025-03-10T12:00:00Z"
            ),
            [
                "2025-03-08 Sat 02:30-05:00",
                "2025-03-09 Sun 03:00-04:00",
                "2025-03-10 Mon 02:30-04:00"
            ]
        );
        assert_eq!(
            firings(
                "*/30 * * * *",
                ny,
                "2025-03-09T05:45:00Z",
                "2025-03-09T07:30:00Z"
            ),
            [
                "2025-03-09 Sun 01:00-05:00",
                "2025-03-09 Sun 01:30-05:00",
                "2025-03-09 Sun 03:00-04:00",
                "2025-03-09 Sun 03:30-04:00"
            ]
        );
        assert_eq!(
            firings(
                "30 1 * * *",
                ny,
                "2025-11-01T00:00:00Z",
                "2025-11-03T12:00:00Z"
            ),
            [
                "2025-11-01 Sat 01:30-04:00",
                "2025-11-02 Sun 01:30-04:00",
                "2025-11-03 Mon 01:30-05:00"
            ]
        );
        assert_eq!(
            firings(
                "*/30 * * * *",
                ny,
                "2025-11-02T04:45:00Z",
                "2025-11-02T07:00:00Z"
            ),
            [
                "2025-11-02 Sun 01:00-04:00",
                "2025-11-02 Sun 01:30-04:00",
                "2025-11-02 Sun 01:00-05:00",
                "2025-11-02 Sun 01:30-05:00",
                "2025-11-02 Sun 02:00-05:00"
            ]
        );
        assert_eq!(
            next("30 * * * *", ny, "2025-11-02T05:45:00Z").unwrap(),
            "2025-11-02 Sun 01:30-05:00"
        );
    }

    #[test]
    fn southern_hemisphere_and_half_hour_shifts() {
        let sydney = "Australia/Sydney";
        assert_eq!(
            firings(
                "30 2 * * *",
                sydney,
                "2025-04-04T12:00:00Z",
                "2025-04-06T12:00:00Z"
            ),
            ["2025-04-05 Sat 02:30+11:00", "2025-04-06 Sun 02:30+11:00"]
        );
        assert_eq!(
            firings(
                "30 2 * * *",
                sydney,
                "2025-10-03T12:00:00Z",
                "2025-10-05T12:00:00Z"
            ),
            ["2025-10-04 Sat 02:30+10:00", "2025-10-05 Sun 03:00+11:00"]
        );
        let lord_howe = "Australia/Lord_Howe"; // shifts by 30 minutes at 02:00
        assert_eq!(
            next("15 2 * * *", lord_howe, "2025-10-04T12:00:00Z").unwrap(),
            "2025-10-05 Sun 02:30+11:00"
        );
        assert_eq!(
            firings(
                "45 1 * * *",
                lord_howe,
                "2025-04-04T12:00:00Z",
                "2025-04-06T12:00:00Z"
            ),
            ["2025-04-05 Sat 01:45+11:00", "2025-04-06 Sun 01:45+11:00"]
        );
        assert_eq!(
            firings(
                "*/15 * * * *",
                lord_howe,
                "2025-04-05T14:20:00Z",
                "2025-04-05T15:30:00Z"
            ),
            [
                "2025-04-06 Sun 01:30+11:00",
                "2025-04-06 Sun 01:45+11:00",
                "2025-04-06 Sun 01:30+10:30",
                "2025-04-06 Sun 01:45+10:30",
                "2025-04-06 Sun 02:00+10:30"
            ]
        );
    }

    #[test]
    fn midnight_in_zones_whose_dst_changes_at_midnight() {
        assert_eq!(
            firings(
                "0 0 * * *",
                "America/Santiago",
                "2025-09-05T12:00:00Z",
                "2025-09-08T12:00:00Z"
            ),
            [
                "2025-09-06 Sat 00:00-04:00",
                "2025-09-07 Sun 01:00-03:00",
                "2025-09-08 Mon 00:00-03:00"
            ]
        );
        assert_eq!(
            firings(
                "0 0 * * *",
                "America/Havana",
                "2025-11-01T00:00:00Z",
                "2025-11-03T12:00:00Z"
            ),
            [
                "2025-11-01 Sat 00:00-04:00",
                "2025-11-02 Sun 00:00-04:00",
                "2025-11-03 Mon 00:00-05:00"
            ]
        );
        assert_eq!(
            firings(
                "0 * * * *",
                "America/Havana",
                "2025-11-02T03:30:00Z",
                "2025-11-02T06:00:00Z"
            ),
            [
                "2025-11-02 Sun 00:00-04:00",
                "2025-11-02 Sun 00:00-05:00",
                "2025-11-02 Sun 01:00-05:00"
            ]
        );
    }

    #[test]
    fn a_whole_year_of_stepping_fires_once_per_day_or_hour_in_every_zone() {
        let (from, to) = ("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        for zone in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Australia/Lord_Howe",
            "America/Santiago",
            "America/Havana",
        ] {
            for daily in ["0 0 * * *", "30 2 * * *", "@daily"] {
                assert_eq!(firings(daily, zone, from, to).len(), 365, "{zone} {daily}");
            }
            if zone != "Australia/Lord_Howe" {
                assert_eq!(firings("0 * * * *", zone, from, to).len(), 8760, "{zone}");
            }
        }
    }

    #[test]
    fn cron_crate_search_agrees_with_a_minute_by_minute_scan() {
        let (from, to) = (utc("2024-01-15T00:00:00Z"), utc("2024-05-15T00:00:00Z"));
        for expr in [
            "15 10 * * *",
            "0 0 31 * *",
            "0 12 * * 1",
            "0 0 13 * 5",
            "*/20 3 1-7 * MON",
            "0 0 29 2 *",
            "5 4 * 2-3 0",
        ] {
            let s = CronSchedule::parse(expr).unwrap();
            let mut expected = vec![];
            let mut t = from + TimeDelta::minutes(1);
            while t <= to {
                if s.parts.iter().any(|p| p.includes(t)) {
                    expected.push(show(t, Tz::UTC));
                }
                t += TimeDelta::minutes(1);
            }
            assert_eq!(
                firings(expr, "UTC", &from.to_rfc3339(), &to.to_rfc3339()),
                expected,
                "{expr}"
            );
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let s = CronSchedule::parse("* * * * *").unwrap();
        assert_eq!(s.next_after(DateTime::<Utc>::MAX_UTC, berlin), None);
        assert_eq!(s.next_after(DateTime::<Utc>::MIN_UTC, berlin), None);
        assert_eq!(
            next("0 0 1 1 *", "Pacific/Kiritimati", "2100-06-01T00:00:00Z"),
            None
        );
        for expr in [
            "",
            "@",
            "*/",
            "/5",
            "*-*",
            "1-",
            ",",
            "５ * * * *",
            "\u{0} * * * *",
            "*/18446744073709551616 * * * *",
            "@daily\u{0}",
        ] {
            assert!(CronSchedule::parse(expr).is_err(), "{expr:?}");
        }
    }
}
