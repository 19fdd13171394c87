//! Shared by the targets: how the first bytes of an input choose an instant and a zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Zones whose DST rules have caught schedulers out (see src/domain/props.rs).
const ZONES: [Tz; 12] = [
    Tz::UTC,
    Tz::Europe__Riga,
    Tz::Europe__London,
    Tz::America__New_York,
    Tz::America__Santiago,
    Tz::America__Havana,
    Tz::America__St_Johns,
    Tz::Australia__Lord_Howe,
    Tz::Antarctica__Troll,
    Tz::Pacific__Apia,
    Tz::Pacific__Chatham,
    Tz::Asia__Kolkata,
];

/// An instant from 1971 on (the first four bytes, seconds), a zone (the fifth byte) and
/// the rest of the input.
pub fn instant_and_zone(data: &[u8]) -> Option<(DateTime<Utc>, Tz, &[u8])> {
    let (head, rest) = data.split_at_checked(5)?;
    let secs = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let after = DateTime::from_timestamp(31_536_000 + i64::from(secs) / 2, 0)?;
    Some((after, ZONES[usize::from(head[4]) % ZONES.len()], rest))
}
