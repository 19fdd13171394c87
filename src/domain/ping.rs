//! What a ping says: the action in its URL, how the check's filters reclassify it, and
//! the request details that are recorded with it.

use uuid::Uuid;

/// The action a ping URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingAction {
    Success,
    Start,
    Fail,
    Log,
    /// `/ping/<uuid>/<0-255>`: 0 is success, anything else failure.
    Exit(u8),
}

impl PingAction {
    /// Parses the path segment after the check (`start`, `fail`, `log`, or an exit status).
    pub fn from_segment(segment: &str) -> Result<PingAction, ActionError> {
        match segment {
            "" => Ok(PingAction::Success),
            "start" => Ok(PingAction::Start),
            "fail" => Ok(PingAction::Fail),
            "log" => Ok(PingAction::Log),
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                // Long digit strings are out of range, not unknown.
                digits
                    .parse::<u16>()
                    .ok()
                    .and_then(|n| u8::try_from(n).ok())
                    .map(PingAction::Exit)
                    .ok_or(ActionError::ExitStatusOutOfRange)
            }
            _ => Err(ActionError::Unknown),
        }
    }

    pub fn exit_status(self) -> Option<u8> {
        match self {
            PingAction::Exit(code) => Some(code),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionError {
    /// Not an action at all: the URL does not exist.
    Unknown,
    /// An exit status above 255.
    ExitStatusOutOfRange,
}

/// What a ping counts as once the check's rules have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PingKind {
    Success,
    Start,
    Fail,
    Log,
    /// Received and recorded, but it changes nothing.
    #[serde(rename = "ign")]
    Ignored,
}

impl PingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PingKind::Success => "success",
            PingKind::Start => "start",
            PingKind::Fail => "fail",
            PingKind::Log => "log",
            PingKind::Ignored => "ign",
        }
    }

    pub fn parse(s: &str) -> Option<PingKind> {
        Some(match s {
            "success" => PingKind::Success,
            "start" => PingKind::Start,
            "fail" => PingKind::Fail,
            "log" => PingKind::Log,
            "ign" => PingKind::Ignored,
            _ => return None,
        })
    }
}

/// A check's rules for reclassifying pings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PingRules {
    /// Only POST counts; other methods are recorded as ignored.
    pub post_only: bool,
    /// Classify by keywords in the request body instead of the URL.
    pub filter_body: bool,
    /// With `filter_body`: a body that matches no keyword is a failure (else ignored).
    pub default_fail: bool,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
    /// The check is paused and only an explicit resume may wake it.
    pub paused_until_resumed: bool,
}

/// Decides what a ping counts as. Precedence, as healthchecks.io: a non-zero exit status
/// is a failure; a non-POST on a POST-only check is ignored; body keywords override the
/// URL (failure, then success, then start); a manually-resumed paused check ignores all.
pub fn classify(action: PingAction, method: &str, body: &[u8], rules: &PingRules) -> PingKind {
    let mut kind = match action {
        PingAction::Success | PingAction::Exit(0) => PingKind::Success,
        PingAction::Exit(_) | PingAction::Fail => PingKind::Fail,
        PingAction::Start => PingKind::Start,
        PingAction::Log => PingKind::Log,
    };
    if rules.post_only && method != "POST" {
        kind = PingKind::Ignored;
    }
    if kind != PingKind::Ignored && rules.filter_body {
        // Bytes that are not UTF-8 become replacement characters: the text around them
        // still matches, and they never fail the ping.
        let text = String::from_utf8_lossy(body);
        kind = if matches_any(&text, &rules.failure_kw) {
            PingKind::Fail
        } else if matches_any(&text, &rules.success_kw) {
            PingKind::Success
        } else if matches_any(&text, &rules.start_kw) {
            PingKind::Start
        } else if rules.default_fail {
            PingKind::Fail
        } else {
            PingKind::Ignored
        };
    }
    if rules.paused_until_resumed {
        kind = PingKind::Ignored;
    }
    kind
}

/// Case-sensitive substring match against a comma-separated keyword list.
pub fn matches_any(text: &str, keywords: &str) -> bool {
    keywords
        .split(',')
        .map(str::trim)
        .any(|kw| !kw.is_empty() && text.contains(kw))
}

/// Parses a `rid` query value: a canonical UUID, any letter case.
pub fn parse_rid(value: &str) -> Option<Uuid> {
    if !is_canonical_uuid(value, true) {
        return None;
    }
    Uuid::parse_str(value).ok()
}

/// `8-4-4-4-12` hex digits. Ping URLs accept lowercase only; run ids any case.
pub fn is_canonical_uuid(value: &str, any_case: bool) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => {
                b.is_ascii_digit()
                    || (b'a'..=b'f').contains(&b)
                    || (any_case && (b'A'..=b'F').contains(&b))
            }
        })
}

/// A slug as ping URLs accept it: letters, digits, `-` and `_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugShape {
    Valid,
    /// Well-formed but with capitals: slugs are lowercase, so this is a malformed URL.
    Uppercase,
    /// Not a slug at all: no such URL.
    Invalid,
}

pub fn slug_shape(slug: &str) -> SlugShape {
    if slug.is_empty()
        || !slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        SlugShape::Invalid
    } else if slug.bytes().any(|b| b.is_ascii_uppercase()) {
        SlugShape::Uppercase
    } else {
        SlugShape::Valid
    }
}

pub use super::limits::{stored_header, truncate_chars};

/// How long a stored user agent may be, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 200;
/// How long a stored HTTP method may be, in characters.
pub const MAX_METHOD_CHARS: usize = 10;

#[cfg(test)]
#[path = "ping_tests/mod.rs"]
mod tests;
