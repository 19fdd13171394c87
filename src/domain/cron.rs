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
//!
//! Beyond the classic syntax, `a/n` means `a-max/n` (as in cronsim). cronsim's `L`, `LW` and
//! `#` extensions are rejected, and an impossible date such as `0 0 30 2 *` parses but never
//! fires (cronsim rejects it).

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
#[path = "cron_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "cron_props.rs"]
mod properties;
