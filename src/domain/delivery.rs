//! When a failed notification is tried again: exponential backoff with jitter, bounded
//! in attempts and in total time.

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: i64,
    /// After this long since the notification was queued, it is given up.
    pub max_age: TimeDelta,
    /// The wait after the first failure; it doubles with each further failure.
    pub base: TimeDelta,
    /// The longest wait between two attempts.
    pub cap: TimeDelta,
}

impl RetryPolicy {
    pub fn new(max_attempts: i64, max_age_secs: i64) -> Self {
        RetryPolicy {
            max_attempts,
            max_age: TimeDelta::seconds(max_age_secs),
            base: TimeDelta::seconds(10),
            cap: TimeDelta::minutes(15),
        }
    }

    /// When to try again after `attempts` failed attempts of a notification queued at
    /// `created`, or `None` to give up. `jitter` in `[0, 1)` spreads retries from ±25%
    /// around the nominal wait, so many failures do not retry in lockstep; a server's
    /// `Retry-After` is honoured when it asks for longer.
    pub fn next_attempt(
        &self,
        attempts: i64,
        created: DateTime<Utc>,
        now: DateTime<Utc>,
        retry_after: Option<TimeDelta>,
        jitter: f64,
    ) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
        let nominal = self
            .base
            .checked_mul(1 << doublings)
            .unwrap_or(self.cap)
            .min(self.cap);
        let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
        let wait_ms = (nominal.num_milliseconds() as f64 * factor) as i64;
        let wait = TimeDelta::milliseconds(wait_ms).max(retry_after.unwrap_or_default());
        let at = now + wait;
        (at - created <= self.max_age).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::new(8, 3600)
    }

    #[test]
    fn waits_double_from_ten_seconds() {
        let p = policy();
        let waits: Vec<i64> = (1..=5)
            .map(|a| (p.next_attempt(a, t(0), t(0), None, 0.5).unwrap() - t(0)).num_seconds())
            .collect();
        assert_eq!(waits, [10, 20, 40, 80, 160]);
    }

    #[test]
    fn jitter_spreads_a_quarter_either_way() {
        let p = policy();
        assert_eq!(
            p.next_attempt(1, t(0), t(0), None, 0.0),
            Some(t(0) + TimeDelta::milliseconds(7_500))
        );
        assert_eq!(
            p.next_attempt(1, t(0), t(0), None, 0.999_999_9)
                .map(|x| (x - t(0)).num_seconds()),
            Some(12)
        );
    }

    #[test]
    fn waits_are_capped_at_fifteen_minutes() {
        let p = RetryPolicy::new(100, 86_400);
        assert_eq!(p.next_attempt(30, t(0), t(0), None, 0.5), Some(t(900)));
    }

    #[test]
    fn gives_up_after_the_last_attempt_or_past_the_age_limit() {
        let p = policy();
        assert_eq!(p.next_attempt(8, t(0), t(0), None, 0.5), None);
        assert!(p.next_attempt(7, t(0), t(0), None, 0.5).is_some());
        assert_eq!(
            p.next_attempt(1, t(0), t(3595), None, 0.5),
            None,
            "would land past an hour"
        );
    }

    #[test]
    fn retry_after_is_honoured_when_longer() {
        let p = policy();
        assert_eq!(
            p.next_attempt(1, t(0), t(0), Some(TimeDelta::seconds(60)), 0.5),
            Some(t(60))
        );
        assert_eq!(
            p.next_attempt(1, t(0), t(0), Some(TimeDelta::seconds(1)), 0.5),
            Some(t(10))
        );
        assert_eq!(
            p.next_attempt(1, t(0), t(0), Some(TimeDelta::hours(24)), 0.5),
            None
        );
    }
}
