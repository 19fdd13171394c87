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
            match self.next_wall(candidate) {
                Some(c) if c <= horizon => candidate = c,
                _ => return best,
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

    const WED: &str = "2025-05-14 10:20";
    const END: &str = "2100-01-01 00:00";
    const BERLIN: &str = "Europe/Berlin";
    const NEW_YORK: &str = "America/New_York";
    const SYDNEY: &str = "Australia/Sydney";
    const LORD_HOWE: &str = "Australia/Lord_Howe"; // shifts by 30 minutes at 02:00

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
        while let Some(next) = s
            .next_after(t, tz)
            .filter(|n| *n <= to && out.len() < limit)
        {
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
            let all = run(expr, "UTC", from, END, n.max(1));
            all.iter()
                .map(|t| t.format("%a %m-%d %H:%M").to_string())
                .collect()
        });
    }

    /// The firings in `zone` after `from` and up to `to`, as local "day hh:mm+offset".
    fn firings(zone: &str, (from, to): (&str, &str), rows: &[&str]) {
        let tz: Tz = zone.parse().unwrap();
        check(rows, |expr, _| {
            let all = run(expr, zone, from, to, usize::MAX);
            let local = |t: &DateTime<Utc>| t.with_timezone(&tz).format("%d %H:%M%:z").to_string();
            all.iter().map(local).collect()
        });
    }

    /// Rows of "after | expression => next firing (or nothing)" in `zone`.
    fn next(zone: &str, rows: &[&str]) {
        for row in rows {
            let (after, row) = row.split_once(" | ").unwrap();
            let after = after.trim();
            let end = utc(after) + TimeDelta::days(HORIZON_DAYS + 1);
            let until = end.format("%Y-%m-%d %H:%M").to_string();
            let tz: Tz = zone.parse().unwrap();
            check(&[row], |expr, _| {
                let first = run(expr, zone, after, &until, 1);
                first
                    .iter()
                    .map(|t| t.with_timezone(&tz).format("%d %H:%M%:z").to_string())
                    .collect()
            });
        }
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
        assert_eq!(
            leap_days,
            [utc("2028-02-29 00:00"), utc("2032-02-29 00:00")]
        );
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
        check(&rows, |expr, _| {
            vec![CronSchedule::parse(expr).unwrap_err().0]
        });
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
            assert_eq!(
                every_minute.next_after(extreme, chrono_tz::Asia::Tokyo),
                None
            );
        }
        // The cron crate stops at 2100.
        next("Pacific/Kiritimati", &["2100-06-01 00:00 | 0 0 1 1 * => "]);
    }

    #[test]
    fn next_after_is_strictly_after() {
        next(
            "UTC",
            &[
                "2025-05-14 10:00           | 0 * * * * => 14 11:00+00:00",
                "2025-05-14 09:59:59.999    | 0 * * * * => 14 10:00+00:00",
                "2025-05-14 10:00:00.001    | 0 * * * * => 14 11:00+00:00",
            ],
        );
        next(
            "Asia/Kolkata",
            &["2025-05-14 03:30 | 0 9 * * * => 15 09:00+05:30"],
        );
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
        next(
            BERLIN,
            &[
                "2025-10-26 01:10 | 30 2 * * * => 27 02:30+01:00",
                "2025-10-26 00:45 | 15 * * * * => 26 02:15+01:00",
                "2025-10-26 01:20 | 15 * * * * => 26 03:15+01:00",
            ],
        );
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
        next(
            NEW_YORK,
            &["2025-11-02 05:45 | 30 * * * * => 02 01:30-05:00"],
        );
    }

    #[test]
    fn sydney_and_lord_howe_with_its_half_hour_shift() {
        let fall = ["30 2 * * *    => 05 02:30+11:00, 06 02:30+11:00"];
        firings(SYDNEY, ("2025-04-04 12:00", "2025-04-06 12:00"), &fall);
        let spring = ["30 2 * * *    => 04 02:30+10:00, 05 03:00+11:00"];
        firings(SYDNEY, ("2025-10-03 12:00", "2025-10-05 12:00"), &spring);
        next(
            LORD_HOWE,
            &["2025-10-04 12:00 | 15 2 * * * => 05 02:30+11:00"],
        );
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
            "America/Santiago",
            ("2025-09-05 12:00", "2025-09-08 12:00"),
            &midnight,
        );
        let midnight = ["0 0 * * *     => 01 00:00-04:00, 02 00:00-04:00, 03 00:00-05:00"];
        firings(
            "America/Havana",
            ("2025-11-01 00:00", "2025-11-03 12:00"),
            &midnight,
        );
        let hourly = ["0 * * * *     => 02 00:00-04:00, 02 00:00-05:00, 02 01:00-05:00"];
        firings(
            "America/Havana",
            ("2025-11-02 03:30", "2025-11-02 06:00"),
            &hourly,
        );
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
                run("0 * * * *", zone, from, to, usize::MAX),
                expected,
                "{zone} {change}"
            );
        }
    }

    #[test]
    fn a_year_of_stepping_fires_once_per_day_or_per_real_hour_in_every_zone() {
        let (from, to) = ("2025-01-01 00:00", "2026-01-01 00:00");
        let zones = [
            BERLIN,
            NEW_YORK,
            SYDNEY,
            LORD_HOWE,
            "America/Santiago",
            "America/Havana",
        ];
        for zone in zones {
            for daily in ["0 0 * * *", "30 2 * * *", "@daily"] {
                assert_eq!(
                    run(daily, zone, from, to, usize::MAX).len(),
                    365,
                    "{zone} {daily}"
                );
            }
            if zone != LORD_HOWE {
                assert_eq!(
                    run("0 * * * *", zone, from, to, usize::MAX).len(),
                    8760,
                    "{zone}"
                );
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
            assert_eq!(run(expr, "UTC", from, to, usize::MAX), scan, "{expr}");
        }
    }
}
