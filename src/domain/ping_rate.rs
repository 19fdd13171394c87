//! How fast one check may be pinged. A check pinged faster than its allowance (a loop
//! gone wrong, a hostile client) would fill the ping log and the database with rows
//! nobody reads; pings beyond the allowance are refused, unless they change the check's
//! status, which is always kept. A token bucket: `burst` pings at once, then
//! `per_second` on average.

use chrono::{DateTime, Utc};

/// Pings a check may take per second on average.
pub const PER_SECOND: u32 = 10;
/// Pings a check may take at once after being quiet.
pub const BURST: u32 = 60;

/// One check's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(now: DateTime<Utc>) -> Bucket {
        Bucket {
            tokens: f64::from(BURST),
            at: now,
        }
    }

    /// Takes one ping from the allowance; false when there is none left.
    pub fn take(&mut self, now: DateTime<Utc>) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket has refilled completely by `now` (and may be forgotten).
    pub fn is_full(&self, now: DateTime<Utc>) -> bool {
        let mut copy = *self;
        copy.refill(now);
        copy.tokens >= f64::from(BURST)
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        // A clock that went backwards adds nothing.
        let elapsed = (now - self.at).num_milliseconds().max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * f64::from(PER_SECOND)).min(f64::from(BURST));
        if now > self.at {
            self.at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::milliseconds(ms)
    }

    #[test]
    fn a_burst_is_allowed_then_the_average_rate() {
        let mut bucket = Bucket::new(t(0));
        let taken = (0..100).filter(|_| bucket.take(t(0))).count();
        assert_eq!(taken, usize::try_from(BURST).unwrap());
        // A tenth of a second later, one more.
        assert!(bucket.take(t(100)));
        assert!(!bucket.take(t(100)));
        // One second later, ten more.
        let taken = (0..100).filter(|_| bucket.take(t(1100))).count();
        assert_eq!(taken, usize::try_from(PER_SECOND).unwrap());
    }

    #[test]
    fn a_quiet_check_refills_to_the_burst_and_no_further() {
        let mut bucket = Bucket::new(t(0));
        for _ in 0..60 {
            bucket.take(t(0));
        }
        assert!(!bucket.is_full(t(1000)));
        assert!(bucket.is_full(t(6000)));
        let taken = (0..1000).filter(|_| bucket.take(t(3_600_000))).count();
        assert_eq!(taken, usize::try_from(BURST).unwrap());
    }

    #[test]
    fn a_clock_going_backwards_grants_nothing() {
        let mut bucket = Bucket::new(t(10_000));
        for _ in 0..60 {
            bucket.take(t(10_000));
        }
        assert!(!bucket.take(t(0)));
        assert!(!bucket.take(t(10_000)));
        assert!(bucket.take(t(10_100)));
    }
}
