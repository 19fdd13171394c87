//! Properties of cron parsing and the next-run search, against an oracle written from the
//! module's documented rules: expressions are generated as sets of values, rendered in
//! the many ways cron can spell them, and every answer of `next_after` is checked against
//! the sets minute by minute, in zones with awkward DST rules.

use super::*;
use crate::domain::props::{self, offset_at};
use chrono::{Duration, Timelike};
use proptest::prelude::*;

/// One term of a field's comma list.
#[derive(Debug, Clone)]
enum Term {
    Star,
    StarStep(u32),
    One(u32),
    Range(u32, u32),
    RangeStep(u32, u32, u32),
    FromStep(u32, u32),
}

/// A generated field: its terms, and whether values are spelled as names.
#[derive(Debug, Clone)]
struct FieldSpec {
    idx: usize,
    terms: Vec<Term>,
    names: bool,
}

impl FieldSpec {
    fn value(&self, v: u32) -> String {
        match (self.names, self.idx) {
            (true, 3) => MONTHS[v as usize - 1].to_lowercase(),
            (true, 4) if v < 7 => DAYS[v as usize].to_string(),
            _ => v.to_string(),
        }
    }

    fn text(&self) -> String {
        let items: Vec<String> = self
            .terms
            .iter()
            .map(|t| match *t {
                Term::Star => "*".into(),
                Term::StarStep(s) => format!("*/{s}"),
                Term::One(a) => self.value(a),
                Term::Range(a, b) => format!("{}-{}", self.value(a), self.value(b)),
                Term::RangeStep(a, b, s) => format!("{}-{}/{s}", self.value(a), self.value(b)),
                Term::FromStep(a, s) => format!("{}/{s}", self.value(a)),
            })
            .collect();
        items.join(",")
    }

    /// The values the field allows, per the documented rules (day-of-week 7 is Sunday).
    fn values(&self) -> Vec<bool> {
        let (_, min, max) = FIELDS[self.idx];
        let mut set = vec![false; 8.max(max as usize + 1)];
        let mut add = |from: u32, to: u32, step: u32| {
            for v in (from..=to).step_by(step as usize) {
                set[v as usize] = true;
            }
        };
        for t in &self.terms {
            match *t {
                Term::Star => add(min, max, 1),
                Term::StarStep(s) => add(min, max, s),
                Term::One(a) => add(a, a, 1),
                Term::Range(a, b) => add(a, b, 1),
                Term::RangeStep(a, b, s) => add(a, b, s),
                Term::FromStep(a, s) => add(a, max, s),
            }
        }
        if self.idx == 4 && set[7] {
            set[0] = true;
        }
        set
    }
}

fn term(min: u32, max: u32) -> impl Strategy<Value = Term> {
    let span = max - min + 1;
    prop_oneof![
        2 => Just(Term::Star),
        1 => (1..=span).prop_map(Term::StarStep),
        3 => (min..=max).prop_map(Term::One),
        2 => (min..=max, min..=max).prop_map(|(a, b)| Term::Range(a.min(b), a.max(b))),
        1 => (min..=max, min..=max, 1..=span)
            .prop_map(|(a, b, s)| Term::RangeStep(a.min(b), a.max(b), s)),
        1 => (min..=max, 1..=span).prop_map(|(a, s)| Term::FromStep(a, s)),
    ]
}

fn field(idx: usize) -> impl Strategy<Value = FieldSpec> {
    let (_, min, max) = FIELDS[idx];
    (prop::collection::vec(term(min, max), 1..=3), any::<bool>())
        .prop_map(move |(terms, names)| FieldSpec { idx, terms, names })
}

/// A generated expression: its text, and the values each field allows per the oracle.
#[derive(Debug, Clone)]
struct Expr {
    text: String,
    sets: [Vec<bool>; 5],
    /// Whether each field starts with `*`.
    star: [bool; 5],
}

impl Expr {
    fn new(fields: [FieldSpec; 5]) -> Expr {
        let texts = fields.clone().map(|f| f.text());
        Expr {
            text: texts.join(" "),
            sets: fields.map(|f| f.values()),
            star: texts.map(|t| t.starts_with('*')),
        }
    }

    fn fixed(&self) -> bool {
        !self.star[0] && !self.star[1]
    }

