//! Coalescing notifications: a check has at most one undelivered notification per channel
//! waiting to be sent. A status change while one waits rewrites it to the latest state
//! instead of queueing another, and a check that keeps changing (flapping) is reported at
//! most once per window per channel, as flapping, rather than once per change.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// The window in which status changes are counted.
pub const FLAP_WINDOW_SECS: i64 = 120;
/// Status changes within the window from which a check counts as flapping.
pub const FLAP_CHANGES: i64 = 3;

pub fn flap_window() -> TimeDelta {
    TimeDelta::seconds(FLAP_WINDOW_SECS)
}

/// A check that changed status often lately, as a message reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Flapping {
    /// Status changes in the window, the latest included.
    pub changes: i64,
    pub window_secs: i64,
}

/// Whether `changes` status changes within the window make a check flapping.
pub fn flapping(changes: i64) -> Option<Flapping> {
    (changes >= FLAP_CHANGES).then_some(Flapping {
        changes,
        window_secs: FLAP_WINDOW_SECS,
    })
}

/// What a status change does to one channel's outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Rewrite this undelivered (and not in flight) notification to the new state; it
    /// keeps its place and due time.
    Rewrite(i64),
    /// Queue a new notification, due at this instant.
    Insert { due_at: DateTime<Utc> },
}

/// Decides for one channel of a check that changed status at `at`. `waiting` is the
/// channel's undelivered notification of the check that no send holds, `last_due` when
/// its latest notification of the check was (or is) due, and `recent_changes` the
/// check's status changes within the window, this one included. A flapping check's new
/// notification waits until a window after the previous one, gathering the changes in
/// between, so a check that flaps for an hour sends about thirty messages, not thousands.
pub fn queue(
    at: DateTime<Utc>,
    waiting: Option<i64>,
    last_due: Option<DateTime<Utc>>,
    recent_changes: i64,
) -> Queue {
    if let Some(id) = waiting {
        return Queue::Rewrite(id);
    }
    let due_at = match last_due {
        Some(last) if flapping(recent_changes).is_some() => at.max(last + flap_window()),
        _ => at,
    };
    Queue::Insert { due_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_waiting_notification_is_rewritten_not_joined_by_another() {
        assert_eq!(queue(t(5), Some(42), Some(t(0)), 1), Queue::Rewrite(42));
        assert_eq!(queue(t(5), Some(42), Some(t(0)), 50), Queue::Rewrite(42));
    }

    #[test]
    fn a_change_with_nothing_waiting_is_due_at_once_unless_the_check_flaps() {
        assert_eq!(queue(t(5), None, None, 1), Queue::Insert { due_at: t(5) });
        assert_eq!(
            queue(t(5), None, Some(t(4)), 2),
            Queue::Insert { due_at: t(5) }
        );
        // The third change in two minutes: a window after the previous notification.
        assert_eq!(
            queue(t(5), None, Some(t(4)), 3),
            Queue::Insert { due_at: t(124) }
        );
        // Flapping, but the previous notification is a window old already.
        assert_eq!(
            queue(t(500), None, Some(t(4)), 9),
            Queue::Insert { due_at: t(500) }
        );
        // Flapping with no earlier notification to space from (a new channel).
        assert_eq!(queue(t(5), None, None, 9), Queue::Insert { due_at: t(5) });
    }

    #[test]
    fn flapping_starts_at_three_changes_in_the_window() {
        assert_eq!(flapping(2), None);
        assert_eq!(
            flapping(37),
            Some(Flapping {
                changes: 37,
                window_secs: 120
            })
        );
    }
}
