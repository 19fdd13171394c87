//! Time, injected. Every "now" in Overdue comes from a [`Clock`], so tests can move time
//! instead of sleeping.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, truncated to whole milliseconds (the precision the database keeps).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_to_millis(Utc::now())
    }
}

/// A clock that only moves when told to. Cheap to clone; clones share one time.
#[derive(Debug, Clone)]
pub struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl TestClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(truncate_to_millis(start))),
        }
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.lock() = truncate_to_millis(to);
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned clock only means another test thread panicked; the time is still valid.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

pub fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_told_and_clones_share_time() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = TestClock::new(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now(), start + TimeDelta::seconds(90));
    }

    #[test]
    fn system_clock_has_millisecond_precision() {
        assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1_000_000, 0);
    }
}
