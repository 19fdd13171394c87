//! A check's configuration: what its owner sets, as opposed to its runtime state.

use super::schedule::{DEFAULT_GRACE_SECS, DEFAULT_TIMEOUT_SECS};

/// Everything about a check that its owner configures. `Default` is what a check created
/// without settings gets (a day's period, an hour's grace), as healthchecks.io does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConfig {
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub desc: String,
    /// `simple`, `cron` or `oncalendar`.
    pub kind: String,
    pub timeout: i64,
    pub grace: i64,
    pub schedule: String,
    pub tz: String,
    /// `""` (any method counts) or `"POST"`.
    pub methods: String,
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
            kind: "simple".into(),
            timeout: DEFAULT_TIMEOUT_SECS,
            grace: DEFAULT_GRACE_SECS,
            schedule: "* * * * *".into(),
            tz: "UTC".into(),
            methods: String::new(),
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

impl CheckConfig {
    /// The tags as a list (space-separated, empty entries dropped).
    pub fn tag_list(&self) -> Vec<&str> {
        tag_list(&self.tags)
    }
}

pub fn tag_list(tags: &str) -> Vec<&str> {
    tags.split_whitespace().collect()
}
