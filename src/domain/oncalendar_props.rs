//! Properties of OnCalendar parsing and the next-run search, against an oracle written
//! from the module's documented grammar: expressions are generated as sets of values,
//! rendered in systemd's spellings, and every answer of `next_after` is checked against
//! the sets second by second where they allow, in zones with awkward DST rules.

use super::*;
use crate::domain::props::{self, ZONES};
use chrono::Duration;
use chrono::MappedLocalTime;
use proptest::prelude::*;

/// One item of a field's comma list: `*`, `N` or `A..B`, with an optional `/STEP`.
#[derive(Debug, Clone)]
struct Item {
    base: Base,
    step: Option<u32>,
}

#[derive(Debug, Clone)]
enum Base {
    Star,
    One(u32),
    Range(u32, u32),
}

#[derive(Debug, Clone)]
struct FieldGen {
    min: u32,
    max: u32,
    from_end: bool,
    items: Vec<Item>,
    /// Two-digit years and zero-padding, as people write them.
    short: bool,
}

impl FieldGen {
    fn number(&self, v: u32) -> String {
        match (self.min, self.short) {
            (1970, true) => format!("{:02}", v % 100),
            (_, true) => format!("{v:02}"),
            _ => v.to_string(),
        }
    }

    fn text(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| {
                let base = match i.base {
                    Base::Star => "*".into(),
                    Base::One(a) => self.number(a),
                    Base::Range(a, b) => format!("{}..{}", self.number(a), self.number(b)),
                };
                match i.step {
                    Some(s) => format!("{base}/{s}"),
                    None => base,
                }
            })
            .collect();
        items.join(",")
    }

    /// The values allowed, per the documented grammar: `N/STEP` runs to the maximum, or
    /// from the end of the month towards its last day for days counted from the end.
    fn values(&self) -> Vec<bool> {
        let mut set = vec![false; self.max as usize + 1];
        for i in &self.items {
            let (lo, hi) = match (&i.base, i.step) {
                (Base::Star, _) => (self.min, self.max),
                (Base::Range(a, b), _) => (*a, *b),
                (Base::One(a), None) => (*a, *a),
                (Base::One(a), Some(_)) if self.from_end => (self.min, *a),
                (Base::One(a), Some(_)) => (*a, self.max),
            };
            let step = i.step.unwrap_or(1) as usize;
            let values: Vec<u32> = if self.from_end {
                (lo..=hi).rev().step_by(step).collect()
            } else {
                (lo..=hi).step_by(step).collect()
            };
            for v in values {
                set[v as usize] = true;
            }
        }
        set
    }
}

fn field(min: u32, max: u32, from_end: bool) -> impl Strategy<Value = FieldGen> {
    let item = (
        prop_oneof![
            2 => Just(Base::Star),
            3 => (min..=max).prop_map(Base::One),
            2 => (min..=max, min..=max).prop_map(|(a, b)| Base::Range(a.min(b), a.max(b))),
        ],
        prop::option::weighted(0.3, 1..=(max - min + 1)),
    )
        .prop_map(|(base, step)| Item { base, step });
    (prop::collection::vec(item, 1..=2), any::<bool>()).prop_map(move |(items, short)| FieldGen {
        min,
        max,
        from_end,
        items,
        short,
    })
}

/// Years people schedule: any, or a span around now (two-digit spellings included).
fn years() -> impl Strategy<Value = FieldGen> {
    prop_oneof![
        3 => Just(FieldGen { min: 1970, max: 2199, from_end: false, items: vec![Item { base: Base::Star, step: None }], short: false }),
        1 => (1990u32..2060, 0u32..40, any::<bool>()).prop_map(|(a, len, short)| FieldGen {
            min: 1970,
            max: 2199,
            from_end: false,
            items: vec![Item { base: Base::Range(a, (a + len).min(2069)), step: None }],
            short,
        }),
    ]
}

const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A generated line: its text and the oracle's sets.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    weekdays: [bool; 7],
    years: Vec<bool>,
    months: Vec<bool>,
    days: Vec<bool>,
    days_from_end: Vec<bool>,
    hours: Vec<bool>,
    minutes: Vec<bool>,
    seconds: Vec<bool>,
    tz: Option<Tz>,
}

fn all(max: usize) -> Vec<bool> {
    vec![true; max + 1]
}

