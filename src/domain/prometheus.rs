//! A project's checks in the Prometheus text exposition format (version 0.0.4): the
//! gauges healthchecks.io exports, under the same names and labels, plus last-ping age,
//! last run duration and a ping counter.

use super::check::{CheckState, DisplayStatus};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// What the exporter needs to know about one check at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSample<'a> {
    pub name: &'a str,
    pub tags: &'a str,
    pub unique_key: &'a str,
    /// The underlying status (a running check is not reported as `started`).
    pub status: DisplayStatus,
    pub started: bool,
    pub last_ping_age_seconds: Option<f64>,
    pub last_duration_seconds: Option<f64>,
    pub n_pings: i64,
}

impl<'a> CheckSample<'a> {
    pub fn observe(
        name: &'a str,
        tags: &'a str,
        unique_key: &'a str,
        state: &CheckState,
        n_pings: i64,
        now: DateTime<Utc>,
    ) -> Self {
        let seconds = |ms: i64| ms as f64 / 1000.0;
        CheckSample {
            name,
            tags,
            unique_key,
            status: state.status_at(now, false),
            started: state.is_running(),
            last_ping_age_seconds: state
                .last_ping
                .map(|t| seconds((now - t).num_milliseconds().max(0))),
            last_duration_seconds: state.last_duration.map(|d| seconds(d.num_milliseconds())),
            n_pings,
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One per-check family: a sample for each check that `value` gives a number for.
fn per_check<T: std::fmt::Display>(
    out: &mut String,
    checks: &[CheckSample<'_>],
    (name, kind, help): (&str, &str, &str),
    value: impl Fn(&CheckSample<'_>) -> Option<T>,
) {
    header(out, name, kind, help);
    for c in checks {
        if let Some(v) = value(c) {
            let _ = writeln!(
                out,
                "{name}{{name=\"{}\", tags=\"{}\", unique_key=\"{}\"}} {v}",
                escape(c.name),
                escape(c.tags),
                escape(c.unique_key)
            );
        }
    }
    out.push('\n');
}

fn flag(b: bool) -> Option<u8> {
    Some(u8::from(b))
}

/// The exposition text for a project's checks.
pub fn render(checks: &[CheckSample<'_>]) -> String {
    let mut out = String::new();
    let down = |c: &CheckSample<'_>| c.status == DisplayStatus::Down;
    per_check(
        &mut out,
        checks,
        (
            "hc_check_up",
            "gauge",
            "Whether the check is up (1) or down (0).",
        ),
        |c| flag(!down(c)),
    );
    per_check(
        &mut out,
        checks,
        (
            "hc_check_started",
            "gauge",
            "Whether the check has started a run that has not finished (1 for yes, 0 for no).",
        ),
        |c| flag(c.started),
    );
    per_check(
        &mut out,
        checks,
        (
            "hc_check_grace",
            "gauge",
            "Whether the check is late, in its grace time (1 for yes, 0 for no).",
        ),
        |c| flag(c.status == DisplayStatus::Grace),
    );
    per_check(
        &mut out,
        checks,
        (
            "hc_check_paused",
            "gauge",
            "Whether the check is paused (1 for yes, 0 for no).",
        ),
        |c| flag(c.status == DisplayStatus::Paused),
    );
    per_check(
        &mut out,
        checks,
        (
            "hc_check_last_ping_age_seconds",
            "gauge",
            "Seconds since the check's last success or failure ping.",
        ),
        |c| c.last_ping_age_seconds,
    );
    per_check(
        &mut out,
        checks,
        (
            "hc_check_last_duration_seconds",
            "gauge",
            "Duration of the check's last completed run, in seconds.",
        ),
        |c| c.last_duration_seconds,
    );
    per_check(
        &mut out,
        checks,
        (
            "hc_check_pings_total",
            "counter",
            "Pings the check has received.",
        ),
        |c| Some(c.n_pings),
    );

    let mut tags: BTreeMap<&str, bool> = BTreeMap::new();
    for c in checks {
        for tag in c.tags.split_whitespace() {
            *tags.entry(tag).or_insert(true) &= !down(c);
        }
    }
    header(
        &mut out,
        "hc_tag_up",
        "gauge",
        "Whether every check with this tag is up (1) or any is down (0).",
    );
    for (tag, up) in &tags {
        let _ = writeln!(
            out,
            "hc_tag_up{{tag=\"{}\"}} {}",
            escape(tag),
            u8::from(*up)
        );
    }
    out.push('\n');

    header(
        &mut out,
        "hc_checks_total",
        "gauge",
        "The number of checks in the project.",
    );
    let _ = writeln!(out, "hc_checks_total {}", checks.len());
    out.push('\n');
    header(
        &mut out,
        "hc_checks_down_total",
        "gauge",
        "The number of checks that are down.",
    );
    let _ = writeln!(
        out,
        "hc_checks_down_total {}",
        checks.iter().filter(|c| down(c)).count()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::check::Status;
    use crate::domain::schedule::Schedule;
    use chrono::{TimeDelta, TimeZone};

    fn sample<'a>(name: &'a str, tags: &'a str, status: DisplayStatus) -> CheckSample<'a> {
        CheckSample {
            name,
            tags,
            unique_key: "k",
            status,
            started: false,
            last_ping_age_seconds: None,
            last_duration_seconds: None,
            n_pings: 0,
        }
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    }

    #[test]
    fn per_check_gauges_carry_name_tags_and_unique_key() {
        let text = render(&[sample("backup", "db prod", DisplayStatus::Up)]);
        assert!(
            text.contains("hc_check_up{name=\"backup\", tags=\"db prod\", unique_key=\"k\"} 1\n")
        );
        assert!(
            text.contains(
                "hc_check_started{name=\"backup\", tags=\"db prod\", unique_key=\"k\"} 0\n"
            )
        );
        assert!(text.contains(
            "hc_check_pings_total{name=\"backup\", tags=\"db prod\", unique_key=\"k\"} 0\n"
        ));
        assert!(text.contains("# TYPE hc_check_up gauge\n"));
        assert!(text.contains("# TYPE hc_check_pings_total counter\n"));
        assert!(text.contains("# HELP hc_checks_total "));
    }

    #[test]
    fn statuses_map_to_up_grace_paused_and_totals() {
        let checks = [
            sample("a", "x", DisplayStatus::Grace),
            sample("b", "x y", DisplayStatus::Down),
            sample("c", "", DisplayStatus::Paused),
            sample("d", "z", DisplayStatus::New),
        ];
        let text = render(&checks);
        let body = lines(&text);
        assert!(body.contains(&"hc_check_up{name=\"a\", tags=\"x\", unique_key=\"k\"} 1"));
        assert!(body.contains(&"hc_check_grace{name=\"a\", tags=\"x\", unique_key=\"k\"} 1"));
        assert!(body.contains(&"hc_check_up{name=\"b\", tags=\"x y\", unique_key=\"k\"} 0"));
        assert!(body.contains(&"hc_check_paused{name=\"c\", tags=\"\", unique_key=\"k\"} 1"));
        assert!(body.contains(&"hc_check_up{name=\"d\", tags=\"z\", unique_key=\"k\"} 1"));
        assert!(body.contains(&"hc_tag_up{tag=\"x\"} 0"));
        assert!(body.contains(&"hc_tag_up{tag=\"y\"} 0"));
        assert!(body.contains(&"hc_tag_up{tag=\"z\"} 1"));
        assert!(body.contains(&"hc_checks_total 4"));
        assert!(body.contains(&"hc_checks_down_total 1"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        let text = render(&[sample("say \"hi\"\n", "", DisplayStatus::Up)]);
        assert!(text.contains("name=\"say \\\"hi\\\"\\n\""));
    }

    #[test]
    fn optional_gauges_appear_only_when_known() {
        let mut pinged = sample("p", "", DisplayStatus::Up);
        pinged.last_ping_age_seconds = Some(90.0);
        pinged.last_duration_seconds = Some(2.5);
        pinged.n_pings = 7;
        let text = render(&[pinged, sample("never", "", DisplayStatus::New)]);
        let body = lines(&text);
        assert!(body.contains(
            &"hc_check_last_ping_age_seconds{name=\"p\", tags=\"\", unique_key=\"k\"} 90"
        ));
        assert!(body.contains(
            &"hc_check_last_duration_seconds{name=\"p\", tags=\"\", unique_key=\"k\"} 2.5"
        ));
        assert!(body.contains(&"hc_check_pings_total{name=\"p\", tags=\"\", unique_key=\"k\"} 7"));
        assert!(!text.contains("hc_check_last_ping_age_seconds{name=\"never\""));
        assert!(!text.contains("hc_check_last_duration_seconds{name=\"never\""));
    }

    #[test]
    fn observe_uses_underlying_status_and_the_given_instant() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let mut state = CheckState::new(Schedule::simple(3600), TimeDelta::seconds(600));
        state.status = Status::Up;
        state.last_ping = Some(t0);
        state.last_start = Some(t0 + TimeDelta::seconds(3610));
        state.last_duration = Some(TimeDelta::milliseconds(1500));
        let now = t0 + TimeDelta::seconds(3700);
        let s = CheckSample::observe("n", "t", "u", &state, 3, now);
        assert_eq!(s.status, DisplayStatus::Grace);
        assert!(s.started);
        assert_eq!(s.last_ping_age_seconds, Some(3700.0));
        assert_eq!(s.last_duration_seconds, Some(1.5));
        assert_eq!(s.n_pings, 3);
    }

    #[test]
    fn an_empty_project_still_has_totals() {
        let text = render(&[]);
        assert!(text.contains("hc_checks_total 0\n"));
        assert!(text.contains("hc_checks_down_total 0\n"));
        assert!(text.ends_with('\n'));
    }
}
