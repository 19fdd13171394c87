//! Status badges: which checks a badge covers, the status it shows, how it is drawn
//! (SVG, JSON, shields.io endpoint JSON), and how its URL is signed.
//!
//! A project or tag badge URL carries a short signature: the first 8 characters of the
//! URL-safe base64 (no padding) of HMAC-SHA256 over the tag, keyed with the project's
//! own secret badge key. Knowing one badge URL therefore reveals nothing about another
//! tag's, and no service-wide secret is needed. `-2` appended to the signature asks for
//! the 2-state badge, where a late check still counts as up.

use super::check::DisplayStatus;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// The tag that stands for every check of the project.
pub const ALL: &str = "*";
/// The label of the all-checks badge.
pub const SITE_LABEL: &str = "Overdue";

const SIG_LEN: usize = 8;
const TWO_STATE_SUFFIX: &str = "-2";

/// Whether a late check shows as `late` (3-state) or still as `up` (2-state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    TwoState,
    ThreeState,
}

impl Mode {
    /// The per-check badge's path segment: `3` is 3-state, anything else 2-state.
    pub fn from_states(states: &str) -> Mode {
        if states == "3" {
            Mode::ThreeState
        } else {
            Mode::TwoState
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeStatus {
    Up,
    Late,
    Down,
}

impl BadgeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeStatus::Up => "up",
            BadgeStatus::Late => "late",
            BadgeStatus::Down => "down",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            BadgeStatus::Up => "#4c1",
            BadgeStatus::Late => "#fe7d37",
            BadgeStatus::Down => "#e05d44",
        }
    }

    fn shields_colour(self) -> &'static str {
        match self {
            BadgeStatus::Up => "success",
            BadgeStatus::Late => "important",
            BadgeStatus::Down => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Json,
    Shields,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "svg" => Some(Format::Svg),
            "json" => Some(Format::Json),
            "shields" => Some(Format::Shields),
            _ => None,
        }
    }
}

/// Whether `key` can be a badge key: keys are uuids, lowercase and hyphenated, so
/// anything else (a NUL, a path that is not one) names no badge and is never looked up.
pub fn is_key(key: &str) -> bool {
    super::ping::is_canonical_uuid(key, false)
}

/// Splits a badge URL's last segment, `name.fmt`, at its last dot.
pub fn split_file(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    Some((name, Format::parse(ext)?))
}

/// Whether a check with these space-separated tags is covered by a badge for `tag`.
pub fn covers(tag: &str, check_tags: &str) -> bool {
    tag == ALL || check_tags.split_whitespace().any(|t| t == tag)
}

/// What a badge shows about the checks it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub status: BadgeStatus,
    pub total: usize,
    pub grace: usize,
    pub down: usize,
}

/// Any check down makes the badge down; else any late one makes it late (3-state only);
/// else it is up. New, paused and running checks pass in their underlying status, so
/// new and paused count as up.
pub fn summarize(statuses: impl IntoIterator<Item = DisplayStatus>, mode: Mode) -> Summary {
    let (mut total, mut grace, mut down) = (0, 0, 0);
    for status in statuses {
        total += 1;
        match status {
            DisplayStatus::Down => down += 1,
            DisplayStatus::Grace => grace += 1,
            _ => {}
        }
    }
    let status = if down > 0 {
        BadgeStatus::Down
    } else if grace > 0 && mode == Mode::ThreeState {
        BadgeStatus::Late
    } else {
        BadgeStatus::Up
    };
    Summary {
        status,
        total,
        grace,
        down,
    }
}

pub fn json(summary: &Summary) -> Value {
    json!({
        "status": summary.status.as_str(),
        "total": summary.total,
        "grace": summary.grace,
        "down": summary.down,
    })
}

/// The shields.io endpoint schema.
pub fn shields(label: &str, status: BadgeStatus) -> Value {
    json!({
        "schemaVersion": 1,
        "label": label,
        "message": status.as_str(),
        "color": status.shields_colour(),
    })
}

/// A flat two-part badge: the label on grey, the status on its colour.
pub fn svg(label: &str, status: BadgeStatus) -> String {
    let text = status.as_str();
    let label_w = part_width(label);
    let status_w = part_width(text);
    let width = label_w + status_w;
    let label_x = f64::from(label_w) / 2.0;
    let status_x = f64::from(label_w) + f64::from(status_w) / 2.0;
    let label = xml_escape(label);
    let text = xml_escape(text);
    let colour = status.colour();
    format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {text}">"##,
            r##"<title>{label}: {text}</title>"##,
            r##"<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>"##,
            r##"<g clip-path="url(#r)"><rect width="{label_w}" height="20" fill="#555"/>"##,
            r##"<rect x="{label_w}" width="{status_w}" height="20" fill="{colour}"/></g>"##,
            r##"<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">"##,
            r##"<text x="{label_x}" y="15" fill="#010101" fill-opacity=".3">{label}</text>"##,
            r##"<text x="{label_x}" y="14">{label}</text>"##,
            r##"<text x="{status_x}" y="15" fill="#010101" fill-opacity=".3">{text}</text>"##,
            r##"<text x="{status_x}" y="14">{text}</text></g></svg>"##,
        ),
        width = width,
        label_w = label_w,
        status_w = status_w,
        label_x = label_x,
        status_x = status_x,
        label = label,
        text = text,
        colour = colour,
    )
}