fn only(v: usize, max: usize) -> Vec<bool> {
    (0..=max).map(|i| i == v).collect()
}

fn weekdays() -> impl Strategy<Value = (String, [bool; 7])> {
    let item = (0usize..7, 0usize..7, any::<bool>(), 0u8..4).prop_map(|(a, b, range, style)| {
        let name = |i: usize| match style {
            0 => WEEKDAY_NAMES[i].to_string(),
            1 => WEEKDAY_NAMES[i][..3].to_string(),
            2 => WEEKDAY_NAMES[i][..3].to_uppercase(),
            _ => WEEKDAY_NAMES[i].to_lowercase(),
        };
        let (a, b) = (a.min(b), a.max(b));
        if range {
            let sep = if style % 2 == 0 { ".." } else { "-" };
            (format!("{}{sep}{}", name(a), name(b)), a, b)
        } else {
            (name(a), a, a)
        }
    });
    (prop::collection::vec(item, 1..=3), any::<bool>()).prop_map(|(items, trailing)| {
        let mut set = [false; 7];
        for (_, a, b) in &items {
            (*a..=*b).for_each(|d| set[d] = true);
        }
        let texts: Vec<String> = items.into_iter().map(|(t, _, _)| t).collect();
        let comma = if trailing { "," } else { "" };
        (format!("{}{comma}", texts.join(",")), set)
    })
}

fn line() -> impl Strategy<Value = Line> {
    let date = (
        years(),
        field(1, 12, false),
        field(1, 31, false),
        field(1, 28, true),
        0u8..3,
    );
    let time = (
        field(0, 23, false),
        field(0, 59, false),
        prop::option::of(0u32..60),
        any::<bool>(),
    );
    let zone = prop::option::weighted(0.2, proptest::sample::select(&ZONES[..]));
    (
        prop::option::of(weekdays()),
        prop::option::of(date),
        prop::option::of(time),
        zone,
    )
        .prop_filter("a lone time zone is not an expression", |(w, d, t, _)| {
            w.is_some() || d.is_some() || t.is_some()
        })
        .prop_map(|(w, d, t, tz)| {
            let mut parts = Vec::new();
            let mut line = Line {
                text: String::new(),
                weekdays: [true; 7],
                years: all(2199),
                months: all(12),
                days: all(31),
                days_from_end: vec![false; 29],
                hours: only(0, 23),
                minutes: only(0, 59),
                seconds: only(0, 59),
                tz,
            };
            if let Some((text, set)) = w {
                parts.push(text);
                line.weekdays = set;
            }
            if let Some((year, month, day, from_end, form)) = d {
                let (sep, day_field) = if form == 0 {
                    ("~", &from_end)
                } else {
                    ("-", &day)
                };
                let ym = if form == 2 {
                    month.text()
                } else {
                    format!("{}-{}", year.text(), month.text())
                };
                parts.push(format!("{ym}{sep}{}", day_field.text()));
                if form != 2 {
                    line.years = year.values();
                }
                line.months = month.values();
                if form == 0 {
                    line.days = vec![false; 32];
                    line.days_from_end = from_end.values();
                } else {
                    line.days = day.values();
                }
            }
            if let Some((hour, minute, second, _)) = t {
                let mut text = format!("{}:{}", hour.text(), minute.text());
                line.hours = hour.values();
                line.minutes = minute.values();
                if let Some(s) = second {
                    text.push_str(&format!(":{s:02}"));
                    line.seconds = only(s as usize, 59);
                }
                parts.push(text);
            }
            if let Some(tz) = tz {
                parts.push(tz.name().to_string());
            }
            line.text = parts.join(" ");
            line
        })
}

impl Line {
    fn date_matches(&self, date: NaiveDate) -> bool {
        let last = first_of_next_month(date)
            .and_then(|d| d.pred_opt())
            .map_or(31, |d| d.day());
        let from_end = (last + 1 - date.day()) as usize;
        usize::try_from(date.year()).is_ok_and(|y| self.years.get(y) == Some(&true))
            && self.weekdays[date.weekday().num_days_from_monday() as usize]
            && self.months[date.month() as usize]
            && (self.days[date.day() as usize]
                || self.days_from_end.get(from_end).copied().unwrap_or(false))
    }

