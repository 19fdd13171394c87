//! A check as stored: its configuration and runtime state, with typed values. The store
//! decodes it from a row once; everything else reads it and asks it for the state
//! machine's view, the ping rules and the configuration.

use super::check::{CheckState, Status};
use super::check_config::{CheckConfig, Methods};
use super::ids::{CheckId, ProjectId};
use super::ping::PingRules;
use super::schedule::{Schedule, ScheduleError, ScheduleKind};
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: CheckId,
    /// The check's ping URL.
    pub uuid: Uuid,
    /// The read-only alias of the uuid (healthchecks' `unique_key`).
    pub unique_key: String,
    pub project_id: ProjectId,
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub descr: String,
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
    pub status: Status,
    /// When the check goes down unless a ping comes first.
    pub alert_after: Option<DateTime<Utc>>,
    pub last_ping: Option<DateTime<Utc>>,
    pub last_start: Option<DateTime<Utc>>,
    pub last_start_rid: Option<Uuid>,
    pub last_duration_ms: Option<i64>,
    pub n_pings: i64,
    pub badge_key: String,
    pub created: DateTime<Utc>,
}

impl Check {
    /// The configuration part of the check.
    pub fn config(&self) -> CheckConfig {
        CheckConfig {
            name: self.name.clone(),
            slug: self.slug.clone(),
            tags: self.tags.clone(),
            desc: self.descr.clone(),
            kind: self.kind,
            timeout: self.timeout,
            grace: self.grace,
            schedule: self.schedule.clone(),
            tz: self.tz.clone(),
            methods: self.methods,
            manual_resume: self.manual_resume,
            filter_subject: self.filter_subject,
            filter_body: self.filter_body,
            filter_http_body: self.filter_http_body,
            filter_default_fail: self.filter_default_fail,
            start_kw: self.start_kw.clone(),
            success_kw: self.success_kw.clone(),
            failure_kw: self.failure_kw.clone(),
        }
    }

    pub fn schedule(&self) -> Result<Schedule, ScheduleError> {
        if self.kind == ScheduleKind::Simple {
            Ok(Schedule::simple(self.timeout))
        } else {
            Schedule::parse(self.kind, &self.schedule, &self.tz)
        }
    }

    /// The state machine's view of this check. A schedule that no longer parses (a
    /// time zone dropped from the tz database, say) falls back to the check's period, so
    /// the check is still watched rather than silently never due.
    pub fn state(&self) -> CheckState {
        let schedule = self.schedule().unwrap_or_else(|e| {
            tracing::warn!(check = %self.uuid, error = %e, "stored schedule is invalid; using the period instead");
            Schedule::simple(self.timeout)
        });
        CheckState {
            status: self.status,
            schedule,
            grace: TimeDelta::seconds(self.grace),
            last_ping: self.last_ping,
            last_start: self.last_start,
            last_start_rid: self.last_start_rid,
            last_duration: self.last_duration_ms.map(TimeDelta::milliseconds),
        }
    }

    /// How the check classifies its pings.
    pub fn rules(&self) -> PingRules {
        PingRules {
            post_only: self.methods == Methods::Post,
            filter_body: self.filter_http_body,
            default_fail: self.filter_default_fail,
            start_kw: self.start_kw.clone(),
            success_kw: self.success_kw.clone(),
            failure_kw: self.failure_kw.clone(),
            paused_until_resumed: self.manual_resume && self.status == Status::Paused,
        }
    }

    /// Puts a state of the state machine into the check's runtime fields: the one
    /// mapping from [`CheckState`] to what is stored, used by every write of a check's
    /// state (pings, pause and resume, a new schedule), so that none forgets a field.
    pub fn set_state(&mut self, state: &CheckState) {
        self.status = state.status;
        self.last_ping = state.last_ping;
        self.last_start = state.last_start;
        self.last_start_rid = state.last_start_rid;
        self.last_duration_ms = state.last_duration.map(|d| d.num_milliseconds());
        self.alert_after = state.alert_after();
    }
}
