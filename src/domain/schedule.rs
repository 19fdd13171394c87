//! When a check expects its next ping: a fixed period, or a cron expression in a time zone.

use super::cron::{CronError, CronSchedule};
use super::oncalendar::{OnCalendarError, OnCalendarSchedule};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

/// The largest period or grace time accepted: one year, as healthchecks.io allows.
pub const MAX_TIMEOUT_SECS: i64 = 31_536_000;
/// Defaults for a check nobody configured (auto-provisioned ones): a day and an hour.
pub const DEFAULT_TIMEOUT_SECS: i64 = 86_400;
pub const DEFAULT_GRACE_SECS: i64 = 3_600;

#[derive(Debug, Clone)]
pub enum Schedule {
    /// Expect a ping every `timeout` after the last one.
    Simple { timeout: TimeDelta },
    /// Expect a ping at each firing of `cron`, evaluated in `tz`.
    Cron {
        expr: String,
        cron: CronSchedule,
        tz: Tz,
    },
    /// Expect a ping at each firing of systemd `OnCalendar` expressions, in `tz` unless
    /// an expression names its own zone.
    OnCalendar {
        expr: String,
        calendar: OnCalendarSchedule,
        tz: Tz,
    },
}

impl Schedule {
    pub fn simple(timeout_secs: i64) -> Self {
        Schedule::Simple {
            timeout: TimeDelta::seconds(timeout_secs),
        }
    }

    pub fn cron(expr: &str, tz: &str) -> Result<Self, ScheduleError> {
        let cron = CronSchedule::parse(expr).map_err(ScheduleError::Cron)?;
        let tz = parse_tz(tz)?;
        Ok(Schedule::Cron {
            expr: expr.trim().to_string(),
            cron,
            tz,
        })
    }

    pub fn oncalendar(expr: &str, tz: &str) -> Result<Self, ScheduleError> {
        let calendar = OnCalendarSchedule::parse(expr).map_err(ScheduleError::OnCalendar)?;
        let tz = parse_tz(tz)?;
        Ok(Schedule::OnCalendar {
            expr: expr.trim().to_string(),
            calendar,
            tz,
        })
    }

    /// A calendar schedule of the given kind with its expression (a simple schedule has
    /// no expression: see [`Schedule::simple`]).
    pub fn parse(kind: ScheduleKind, expr: &str, tz: &str) -> Result<Self, ScheduleError> {
        match kind {
            ScheduleKind::Cron => Schedule::cron(expr, tz),
            ScheduleKind::OnCalendar | ScheduleKind::Simple => Schedule::oncalendar(expr, tz),
        }
    }

    /// The instant at which a check last pinged at `last_ping` becomes late.
    /// A cron check expects a ping at or after each firing: the first firing after the
    /// last ping is the deadline (so an early ping counts for the previous slot).
    pub fn next_expected(&self, last_ping: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Simple { timeout } => last_ping.checked_add_signed(*timeout),
            Schedule::Cron { cron, tz, .. } => cron.next_after(last_ping, *tz),
            Schedule::OnCalendar { calendar, tz, .. } => calendar.next_after(last_ping, *tz),
        }
    }

    pub fn kind(&self) -> ScheduleKind {
        match self {
            Schedule::Simple { .. } => ScheduleKind::Simple,
            Schedule::Cron { .. } => ScheduleKind::Cron,
            Schedule::OnCalendar { .. } => ScheduleKind::OnCalendar,
        }
    }
}

/// How a check's deadlines are computed: a period since the last ping, a cron
/// expression, or systemd OnCalendar expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScheduleKind {
    Simple,
    Cron,
    OnCalendar,
}

impl ScheduleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleKind::Simple => "simple",
            ScheduleKind::Cron => "cron",
            ScheduleKind::OnCalendar => "oncalendar",
        }
    }

    pub fn parse(s: &str) -> Option<ScheduleKind> {
        Some(match s {
            "simple" => ScheduleKind::Simple,
            "cron" => ScheduleKind::Cron,
            "oncalendar" => ScheduleKind::OnCalendar,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("not a valid cron expression: {0}")]
    Cron(CronError),
    #[error("not a valid OnCalendar expression: {0}")]
    OnCalendar(OnCalendarError),
    #[error("{0:?} is not a known IANA time zone")]
    UnknownTimeZone(String),
}

/// Parses an IANA zone name. Legacy names that the tz database keeps as links
/// (`Europe/Kiev`, `US/Eastern`) are accepted as the zone they point to.
pub fn parse_tz(name: &str) -> Result<Tz, ScheduleError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| ScheduleError::UnknownTimeZone(name.to_string()))
}