/// The width of one half of a badge: the text's estimated width plus 5 px each side.
fn part_width(text: &str) -> u32 {
    let tenths: u32 = text.chars().map(char_width_tenths).sum();
    tenths.div_ceil(10) + 10
}

/// An estimate of a character's advance in 11 px Verdana, in tenths of a pixel.
fn char_width_tenths(c: char) -> u32 {
    match c {
        'i' | 'j' | 'l' | '|' | '!' | '.' | ',' | ':' | ';' | '\'' | '`' => 35,
        'f' | 'r' | 't' | 'I' | '(' | ')' | '[' | ']' | '{' | '}' | '/' | '\\' | ' ' | '-' => 46,
        'm' | 'w' | 'M' | 'W' | '%' | '@' => 100,
        'A'..='Z' => 75,
        c if c.is_ascii() => 68,
        _ => 75,
    }
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HMAC of a project's badge for `tag`, keyed by the server's secret (never by a
/// value the URL shows, or anyone holding one badge URL could sign any other).
fn mac(secret: &str, badge_key: &str, tag: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(badge_key.as_bytes());
    mac.update(b"\n");
    mac.update(tag.as_bytes());
    Some(mac)
}

/// The 3-state signature of project `badge_key`'s badge for `tag` (8 characters).
pub fn sign(secret: &str, badge_key: &str, tag: &str) -> String {
    let Some(mac) = mac(secret, badge_key, tag) else {
        return String::new();
    };
    let mut sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    sig.truncate(SIG_LEN);
    sig
}

/// Checks a URL's signature for `tag`, in constant time; returns the badge mode it asks
/// for, or `None` when it is not valid.
pub fn verify(secret: &str, badge_key: &str, tag: &str, sig: &str) -> Option<Mode> {
    let (sig, mode) = match sig.strip_suffix(TWO_STATE_SUFFIX) {
        Some(s) if s.len() == SIG_LEN => (s, Mode::TwoState),
        _ => (sig, Mode::ThreeState),
    };
    if sig.len() != SIG_LEN {
        return None;
    }
    // 8 base64 characters are exactly 6 bytes, so each signature has one decoding.
    let bytes = URL_SAFE_NO_PAD.decode(sig).ok()?;
    mac(secret, badge_key, tag)?
        .verify_truncated_left(&bytes)
        .ok()?;
    Some(mode)
}

/// Percent-encodes a URL path segment, keeping only RFC 3986's unreserved characters.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every URL of one project or tag badge.
pub fn urls(site_root: &str, secret: &str, badge_key: &str, tag: &str) -> Value {
    let sig = sign(secret, badge_key, tag);
    let base = format!("{site_root}/badge/{}", encode_segment(badge_key));
    let url = |sig: &str, fmt: &str| {
        if tag == ALL {
            format!("{base}/{sig}.{fmt}")
        } else {
            format!("{base}/{sig}/{}.{fmt}", encode_segment(tag))
        }
    };
    let two = format!("{sig}{TWO_STATE_SUFFIX}");
    json!({
        "svg": url(&two, "svg"),
        "svg3": url(&sig, "svg"),
        "json": url(&two, "json"),
        "json3": url(&sig, "json"),
        "shields": url(&two, "shields"),
        "shields3": url(&sig, "shields"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use DisplayStatus as D;

    const KEY: &str = "5b9f3c1e-0f4e-4d7a-9a51-3f0c2b7e8d10";
    const SECRET: &str = "server-secret-for-tests";

    #[test]
    fn any_down_makes_the_badge_down_and_counts() {
        let s = summarize([D::Up, D::Grace, D::Down, D::New], Mode::ThreeState);
        assert_eq!(
            s,
            Summary {
                status: BadgeStatus::Down,
                total: 4,
                grace: 1,
                down: 1
            }
        );
    }

    #[test]
    fn grace_is_late_in_three_state_and_up_in_two_state() {
        let three = summarize([D::Up, D::Grace], Mode::ThreeState);
        let two = summarize([D::Up, D::Grace], Mode::TwoState);
        assert_eq!((three.status, three.grace), (BadgeStatus::Late, 1));
        assert_eq!((two.status, two.grace), (BadgeStatus::Up, 1));
    }

    #[test]
    fn new_paused_and_no_checks_are_up() {
        assert_eq!(
            summarize([D::New, D::Paused], Mode::ThreeState).status,
            BadgeStatus::Up
        );
        let empty = summarize([], Mode::ThreeState);
        assert_eq!((empty.status, empty.total), (BadgeStatus::Up, 0));
    }

    #[test]
    fn tags_match_exactly() {
        assert!(covers("db", "web db"));
        assert!(!covers("d", "web db"));
        assert!(!covers("db", "web dbx"));
        assert!(covers(ALL, ""));
    }

    #[test]
    fn signatures_verify_in_both_modes_and_reject_tampering() {
        let sig = sign(SECRET, KEY, "db");
        assert_eq!(sig.len(), 8);
        assert_eq!(verify(SECRET, KEY, "db", &sig), Some(Mode::ThreeState));
        assert_eq!(
            verify(SECRET, KEY, "db", &format!("{sig}-2")),
            Some(Mode::TwoState)
        );
        assert_eq!(verify(SECRET, KEY, "web", &sig), None);
        assert_eq!(verify(SECRET, "another-key", "db", &sig), None);
        assert_eq!(verify("another-secret", KEY, "db", &sig), None);
        let mut tampered: Vec<char> = sig.chars().collect();
        tampered[3] = if tampered[3] == 'A' { 'B' } else { 'A' };
        assert_eq!(
            verify(SECRET, KEY, "db", &tampered.iter().collect::<String>()),
            None
        );
        assert_eq!(verify(SECRET, KEY, "db", &sig[..7]), None);
        assert_eq!(verify(SECRET, KEY, "db", &format!("{sig}-3")), None);
        assert_eq!(verify(SECRET, KEY, "db", ""), None);
    }

    /// The badge key is in every URL; a signature made with it as the key (as anyone
    /// holding one URL could) must not verify.
    #[test]
    fn a_signature_made_from_the_url_alone_is_refused() {
        let forged = {
            let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
            mac.update(b"db");
            let mut sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
            sig.truncate(SIG_LEN);
            sig
        };
        assert_eq!(verify(SECRET, KEY, "db", &forged), None);
        assert_ne!(sign(SECRET, KEY, "db"), forged);
    }

    #[test]
    fn signature_is_truncated_url_safe_base64_of_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?", here
        // split as badge key "what do ya" and tag "want for nothing?" around the newline
        // that separates them, so the expected MAC is computed independently.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya\nwant for nothing?");
        let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(
            sign("Jefe", "what do ya", "want for nothing?"),
            expected[..8]
        );
    }

    #[test]
    fn files_split_at_the_last_dot_and_only_known_formats_pass() {
        assert_eq!(split_file("v1.2.svg"), Some(("v1.2", Format::Svg)));
        assert_eq!(split_file("abc.shields"), Some(("abc", Format::Shields)));
        assert_eq!(split_file("abc.xml"), None);
        assert_eq!(split_file("abc"), None);
    }

    #[test]
    fn states_segment_three_is_three_state_anything_else_two() {
        assert_eq!(Mode::from_states("3"), Mode::ThreeState);
        assert_eq!(Mode::from_states("2"), Mode::TwoState);
        assert_eq!(Mode::from_states("7"), Mode::TwoState);
    }

    #[test]
    fn svg_escapes_and_colours() {
        let s = svg("a<b & \"c\"", BadgeStatus::Late);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(!s.contains("a<b"));
        assert!(s.contains("fill=\"#fe7d37\""));
        assert!(s.contains(">late</text>"));
        assert!(svg("x", BadgeStatus::Up).contains("#4c1"));
        assert!(svg("x", BadgeStatus::Down).contains("#e05d44"));
    }

    #[test]
    fn svg_width_grows_with_text() {
        assert!(part_width("a much longer label") > part_width("short"));
        assert!(part_width("WWW") > part_width("iii"));
        assert_eq!(part_width(""), 10);
    }

    #[test]
    fn json_and_shields_shapes() {
        let s = Summary {
            status: BadgeStatus::Late,
            total: 2,
            grace: 1,
            down: 0,
        };
        assert_eq!(
            json(&s).to_string(),
            r#"{"status":"late","total":2,"grace":1,"down":0}"#
        );
        assert_eq!(
            shields("db", BadgeStatus::Down),
            json!({"schemaVersion": 1, "label": "db", "message": "down", "color": "critical"})
        );
        assert_eq!(shields("x", BadgeStatus::Up)["color"], "success");
        assert_eq!(shields("x", BadgeStatus::Late)["color"], "important");
    }

    #[test]
    fn urls_carry_both_modes_and_encode_tags() {
        let urls = urls("http://o.test", SECRET, KEY, "a b/é");
        let sig = sign(SECRET, KEY, "a b/é");
        assert_eq!(
            urls["svg3"],
            format!("http://o.test/badge/{KEY}/{sig}/a%20b%2F%C3%A9.svg")
        );
        assert_eq!(
            urls["json"],
            format!("http://o.test/badge/{KEY}/{sig}-2/a%20b%2F%C3%A9.json")
        );
        let all = super::urls("http://o.test", SECRET, KEY, ALL);
        assert_eq!(
            all["shields"],
            format!(
                "http://o.test/badge/{KEY}/{}-2.shields",
                sign(SECRET, KEY, ALL)
            )
        );
        assert_eq!(all.as_object().unwrap().len(), 6);
    }
}
