//! How much of what users send is stored, and the one rule every stored text keeps.
//!
//! Every text a user sets is capped, in characters, and refused with a message naming the
//! field and the cap when it is longer; request details stored with a ping are cut to
//! their cap instead, since a ping must never fail for a long header. No stored text
//! holds a NUL character: PostgreSQL refuses `\u0000` in text where SQLite stores it, so
//! both backends refuse it alike, at the edge, before anything reaches the store. The
//! README's "Limits and timeouts" section lists these caps; keep the two in step.

use std::fmt;

/// A check's name (healthchecks' cap).
pub const NAME: usize = 100;
/// A check's slug (healthchecks' cap).
pub const SLUG: usize = 100;
/// A check's tags, all of them as one space-separated text (healthchecks' cap).
pub const TAGS: usize = 500;
/// How many tags one check may carry.
pub const TAG_COUNT: usize = 50;
/// A check's description.
pub const DESC: usize = 10_000;
/// Each keyword list (`start_kw`, `success_kw`, `failure_kw`, `subject`, `subject_fail`;
/// healthchecks' cap).
pub const KEYWORDS: usize = 200;
/// A cron or OnCalendar schedule (healthchecks' cap).
pub const SCHEDULE: usize = 100;
/// A time zone name as sent; the stored name is the zone's canonical IANA name.
pub const TZ: usize = 64;
/// The `channels` field of a check: a comma list of channel uuids or names.
pub const CHANNEL_LIST: usize = 10_000;
/// A channel's name.
pub const CHANNEL_NAME: usize = 100;
/// How many channels one project may have.
pub const CHANNELS_PER_PROJECT: usize = 100;

/// Lists the API answers with, at most: the newest pings of a check (fewer when the
/// retention keeps fewer; healthchecks' cap), the newest flips of a check, the newest
/// notifications of a check, and the tags of a project's badges (the first, in sorted
/// order; the all-checks badge is always listed).
pub const LISTED_PINGS: i64 = 1000;
pub const LISTED_FLIPS: i64 = 1000;
pub const LISTED_NOTIFICATIONS: i64 = 100;
pub const LISTED_BADGE_TAGS: usize = 1000;

/// Why a text was refused; displays as the end of the API's message, after the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// More characters than the cap.
    TooLong { max: usize },
    /// A NUL character (`\u0000`), which no stored text may hold.
    Nul,
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::TooLong { max } => write!(f, "is too long (at most {max} characters)"),
            TextProblem::Nul => f.write_str("must not contain NUL characters (\\u0000)"),
        }
    }
}

/// Checks a text a user wants stored: at most `max` characters, no NUL.
pub fn check_text(value: &str, max: usize) -> Result<(), TextProblem> {
    if value.contains('\0') {
        Err(TextProblem::Nul)
    } else if exceeds(value, max) {
        Err(TextProblem::TooLong { max })
    } else {
        Ok(())
    }
}

/// Whether `value` has more than `max` characters, without counting past the cap.
pub fn exceeds(value: &str, max: usize) -> bool {
    value.len() > max && value.chars().nth(max).is_some()
}

/// Keeps the first `max` characters.
pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((idx, _)) => &s[..idx],
        None => s,
    }
}

/// Request details stored with a ping (a header's raw bytes) as text fit to store: bytes
/// that are not UTF-8 and NUL characters become U+FFFD, and the text is cut to `max`
/// characters. A ping is never refused for its headers.
pub fn stored_header(raw: &[u8], max: usize) -> String {
    // Decode no more than the cap can keep: a character is at most 4 bytes.
    let raw = &raw[..raw.len().min(max.saturating_mul(4))];
    let text = String::from_utf8_lossy(raw);
    truncate_chars(&text, max).replace('\0', "\u{FFFD}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_within_the_cap_without_nul_is_accepted() {
        assert_eq!(check_text("", 0), Ok(()));
        assert_eq!(check_text("backups", 7), Ok(()));
        assert_eq!(
            check_text(&"é".repeat(100), 100),
            Ok(()),
            "characters, not bytes"
        );
    }

    #[test]
    fn text_over_the_cap_is_refused_naming_the_cap() {
        assert_eq!(check_text("abcd", 3), Err(TextProblem::TooLong { max: 3 }));
        assert_eq!(
            TextProblem::TooLong { max: 500 }.to_string(),
            "is too long (at most 500 characters)"
        );
    }

    #[test]
    fn nul_is_refused_whatever_the_length() {
        assert_eq!(check_text("a\0b", 100), Err(TextProblem::Nul));
        assert_eq!(check_text("\0", 0), Err(TextProblem::Nul));
        assert_eq!(
            TextProblem::Nul.to_string(),
            "must not contain NUL characters (\\u0000)"
        );
    }

    #[test]
    fn stored_headers_are_cut_decoded_and_free_of_nul() {
        assert_eq!(stored_header(b"curl/8.5.0", 200), "curl/8.5.0");
        assert_eq!(stored_header(&[b'x'; 1000], 10), "xxxxxxxxxx");
        assert_eq!(stored_header("ééé".as_bytes(), 2), "éé");
        assert_eq!(stored_header(b"a\0b", 10), "a\u{FFFD}b");
        // Latin-1 bytes (obs-text) are not UTF-8: kept as replacement characters.
        assert_eq!(stored_header(b"caf\xe9", 10), "caf\u{FFFD}");
    }
}
