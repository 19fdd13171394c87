//! [`Notice`]: everything a channel needs to tell people about one flip, and the plain
//! text pieces that every channel kind builds its message from.

use crate::domain::check::{FlipReason, Status};
use crate::domain::coalesce::Flapping;
use crate::domain::ping::PingKind;
use crate::domain::schedule::ScheduleKind;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;

/// How much of the last ping's body a message carries.
pub const BODY_CAP: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub channel: ChannelRef,
    pub check: CheckInfo,
    pub project: String,
    /// `down` or `up`.
    pub status: Status,
    pub old_status: Status,
    /// Why: `timeout`, `fail`, `success`.
    pub reason: FlipReason,
    pub at: DateTime<Utc>,
    /// For a flip to up: how long the check was down.
    pub downtime: Option<i64>,
    pub last_ping: Option<LastPing>,
    /// The check went down because a run outlasted its grace time.
    pub run_overdue: bool,
    /// The check changed status often lately; this notice tells its latest state.
    pub flapping: Option<Flapping>,
    /// A test sent by a person, not a real flip.
    pub test: bool,
}

/// The channel a notice goes to, as its message may need it.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelRef {
    pub uuid: String,
    pub name: String,
    /// The secret in the channel's unsubscribe link.
    #[serde(skip)]
    pub token: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckInfo {
    pub uuid: String,
    pub name: String,
    pub slug: String,
    pub tags: Vec<String>,
    pub desc: String,
    /// "every 1 day, grace 1 hour" or "0 9 * * * (Europe/Riga), grace 5 minutes".
    pub schedule: String,
    pub n_pings: i64,
    pub ping_url: String,
    /// The check as the v3 API shows it, for webhook `$JSON`.
    pub json: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastPing {
    pub kind: PingKind,
    pub at: DateTime<Utc>,
    pub remote_addr: Option<String>,
    pub exit_status: Option<i64>,
    /// The body as text (invalid UTF-8 replaced), at most [`BODY_CAP`] bytes.
    pub body: Option<String>,
}

impl Notice {
    pub fn is_down(&self) -> bool {
        self.status == Status::Down
    }

    /// The check's name, or its uuid if it has none.
    pub fn display_name(&self) -> &str {
        if self.check.name.is_empty() {
            &self.check.uuid
        } else {
            &self.check.name
        }
    }

    /// One line: `DOWN | backups` (a test says so).
    pub fn subject(&self) -> String {
        let prefix = if self.test { "TEST " } else { "" };
        format!(
            "{prefix}{} | {}",
            self.status.as_str().to_uppercase(),
            self.display_name()
        )
    }

    /// What happened, in a sentence.
    pub fn headline(&self) -> String {
        let name = self.display_name();
        let what = match (self.status, self.reason) {
            _ if self.flapping.is_some() => self.flapping_headline(),
            (Status::Down, FlipReason::Fail) => format!("{name} is DOWN: it reported a failure"),
            (Status::Down, _) if self.run_overdue => {
                format!("{name} is DOWN: a run did not finish in time")
            }
            (Status::Down, _) => {
                format!("{name} is DOWN: the expected ping did not arrive in time")
            }
            _ => match self.downtime {
                Some(secs) => format!("{name} is UP again after {} down", human_duration(secs)),
                None => format!("{name} is UP"),
            },
        };
        if self.test {
            format!("Test notification: {what}")
        } else {
            what
        }
    }

    /// `backups is DOWN (flapping: 37 changes in the last 2 minutes)`.
    fn flapping_headline(&self) -> String {
        let (changes, window) = self.flapping.map_or((0, 0), |f| (f.changes, f.window_secs));
        format!(
            "{} is {} (flapping: {changes} changes in the last {})",
            self.display_name(),
            self.status.as_str().to_uppercase(),
            human_duration(window)
        )
    }

    /// Label and value pairs for the details block of a message.
    pub fn details(&self) -> Vec<(&'static str, String)> {
        let mut d = vec![("Project", self.project.clone())];
        if !self.check.tags.is_empty() {
            d.push(("Tags", self.check.tags.join(" ")));
        }
        d.push(("Schedule", self.check.schedule.clone()));
        d.push((
            "Changed",
            self.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ));
        if let Some(p) = &self.last_ping {
            let mut what = format!(
                "{} at {}",
                ping_kind_label(p.kind, p.exit_status),
                p.at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            if let Some(addr) = &p.remote_addr {
                what.push_str(&format!(" from {addr}"));
            }
            d.push(("Last ping", what));
        } else {
            d.push(("Last ping", "never".into()));
        }
        d.push(("Total pings", self.check.n_pings.to_string()));
        d
    }

    /// The last ping's body, trimmed to `max` bytes on a character boundary.
    pub fn body_excerpt(&self, max: usize) -> Option<&str> {
        let body = self.last_ping.as_ref()?.body.as_deref()?;
        (!body.trim().is_empty()).then(|| truncate_bytes(body, max))
    }
}

fn ping_kind_label(kind: PingKind, exit_status: Option<i64>) -> String {
    match (kind, exit_status) {
        (_, Some(code)) => format!("exit status {code}"),
        (PingKind::Success, None) => "success".into(),
        (PingKind::Fail, None) => "failure".into(),
        (PingKind::Start, None) => "start".into(),
        (PingKind::Log, None) => "log".into(),
        (PingKind::Ignored, None) => "ignored".into(),
    }
}

/// `1 day 2 hours`, `5 minutes`, `42 seconds`: the two largest units.
pub fn human_duration(secs: i64) -> String {
    let units = [
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ];
    let mut left = secs.max(0);
    let mut parts = Vec::new();
    for (name, size) in units {
        let n = left / size;
        if n > 0 {
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
            left -= n * size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        "0 seconds".into()
    } else {
        parts.join(" ")
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// "every 1 day, grace 1 hour", or the cron/OnCalendar expression with its zone.
pub fn schedule_text(
    kind: ScheduleKind,
    timeout: i64,
    schedule: &str,
    tz: &str,
    grace: i64,
) -> String {
    let grace = human_duration(grace);
    if kind == ScheduleKind::Simple {
        format!("every {}, grace {grace}", human_duration(timeout))
    } else {
        format!("{} ({tz}), grace {grace}", schedule.replace('\n', "; "))
    }
}

/// A duration as a `TimeDelta`'s whole seconds.
pub fn seconds(d: TimeDelta) -> i64 {
    d.num_seconds()
}

impl Notice {
    /// A notice for a test notification: a made-up check that went down just now.
    pub fn test(channel: ChannelRef, project: &str, site_root: &str, now: DateTime<Utc>) -> Notice {
        let uuid = "00000000-0000-0000-0000-000000000000".to_string();
        Notice {
            channel,
            check: CheckInfo {
                ping_url: format!("{site_root}/ping/{uuid}"),
                uuid,
                name: "Test check".into(),
                slug: "test-check".into(),
                tags: Vec::new(),
                desc: "This is a test notification sent from Overdue.".into(),
                schedule: schedule_text(ScheduleKind::Simple, 86_400, "", "UTC", 3_600),
                n_pings: 0,
                json: serde_json::json!({"name": "Test check", "status": "down"}),
            },
            project: project.to_string(),
            status: Status::Down,
            old_status: Status::Up,
            reason: FlipReason::Timeout,
            at: now,
            downtime: None,
            last_ping: None,
            run_overdue: false,
            flapping: None,
            test: true,
        }
    }
}

/// Notices for unit tests of the channel kinds.
#[cfg(test)]
pub(crate) fn sample(status: Status) -> Notice {
    let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let channel = ChannelRef {
        uuid: "c-1".into(),
        name: "ops".into(),
        token: "t".into(),
    };
    let mut n = Notice::test(channel, "Backups", "http://localhost:8000", at);
    n.test = false;
    n.status = status;
    n.check.name = "nightly db".into();
    n.check.tags = vec!["prod".into(), "db".into()];
    n.last_ping = Some(LastPing {
        kind: PingKind::Fail,
        at,
        remote_addr: Some("10.0.0.5".into()),
        exit_status: Some(2),
        body: Some("pg_dump: error: connection refused".into()),
    });
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(0), "0 seconds");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(59), "59 seconds");
        assert_eq!(human_duration(3_600), "1 hour");
        assert_eq!(human_duration(90_061), "1 day 1 hour");
        assert_eq!(human_duration(7_320), "2 hours 2 minutes");
    }

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate_bytes("héllo", 2), "h");
        assert_eq!(truncate_bytes("héllo", 3), "hé");
        assert_eq!(truncate_bytes("日本語", 4), "日");
        assert_eq!(truncate_bytes("abc", 10), "abc");
    }

    #[test]
    fn a_flapping_check_is_reported_as_flapping_in_its_latest_state() {
        let mut n = sample(Status::Down);
        n.flapping = Some(Flapping {
            changes: 37,
            window_secs: 120,
        });
        assert_eq!(
            n.headline(),
            "nightly db is DOWN (flapping: 37 changes in the last 2 minutes)"
        );
        n.status = Status::Up;
        n.downtime = Some(5);
        assert_eq!(
            n.headline(),
            "nightly db is UP (flapping: 37 changes in the last 2 minutes)"
        );
        n.flapping = None;
        assert_eq!(n.headline(), "nightly db is UP again after 5 seconds down");
    }

    #[test]
    fn schedules_are_described() {
        assert_eq!(
            schedule_text(ScheduleKind::Simple, 86_400, "", "UTC", 3_600),
            "every 1 day, grace 1 hour"
        );
        assert_eq!(
            schedule_text(ScheduleKind::Cron, 0, "0 9 * * *", "Europe/Riga", 300),
            "0 9 * * * (Europe/Riga), grace 5 minutes"
        );
    }
}
