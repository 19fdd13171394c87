//! systemd `OnCalendar` calendar events (systemd.time(7)), accepting what healthchecks.io's
//! Python `oncalendar` library accepts. One expression per line; the schedule fires at the
//! earliest of them.
//!
//! Grammar of a line: `[WEEKDAYS] [DATE] [TIME] [TIMEZONE]`, at most 4 whitespace-separated
//! parts, in this order, or a shorthand (`minutely`, `hourly`, `daily`, `weekly`, `monthly`,
//! `quarterly`, `semiannually`, `yearly`, `annually`; case-insensitive), optionally followed
//! by a time zone.
//! - TIME contains ':': `HH:MM[:SS]` (default `00:00:00`). DATE starts with a digit or `*` and
//!   contains '-' or '~': `[YYYY-]MM-DD` or `[YYYY-]MM~DD` (default `*-*-*`). WEEKDAYS start
//!   with a letter: `Mon` / `Monday` (any case), lists with `,` (a trailing comma is allowed,
//!   as in `Wed, 17:48`), ranges with `..` or `-`. TIMEZONE is a last part that is an IANA
//!   name such as `Europe/Riga` or `UTC`; it overrides the zone passed to `next_after`.
//! - A numeric field is a `,` list of `*`, `N`, `A..B`, each optionally `/STEP` (`N/STEP`
//!   runs to the field maximum). Two-digit years mean 1970-2069. Ranges: year 1970-2199,
//!   month 1-12, day 1-31, hour 0-23, minute and second 0-59. A day that a month lacks
//!   simply never fires in that month.
//! - After `~` the day counts from the month's end (1 = last day, at most 28); `~A/STEP`
//!   runs from the A-th-last day towards the end, so `Sun *~07/1` is the last Sunday.
//! - Rejected: fractional seconds, `@epoch`, backwards ranges, step 0, a lone time zone.
//!
//! Evaluation searches wall-clock time in the zone, second by second in effect but skipping
//! non-matching years, months, days, hours and minutes, up to the end of 2199 (as the Python
//! library does). Wall times in a spring-forward gap never fire. A wall time that occurs
//! twice (fall-back) fires only at its first occurrence, as systemd and the Python library
//! do: a monitor that expected the repetition would raise false alarms.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta};
use chrono::{TimeZone, Timelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OnCalendarError(pub String);

#[derive(Debug, Clone)]
pub struct OnCalendarSchedule {
    exprs: Vec<Expr>,
}

/// A set of integers 0..=255.
#[derive(Debug, Clone, Copy, Default)]
struct Set([u64; 4]);

impl Set {
    fn of(values: impl IntoIterator<Item = u32>) -> Set {
        let mut set = Set::default();
        values.into_iter().for_each(|v| set.insert(v));
        set
    }
    fn insert(&mut self, v: u32) {
        self.0[(v / 64) as usize % 4] |= 1 << (v % 64);
    }
    fn has(&self, v: u32) -> bool {
        v < 256 && self.0[(v / 64) as usize] & (1 << (v % 64)) != 0
    }
}

/// One line. Years are stored minus 1970; weekdays count from Monday = 0.
#[derive(Debug, Clone)]
struct Expr {
    weekdays: Set,
    years: Set,
    months: Set,
    days: Set,
    /// Days counted from the month's end (1 = last day), from the `~` syntax.
    days_from_end: Set,
    hours: Set,
    minutes: Set,
    seconds: Set,
    tz: Option<Tz>,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Subtracted before storing in a `Set` (years).
    base: u32,
    from_end: bool,
}

const fn field(name: &'static str, min: u32, max: u32, base: u32, from_end: bool) -> Field {
    Field {
        name,
        min,
        max,
        base,
        from_end,
    }
}
const YEAR: Field = field("year", 1970, 2199, 1970, false);
const MONTH: Field = field("month", 1, 12, 0, false);
const DAY: Field = field("day", 1, 31, 0, false);
const DAY_FROM_END: Field = field("day (from the end)", 1, 28, 0, true);
const HOUR: Field = field("hour", 0, 23, 0, false);
const MINUTE: Field = field("minute", 0, 59, 0, false);
const SECOND: Field = field("second", 0, 59, 0, false);
const LAST_YEAR: i32 = 2199;

const WEEKDAYS: &str = "monday tuesday wednesday thursday friday saturday sunday";
const SHORTHANDS: [(&str, &str); 9] = [
    ("minutely", "*-*-* *:*:00"),
    ("hourly", "*-*-* *:00:00"),
    ("daily", "*-*-* 00:00:00"),
    ("monthly", "*-*-01 00:00:00"),
    ("weekly", "Mon *-*-* 00:00:00"),
    ("yearly", "*-01-01 00:00:00"),
    ("annually", "*-01-01 00:00:00"),
    ("quarterly", "*-01,04,07,10-01 00:00:00"),
    ("semiannually", "*-01,07-01 00:00:00"),
];
/// More than any two UTC offsets differ (-12:00 to +14:00): how far the local time of an
/// instant can be from what one offset says.
const OFFSET_SPREAD: TimeDelta = TimeDelta::hours(27);
/// Safety net: segments (time zone transitions and jumps) examined per `next_after`.
const MAX_STEPS: usize = 10_000;

fn err(msg: impl Into<String>) -> OnCalendarError {
    OnCalendarError(msg.into())
}

impl OnCalendarSchedule {
    /// Parses one or more OnCalendar expressions, one per line (blank lines ignored; at least
    /// one required).
    pub fn parse(expr: &str) -> Result<OnCalendarSchedule, OnCalendarError> {
        let lines: Vec<&str> = expr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return Err(err("empty OnCalendar expression"));
        }
        let exprs = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                Expr::parse(line).map_err(|e| match lines.len() {
                    1 => e,
                    _ => err(format!("line {}: {}", i + 1, e.0)),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(OnCalendarSchedule { exprs })
    }

    /// The first firing strictly after `after`, evaluated in `tz` unless an expression names
    /// its own zone. None if it never fires again (e.g. a fixed date in the past).
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let nexts = self
            .exprs
            .iter()
            .filter_map(|e| e.next_after(after, e.tz.unwrap_or(tz)));
        nexts.min()
    }
}

impl Expr {
    fn parse(line: &str) -> Result<Expr, OnCalendarError> {
        let mut parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() > 4 {
            return Err(err(format!(
                "too many parts in '{line}': expected at most 4 \
                 ([WEEKDAYS] [DATE] [TIME] [TIMEZONE]), got {}",
                parts.len()
            )));
        }
        let mut tz = None;
        if parts.len() > 1
            && let Some(Ok(zone)) = parts.last().map(|p| p.parse::<Tz>())
        {
            tz = Some(zone);
            parts.pop();
        }
        if let [one] = parts[..]
            && let Some((_, expansion)) =
                SHORTHANDS.iter().find(|(n, _)| n.eq_ignore_ascii_case(one))
        {
            parts = expansion.split_whitespace().collect();
        }
        let mut e = Expr {
            weekdays: Set::of(0..7),
            years: Set::of(0..=LAST_YEAR as u32 - 1970),
            months: Set::of(1..=12),
            days: Set::of(1..=31),
            days_from_end: Set::default(),
            hours: Set::of([0]),
            minutes: Set::of([0]),
            seconds: Set::of([0]),
            tz,
        };
        let mut stage = 0;
        for (i, part) in parts.iter().enumerate() {
            let first = part.chars().next().unwrap_or(' ');
            let rank = if part.contains(':') {
                e.parse_time(part)?;
                3
            } else if (first.is_ascii_digit() || first == '*') && part.contains(['-', '~']) {
                e.parse_date(part)?;
                2
            } else if first.is_ascii_alphabetic() && i == 0 {
                e.weekdays = parse_weekdays(part)?;
                1
            } else if first.is_ascii_alphabetic() {
                return Err(err(format!("'{part}' is not a known time zone")));
            } else {
                return Err(err(format!(
                    "cannot parse '{part}': expected weekdays, a date (with '-') \
                     or a time (with ':')"
                )));
            };
            if rank <= stage {
                return Err(err(format!(
                    "'{part}' is out of place: expected [WEEKDAYS] [DATE] [TIME] [TIMEZONE]"
                )));
            }
            stage = rank;
        }
        Ok(e)
    }

    fn parse_time(&mut self, text: &str) -> Result<(), OnCalendarError> {
        let fields: Vec<&str> = text.split(':').collect();
        if !(2..=3).contains(&fields.len()) {
            return Err(err(format!("time '{text}' must be HH:MM or HH:MM:SS")));
        }
        self.hours = parse_field(fields[0], &HOUR)?;
        self.minutes = parse_field(fields[1], &MINUTE)?;
        if let Some(seconds) = fields.get(2) {
            self.seconds = parse_field(seconds, &SECOND)?;
        }
        Ok(())
    }

    fn parse_date(&mut self, text: &str) -> Result<(), OnCalendarError> {
        let (year_month, day, from_end) = match text.split_once('~') {
            Some((ym, d)) => (ym, d, true),
            None => text
                .rsplit_once('-')
                .map(|(ym, d)| (ym, d, false))
                .unwrap_or((text, "", false)),
        };
        let (year, month) = match year_month.split('-').collect::<Vec<_>>()[..] {
            [m] => ("*", m),
            [y, m] => (y, m),
            _ => {
                return Err(err(format!(
                    "date '{text}' must be [YYYY-]MM-DD or [YYYY-]MM~DD"
                )));
            }
        };
        self.years = parse_field(year, &YEAR)?;
        self.months = parse_field(month, &MONTH)?;
        if from_end {
            self.days = Set::default();
            self.days_from_end = parse_field(day, &DAY_FROM_END)?;
        } else {
            self.days = parse_field(day, &DAY)?;
        }
        Ok(())
    }

    /// First instant strictly after `after` whose wall time in `tz` matches.
    ///
    /// Works on UTC instants `cur` with the offset `o` in force there: the candidate is the
    /// first matching wall time `w >= cur + o`, mapped back as `w - o`. That is exact while the
    /// offset stays `o`; a transition matters only within a day (the largest offset change)
    /// after `cur`, or within [`OFFSET_SPREAD`] (the widest gap between two offsets, which
    /// several changes can add up to) before the candidate, so only those two windows are
    /// checked. On a
    /// transition the search restarts there with the new offset: walls in a gap are never
    /// reached, and walls in a fold are skipped the second time.
    fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let day = TimeDelta::days(1);
        let limit = NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31)?;
        let offset = |t: NaiveDateTime| {
            TimeDelta::seconds(
                tz.offset_from_utc_datetime(&t)
                    .fix()
                    .local_minus_utc()
                    .into(),
            )
        };
        // The first instant in (lo, hi] whose offset is not `o`, given that `hi`'s is not.
        let change = |mut lo: NaiveDateTime, mut hi: NaiveDateTime, o: TimeDelta| {
            while hi - lo > TimeDelta::seconds(1) {
                let mid = lo + TimeDelta::seconds((hi - lo).num_seconds() / 2);
                if offset(mid) == o { lo = mid } else { hi = mid }
            }
            hi
        };
        let mut cur = after
            .naive_utc()
            .with_nanosecond(0)?
            .checked_add_signed(TimeDelta::seconds(1))?;
        // Starting inside a repeated stretch (the clock went back less than a day ago and
        // its local times are coming round again): they fired the first time round, so
        // go on from where the clock stood before it went back.
        let day_before = cur.checked_sub_signed(day)?;
        let o_before = offset(day_before);
        if offset(cur) < o_before {
            let at = change(day_before, cur, o_before);
            cur = cur.max(at.checked_add_signed(o_before - offset(at))?);
        }
        for _ in 0..MAX_STEPS {
            let o = offset(cur);
            let found = self.next_wall(cur.checked_add_signed(o)?, limit);
            let cur_plus_day = cur.checked_add_signed(day)?;
            let candidate = match found {
                Some(w) => w.checked_sub_signed(o)?,
                None => cur_plus_day,
            };
            let head = candidate.min(cur_plus_day);
            if offset(head) != o {
                let hi = change(cur, head, o);
                // Falling back repeats wall times: they fire once, at their first
                // occurrence (as systemd and healthchecks.io), so skip the repetition.
                let new_o = offset(hi);
                cur = if new_o < o {
                    hi.checked_add_signed(o - new_o)?
                } else {
                    hi
                };
                continue;
            }
            // No match: a later fold could only bring back walls within a day, checked above.
            found?;
            if candidate > cur_plus_day {
                // Between here and the candidate the offset may drift from `o` by the
                // whole spread of offsets (several changes add up: Samoa went from -11
                // to +14 within 2011), so only instants that much before the candidate
                // are safe to skip.
                let tail = candidate
                    .checked_sub_signed(OFFSET_SPREAD)?
                    .max(cur_plus_day);
                if offset(tail) != o || offset(candidate) != o {
                    // Nothing before `tail` can match; continue from there with its offset.
                    cur = tail;
                    continue;
                }
            }
            return Some(candidate.and_utc());
        }
        None
    }

    /// The first matching wall time at or after `from`, not later than `limit`.
    fn next_wall(&self, from: NaiveDateTime, limit: NaiveDate) -> Option<NaiveDateTime> {
        let mut date = from.date();
        let mut floor = (from.hour(), from.minute(), from.second());
        while date <= limit {
            let (year, month) = (date.year(), date.month());
            if year < 1970 {
                date = NaiveDate::from_ymd_opt(1970, 1, 1)?;
            } else if !self.years.has((year - 1970).unsigned_abs()) {
                date = NaiveDate::from_ymd_opt(year + 1, 1, 1)?;
            } else if !self.months.has(month) {
                date = first_of_next_month(date)?;
            } else {
                if self.day_matches(date)
                    && let Some(time) = self.first_time(floor)
                {
                    return Some(date.and_time(time));
                }
                date = date.succ_opt()?;
            }
            floor = (0, 0, 0);
        }
        None
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let day = date.day();
        let from_end = || {
            let last = first_of_next_month(date)
                .and_then(|d| d.pred_opt())
                .map_or(31, |d| d.day());
            self.days_from_end.has(last + 1 - day)
        };
        self.weekdays.has(date.weekday().num_days_from_monday())
            && (self.days.has(day) || from_end())
    }

    /// The first matching time of day at or after `(h0, m0, s0)`.
    fn first_time(&self, (h0, m0, s0): (u32, u32, u32)) -> Option<NaiveTime> {
        for h in (h0..24).filter(|&h| self.hours.has(h)) {
            let m_start = if h == h0 { m0 } else { 0 };
            for m in (m_start..60).filter(|&m| self.minutes.has(m)) {
                let s_start = if h == h0 && m == m0 { s0 } else { 0 };
                if let Some(s) = (s_start..60).find(|&s| self.seconds.has(s)) {
                    return NaiveTime::from_hms_opt(h, m, s);
                }
            }
        }
        None
    }
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    match date.month() {
        12 => NaiveDate::from_ymd_opt(date.year() + 1, 1, 1),
        m => NaiveDate::from_ymd_opt(date.year(), m + 1, 1),
    }
}

