//! The JSON shapes of the Management API, key for key as healthchecks.io writes them.

use crate::store::checks::CheckRow;
use crate::store::flips::FlipRow;
use crate::store::pings::PingRow;
use chrono::{DateTime, Timelike, Utc};
use serde_json::{Map, Value, json};

/// What shapes a check's JSON besides the check itself.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub site_root: &'a str,
    pub version: u8,
    pub read_only: bool,
    pub now: DateTime<Utc>,
}

/// An instant without fractional seconds: `2026-03-02T10:30:00+00:00`.
pub fn iso_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// An instant with microseconds when it has any, as Python's `isoformat()`.
pub fn iso_full(t: DateTime<Utc>) -> String {
    if t.nanosecond() / 1000 == 0 {
        iso_seconds(t)
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

fn opt_iso(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(iso_seconds(t)))
}

/// A check; `channels` are the uuids of its channels, sorted.
pub fn check(row: &CheckRow, channels: &[String], view: View<'_>) -> Value {
    let state = row.state();
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("name", json!(row.name));
    put("slug", json!(row.slug));
    put("tags", json!(row.tags));
    put("desc", json!(row.descr));
    put("grace", json!(row.grace));
    put("n_pings", json!(row.n_pings));
    put(
        "status",
        json!(state.status_at(view.now, view.version == 1).as_str()),
    );
    put("started", json!(state.is_running()));
    put("last_ping", opt_iso(state.last_ping));
    put("next_ping", opt_iso(state.grace_start(true)));
    put("manual_resume", json!(row.manual_resume));
    put("methods", json!(row.methods));
    let subject = |kw: &str| {
        if row.filter_subject {
            kw.to_string()
        } else {
            String::new()
        }
    };
    put("subject", json!(subject(&row.success_kw)));
    put("subject_fail", json!(subject(&row.failure_kw)));
    put("start_kw", json!(row.start_kw));
    put("success_kw", json!(row.success_kw));
    put("failure_kw", json!(row.failure_kw));
    put("filter_subject", json!(row.filter_subject));
    put("filter_body", json!(row.filter_body));
    put("filter_http_body", json!(row.filter_http_body));
    put("filter_default_fail", json!(row.filter_default_fail));
    put(
        "badge_url",
        json!(format!("{}/b/2/{}.svg", view.site_root, row.badge_key)),
    );
    if let Some(ms) = row.last_duration_ms {
        put("last_duration", json!(ms / 1000));
    }
    if view.read_only {
        put("unique_key", json!(row.unique_key));
    } else {
        let api = format!(
            "{}/api/v{}/checks/{}",
            view.site_root, view.version, row.uuid
        );
        put("uuid", json!(row.uuid));
        put(
            "ping_url",
            json!(format!("{}/ping/{}", view.site_root, row.uuid)),
        );
        put("update_url", json!(api));
        put("pause_url", json!(format!("{api}/pause")));
        put("resume_url", json!(format!("{api}/resume")));
        put("channels", json!(channels.join(",")));
    }
    if row.kind == "simple" {
        put("timeout", json!(row.timeout));
    } else {
        put("schedule", json!(row.schedule));
        put("tz", json!(row.tz));
    }
    Value::Object(m)
}

/// A ping in a check's log; `body_url` is set when the ping has a body.
pub fn ping(p: &PingRow, check_uuid: &str, view: View<'_>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(p.kind));
    m.insert("date".into(), json!(iso_full(p.created.0)));
    m.insert("n".into(), json!(p.n));
    m.insert("scheme".into(), json!(p.scheme));
    m.insert("remote_addr".into(), json!(p.remote_addr));
    m.insert("method".into(), json!(p.method));
    m.insert("ua".into(), json!(p.ua));
    m.insert("rid".into(), json!(p.rid));
    if let Some(ms) = p.duration_ms {
        // Seconds, rounded to hundredths.
        m.insert("duration".into(), json!((ms as f64 / 10.0).round() / 100.0));
    }
    let body_url = p.body.as_ref().filter(|b| !b.is_empty()).map(|_| {
        format!(
            "{}/api/v{}/checks/{}/pings/{}/body",
            view.site_root, view.version, check_uuid, p.n
        )
    });
    m.insert("body_url".into(), json!(body_url));
    if let Some(code) = p.exit_status {
        m.insert("exitstatus".into(), json!(code));
    }
    Value::Object(m)
}

pub fn flip(f: &FlipRow) -> Value {
    json!({ "timestamp": iso_seconds(f.created.0), "up": i32::from(f.new_status == "up") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_are_written_as_python_writes_them() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 10, 30, 5).unwrap();
        assert_eq!(iso_seconds(t), "2026-03-02T10:30:05+00:00");
        assert_eq!(iso_full(t), "2026-03-02T10:30:05+00:00");
        let t = t + chrono::TimeDelta::milliseconds(250);
        assert_eq!(iso_seconds(t), "2026-03-02T10:30:05+00:00");
        assert_eq!(iso_full(t), "2026-03-02T10:30:05.250000+00:00");
    }
}