    /// Whether the day matches: day-of-month and day-of-week are OR-ed when both are
    /// restricted (neither starts with `*`), AND-ed otherwise.
    fn day_matches(&self, date: chrono::NaiveDate) -> bool {
        let d = self.sets[2][date.day() as usize];
        let w = self.sets[4][date.weekday().num_days_from_sunday() as usize];
        self.sets[3][date.month() as usize]
            && if self.star[2] || self.star[4] {
                d && w
            } else {
                d || w
            }
    }

    fn matches(&self, wall: NaiveDateTime) -> bool {
        wall.second() == 0
            && self.sets[0][wall.minute() as usize]
            && self.sets[1][wall.hour() as usize]
            && self.day_matches(wall.date())
    }
}

fn expr() -> impl Strategy<Value = Expr> {
    (field(0), field(1), field(2), field(3), field(4))
        .prop_map(|(a, b, c, d, e)| Expr::new([a, b, c, d, e]))
}

fn wall_of(t: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// Checks `next_after` from `after` against the oracle; returns the firing, if any.
fn check_next(
    e: &Expr,
    s: &CronSchedule,
    tz: Tz,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, TestCaseError> {
    let Some(next) = s.next_after(after, tz) else {
        // Never again: no day matches before the search horizon (or year 2100).
        let start = wall_of(after, tz).date();
        let fires_some_day = (1..HORIZON_DAYS - 1)
            .filter_map(|d| start.checked_add_signed(TimeDelta::days(d)))
            .take_while(|d| d.year() <= 2100)
            .any(|d| e.day_matches(d));
        prop_assert!(!fires_some_day, "no firing after {after}, yet days match");
        return Ok(None);
    };
    prop_assert!(next > after, "{next} is not after {after}");
    let wall = wall_of(next, tz);
    let gap_end = offset_at(tz, next - Duration::seconds(1)) != offset_at(tz, next);
    prop_assert!(
        e.matches(wall) || (e.fixed() && gap_end),
        "{next} (local {wall}) matches neither the fields nor a skipped fixed time"
    );
    // Nothing that should have fired lies between: every minute is checked.
    if next - after <= Duration::days(3) {
        let mut u = after.with_second(0).unwrap_or(after) + Duration::minutes(1);
        while u < next {
            let w = wall_of(u, tz);
            if e.matches(w) {
                let repeat = matches!(tz.from_local_datetime(&w),
                    MappedLocalTime::Ambiguous(first, _) if first.with_timezone(&Utc) != u);
                prop_assert!(
                    e.fixed() && repeat,
                    "{u} (local {w}) should fire before {next}"
                );
            }
            u += Duration::minutes(1);
        }
    }
    // Searching from anywhere in between finds the same firing.
    let mid = after + (next - after) / 2;
    prop_assert_eq!(s.next_after(mid, tz), Some(next), "from {}", mid);
    Ok(Some(next))
}

proptest! {
    #![proptest_config(props::config(512))]

    #[test]
    fn parsing_any_text_never_panics(text in "\\PC{0,60}") {
        let _ = CronSchedule::parse(&text);
    }

    #[test]
    fn parsing_cron_like_text_never_panics(text in "[0-9*/,@ -]{0,30}|[0-9a-zA-Z*/,@ -]{0,40}") {
        let _ = CronSchedule::parse(&text);
    }
}

proptest! {
    #![proptest_config(props::config(48))]

    #[test]
    fn generated_expressions_parse_and_the_next_run_is_the_first_match(
        e in expr(),
        (tz, after) in props::zone_and_instant(),
    ) {
        let s = CronSchedule::parse(&e.text);
        prop_assert!(s.is_ok(), "{}: {:?}", e.text, s.err());
        let s = s.unwrap_or_else(|_| unreachable!());
        let Some(first) = check_next(&e, &s, tz, after)? else { return Ok(()) };
        // The next one too; a fixed-time job's local time only moves forward (it fires
        // once in a repeated hour), an interval job's moves back at most an hour there.
        if let Some(second) = check_next(&e, &s, tz, first)? {
            let (a, b) = (wall_of(first, tz), wall_of(second, tz));
            if e.fixed() {
                prop_assert!(b > a, "{}: {a} then {b}", e.text);
            } else {
                prop_assert!(b > a - Duration::hours(2), "{}: {a} then {b}", e.text);
            }
        }
    }
}