    fn matches(&self, wall: NaiveDateTime) -> bool {
        self.hours[wall.hour() as usize]
            && self.minutes[wall.minute() as usize]
            && self.seconds[wall.second() as usize]
            && self.date_matches(wall.date())
    }
}

fn wall_of(t: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// Checks `next_after` from `after` against the oracle; returns the firing, if any.
fn check_next(
    line: &Line,
    s: &OnCalendarSchedule,
    tz: Tz,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, TestCaseError> {
    let tz = line.tz.unwrap_or(tz);
    let Some(next) = s.next_after(after, tz) else {
        // Never again: no day of the next two years matches (or has a noon at all).
        let start = wall_of(after, tz).date();
        let fires_some_day = (1..730)
            .filter_map(|d| start.checked_add_signed(TimeDelta::days(d)))
            .any(|d| {
                line.date_matches(d)
                    && tz
                        .from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
                        .single()
                        .is_some()
            });
        prop_assert!(!fires_some_day, "no firing after {after}, yet days match");
        return Ok(None);
    };
    prop_assert!(next > after, "{next} is not after {after}");
    let wall = wall_of(next, tz);
    prop_assert!(line.matches(wall), "{next} (local {wall}) does not match");
    let earliest = tz
        .from_local_datetime(&wall)
        .earliest()
        .map(|t| t.with_timezone(&Utc));
    prop_assert_eq!(
        earliest,
        Some(next),
        "a repeated local time fires at its first occurrence"
    );
    // Nothing that should have fired lies between: every allowed second is checked.
    if next - after <= Duration::days(2) {
        let seconds: Vec<i64> = (0..60i64)
            .filter(|&s| line.seconds[s.unsigned_abs() as usize])
            .collect();
        let mut minute = after.with_second(0).unwrap_or(after);
        while minute < next {
            for &s in &seconds {
                let u = minute + Duration::seconds(s);
                if u <= after || u >= next {
                    continue;
                }
                let w = wall_of(u, tz);
                let repeat = matches!(tz.from_local_datetime(&w),
                    MappedLocalTime::Ambiguous(first, _) if first.with_timezone(&Utc) != u);
                prop_assert!(
                    !line.matches(w) || repeat,
                    "{u} (local {w}) should fire before {next}"
                );
            }
            minute += Duration::minutes(1);
        }
    }
    let mid = after + (next - after) / 2;
    prop_assert_eq!(s.next_after(mid, tz), Some(next), "from {}", mid);
    Ok(Some(next))
}

proptest! {
    #![proptest_config(props::config(512))]

    #[test]
    fn parsing_any_text_never_panics(text in "\\PC{0,60}") {
        let _ = OnCalendarSchedule::parse(&text);
    }

    #[test]
    fn parsing_calendar_like_text_never_panics(
        text in "[0-9*/,.~: -]{0,30}|[0-9a-zA-Z*/,.~:\n -]{0,40}",
    ) {
        let _ = OnCalendarSchedule::parse(&text);
    }
}

proptest! {
    #![proptest_config(props::config(48))]

    #[test]
    fn generated_expressions_parse_and_the_next_run_is_the_first_match(
        line in line(),
        (tz, after) in props::zone_and_instant(),
    ) {
        let s = OnCalendarSchedule::parse(&line.text);
        prop_assert!(s.is_ok(), "{}: {:?}", line.text, s.err());
        let s = s.unwrap_or_else(|_| unreachable!());
        let Some(first) = check_next(&line, &s, tz, after)? else { return Ok(()) };
        // The next one too: local time only moves forward (a repeated hour fires once).
        if let Some(second) = check_next(&line, &s, tz, first)? {
            let zone = line.tz.unwrap_or(tz);
            prop_assert!(wall_of(second, zone) > wall_of(first, zone), "{}", line.text);
        }
    }

    #[test]
    fn several_lines_fire_at_the_earliest_of_them(
        lines in prop::collection::vec(line(), 2..=3),
        (tz, after) in props::zone_and_instant(),
    ) {
        let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        let all = OnCalendarSchedule::parse(&text.join("\n"));
        prop_assert!(all.is_ok(), "{:?}", all.err());
        let earliest = lines
            .iter()
            .filter_map(|l| OnCalendarSchedule::parse(&l.text).ok()?.next_after(after, tz))
            .min();
        prop_assert_eq!(all.ok().and_then(|s| s.next_after(after, tz)), earliest);
    }
}
