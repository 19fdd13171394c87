//! A check's configuration: what its owner sets, as opposed to its runtime state.

use super::schedule::{DEFAULT_GRACE_SECS, DEFAULT_TIMEOUT_SECS, ScheduleKind};

/// Everything about a check that its owner configures. `Default` is what a check created
/// without settings gets (a day's period, an hour's grace), as healthchecks.io does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConfig {
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub desc: String,
    pub kind: ScheduleKind,
    pub timeout: i64,
    pub grace: i64,
    pub schedule: String,
    pub tz: String,
    pub methods: Methods,
    pub manual_resume: bool,
    pub filter_subject: bool,
    pub filter_body: bool,
    pub filter_http_body: bool,
    pub filter_default_fail: bool,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            name: String::new(),
            slug: String::new(),
            tags: String::new(),
            desc: String::new(),
            kind: ScheduleKind::Simple,
            timeout: DEFAULT_TIMEOUT_SECS,
            grace: DEFAULT_GRACE_SECS,
            schedule: "* * * * *".into(),
            tz: "UTC".into(),
            methods: Methods::Any,
            manual_resume: false,
            filter_subject: false,
            filter_body: false,
            filter_http_body: false,
            filter_default_fail: false,
            start_kw: String::new(),
            success_kw: String::new(),
            failure_kw: String::new(),
        }
    }
}

/// Which HTTP methods count as a ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Methods {
    /// Every method (HEAD, GET, POST…).
    #[default]
    Any,
    /// Only POST; other requests are stored as ignored.
    Post,
}

impl Methods {
    /// As the API and the column write it: `""` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Methods::Any => "",
            Methods::Post => "POST",
        }
    }

    pub fn parse(s: &str) -> Option<Methods> {
        match s {
            "" => Some(Methods::Any),
            "POST" => Some(Methods::Post),
            _ => None,
        }
    }
}

impl CheckConfig {
    /// The tags as a list (space-separated, empty entries dropped).
    pub fn tag_list(&self) -> Vec<&str> {
        tag_list(&self.tags)
    }
}

pub fn tag_list(tags: &str) -> Vec<&str> {
    tags.split_whitespace().collect()
}
