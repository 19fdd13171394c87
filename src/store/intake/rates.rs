//! Each check's ping allowance ([`crate::domain::ping_rate`]), shared by the writer
//! tasks of this process. Only checks pinged recently have a bucket: full buckets are
//! forgotten when the table grows, so it stays as small as the set of busy checks.

use crate::domain::ids::CheckId;
use crate::domain::ping_rate::Bucket;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Buckets kept before full ones are forgotten.
const TIDY_AT: usize = 10_000;

#[derive(Default)]
pub struct PingRates(Mutex<HashMap<CheckId, Bucket>>);

impl PingRates {
    /// Takes one ping from `check`'s allowance; false when it has none left.
    pub fn allow(&self, check: CheckId, now: DateTime<Utc>) -> bool {
        let Ok(mut buckets) = self.0.lock() else {
            return true; // A poisoned table limits nothing rather than refusing pings.
        };
        if buckets.len() >= TIDY_AT {
            buckets.retain(|_, bucket| !bucket.is_full(now));
        }
        buckets
            .entry(check)
            .or_insert_with(|| Bucket::new(now))
            .take(now)
    }
}
