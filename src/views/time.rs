//! Instants as healthchecks.io writes them (Python's `isoformat()`).

use chrono::{DateTime, Timelike, Utc};

/// An instant without fractional seconds: `2026-03-02T10:30:00+00:00`.
pub fn iso_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// An instant with microseconds when it has any.
pub fn iso_full(t: DateTime<Utc>) -> String {
    if t.nanosecond() / 1000 == 0 {
        iso_seconds(t)
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
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