/// Validates a period or grace time in seconds against the configured floor and the
/// one-year ceiling.
pub fn check_timeout_bounds(secs: i64, min_secs: i64) -> Result<(), TimeoutBoundError> {
    if secs < min_secs {
        Err(TimeoutBoundError::TooSmall)
    } else if secs > MAX_TIMEOUT_SECS {
        Err(TimeoutBoundError::TooLarge)
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutBoundError {
    TooSmall,
    TooLarge,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn simple_schedule_expects_next_ping_one_period_after_the_last() {
        let s = Schedule::simple(3600);
        assert_eq!(
            s.next_expected(utc(2026, 1, 1, 10, 0, 0)),
            Some(utc(2026, 1, 1, 11, 0, 0))
        );
    }

    #[test]
    fn hourly_cron_pinged_at_half_past_expects_the_next_full_hour() {
        let s = Schedule::cron("0 * * * *", "UTC").unwrap();
        assert_eq!(
            s.next_expected(utc(2026, 1, 1, 10, 30, 0)),
            Some(utc(2026, 1, 1, 11, 0, 0))
        );
    }

    #[test]
    fn cron_ping_exactly_on_a_firing_counts_for_that_firing() {
        let s = Schedule::cron("0 * * * *", "UTC").unwrap();
        assert_eq!(
            s.next_expected(utc(2026, 1, 1, 11, 0, 0)),
            Some(utc(2026, 1, 1, 12, 0, 0))
        );
    }

    #[test]
    fn cron_in_riga_follows_local_time_across_dst() {
        let s = Schedule::cron("0 9 * * *", "Europe/Riga").unwrap();
        // Winter: UTC+2, so 09:00 local is 07:00 UTC.
        assert_eq!(
            s.next_expected(utc(2026, 1, 10, 12, 0, 0)),
            Some(utc(2026, 1, 11, 7, 0, 0))
        );
        // Summer: UTC+3, so 09:00 local is 06:00 UTC.
        assert_eq!(
            s.next_expected(utc(2026, 7, 10, 12, 0, 0)),
            Some(utc(2026, 7, 11, 6, 0, 0))
        );
        // The night clocks go forward (2026-03-29): still 09:00 local, now 06:00 UTC.
        assert_eq!(
            s.next_expected(utc(2026, 3, 28, 12, 0, 0)),
            Some(utc(2026, 3, 29, 6, 0, 0))
        );
    }

    #[test]
    fn unknown_time_zone_is_rejected_with_its_name() {
        let err = Schedule::cron("0 * * * *", "Mars/Base").unwrap_err();
        assert_eq!(err, ScheduleError::UnknownTimeZone("Mars/Base".into()));
        assert!(err.to_string().contains("Mars/Base"));
    }

    #[test]
    fn legacy_zone_names_are_accepted() {
        assert!(parse_tz("Europe/Kiev").is_ok());
        assert!(parse_tz("US/Eastern").is_ok());
    }

    #[test]
    fn timeout_bounds_follow_the_configured_floor_and_one_year_ceiling() {
        assert_eq!(
            check_timeout_bounds(59, 60),
            Err(TimeoutBoundError::TooSmall)
        );
        assert_eq!(check_timeout_bounds(60, 60), Ok(()));
        assert_eq!(check_timeout_bounds(1, 1), Ok(()));
        assert_eq!(check_timeout_bounds(0, 1), Err(TimeoutBoundError::TooSmall));
        assert_eq!(check_timeout_bounds(MAX_TIMEOUT_SECS, 60), Ok(()));
        assert_eq!(
            check_timeout_bounds(MAX_TIMEOUT_SECS + 1, 60),
            Err(TimeoutBoundError::TooLarge)
        );
    }
}

#[cfg(test)]
#[path = "schedule_props.rs"]
mod properties;
