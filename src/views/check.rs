use super::time::iso_seconds;
use crate::domain::check_record::Check;
use crate::domain::schedule::ScheduleKind;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Who is looking, and through which door: what shapes a check's view besides the check.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub site_root: &'a str,
    /// The Management API version (1 reports running checks as `started`).
    pub api_version: u8,
    /// A read-only key sees `unique_key` instead of the uuid and URLs.
    pub read_only: bool,
    pub now: DateTime<Utc>,
}

/// A check, as the Management API and webhooks' `$JSON` show it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub desc: String,
    pub grace: i64,
    pub n_pings: i64,
    pub status: &'static str,
    pub started: bool,
    pub last_ping: Option<String>,
    pub next_ping: Option<String>,
    pub manual_resume: bool,
    pub methods: &'static str,
    pub subject: String,
    pub subject_fail: String,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
    pub filter_subject: bool,
    pub filter_body: bool,
    pub filter_http_body: bool,
    pub filter_default_fail: bool,
    pub badge_url: String,
    /// Seconds the last completed run took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_key: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub links: Option<CheckLinks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// What only a read-write key sees: the check's uuid, its URLs and channels.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLinks {
    pub uuid: String,
    pub ping_url: String,
    pub update_url: String,
    pub pause_url: String,
    pub resume_url: String,
    /// The uuids of the check's channels, comma-separated.
    pub channels: String,
}

impl CheckView {
    /// `channels` are the uuids of the check's channels, sorted.
    pub fn new(check: &Check, channels: &[String], viewer: Viewer<'_>) -> Self {
        let state = check.state();
        let subject = |kw: &str| {
            if check.filter_subject {
                kw.to_string()
            } else {
                String::new()
            }
        };
        let simple = check.kind == ScheduleKind::Simple;
        let links = (!viewer.read_only).then(|| {
            let api = format!(
                "{}/api/v{}/checks/{}",
                viewer.site_root, viewer.api_version, check.uuid
            );
            CheckLinks {
                uuid: check.uuid.to_string(),
                ping_url: format!("{}/ping/{}", viewer.site_root, check.uuid),
                pause_url: format!("{api}/pause"),
                resume_url: format!("{api}/resume"),
                update_url: api,
                channels: channels.join(","),
            }
        });
        CheckView {
            name: check.name.clone(),
            slug: check.slug.clone(),
            tags: check.tags.clone(),
            desc: check.descr.clone(),
            grace: check.grace,
            n_pings: check.n_pings,
            status: state
                .status_at(viewer.now, viewer.api_version == 1)
                .as_str(),
            started: state.is_running(),
            last_ping: state.last_ping.map(iso_seconds),
            next_ping: state.grace_start(true).map(iso_seconds),
            manual_resume: check.manual_resume,
            methods: check.methods.as_str(),
            subject: subject(&check.success_kw),
            subject_fail: subject(&check.failure_kw),
            start_kw: check.start_kw.clone(),
            success_kw: check.success_kw.clone(),
            failure_kw: check.failure_kw.clone(),
            filter_subject: check.filter_subject,
            filter_body: check.filter_body,
            filter_http_body: check.filter_http_body,
            filter_default_fail: check.filter_default_fail,
            badge_url: format!("{}/b/2/{}.svg", viewer.site_root, check.badge_key),
            last_duration: check.last_duration_ms.map(|ms| ms / 1000),
            unique_key: viewer.read_only.then(|| check.unique_key.clone()),
            links,
            timeout: simple.then_some(check.timeout),
            schedule: (!simple).then(|| check.schedule.clone()),
            tz: (!simple).then(|| check.tz.clone()),
        }
    }
}