fn parse_weekdays(text: &str) -> Result<Set, OnCalendarError> {
    let weekday = |name: &str| {
        let lower = name.to_ascii_lowercase();
        let found = WEEKDAYS
            .split_whitespace()
            .position(|w| w == lower || w[..3] == lower);
        found
            .map(|i| i as u32)
            .ok_or_else(|| err(format!("unknown weekday '{name}'")))
    };
    let mut set = Set::default();
    for item in text.strip_suffix(',').unwrap_or(text).split(',') {
        let (a, b) = item
            .split_once("..")
            .or_else(|| item.split_once('-'))
            .unwrap_or((item, item));
        let (a, b) = (weekday(a)?, weekday(b)?);
        if a > b {
            return Err(err(format!("weekday range '{item}' runs backwards")));
        }
        (a..=b).for_each(|v| set.insert(v));
    }
    Ok(set)
}

/// A `,` list of `*`, `N`, `A..B`, each optionally followed by `/STEP`.
fn parse_field(text: &str, f: &Field) -> Result<Set, OnCalendarError> {
    let mut set = Set::default();
    for item in text.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => match number(step, f.name)? {
                0 => {
                    return Err(err(format!(
                        "{} step 0 is out of range (must be at least 1)",
                        f.name
                    )));
                }
                step => (base, Some(step as usize)),
            },
            None => (item, None),
        };
        let (lo, hi) = if base == "*" {
            (f.min, f.max)
        } else if let Some((a, b)) = base.split_once("..") {
            let (a, b) = (value(a, f)?, value(b, f)?);
            if a > b {
                return Err(err(format!("{} range '{base}' runs backwards", f.name)));
            }
            (a, b)
        } else {
            let a = value(base, f)?;
            match step {
                None => (a, a),
                Some(_) if f.from_end => (f.min, a),
                Some(_) => (a, f.max),
            }
        };
        let step = step.unwrap_or(1);
        // Counted from the month's end, steps run from the farthest day towards the end.
        let values: Vec<u32> = match f.from_end {
            true => (lo..=hi).rev().step_by(step).collect(),
            false => (lo..=hi).step_by(step).collect(),
        };
        for v in values {
            set.insert(v - f.base);
        }
    }
    Ok(set)
}

fn value(text: &str, f: &Field) -> Result<u32, OnCalendarError> {
    let mut v = number(text, f.name)?;
    if f.base == 1970 && v < 100 {
        v += if v < 70 { 2000 } else { 1900 };
    }
    if v < f.min || v > f.max {
        return Err(err(format!(
            "{} {v} is out of range {}-{}",
            f.name, f.min, f.max
        )));
    }
    Ok(v)
}

fn number(text: &str, name: &str) -> Result<u32, OnCalendarError> {
    if name == "second" && text.contains('.') {
        return Err(err(format!(
            "fractional seconds are not supported: '{text}'"
        )));
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(format!("invalid {name} '{text}'")));
    }
    text.parse()
        .map_err(|_| err(format!("{name} '{text}' is too large")))
}

#[cfg(test)]
#[path = "oncalendar_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "oncalendar_props.rs"]
mod properties;
