//! Webhooks: a request per direction, with healthchecks.io's placeholders, and an
//! optional HMAC-SHA256 signature so receivers can trust what they get.

use super::notice::{BODY_CAP, Notice};
use super::{SendError, Senders, net, retry_after};
use crate::domain::channel_config::{WebhookConfig, WebhookRequest};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderValue;
use sha2::Sha256;

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "X-Overdue-Signature";

/// Where a template is used decides how values are encoded into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Url,
    Header,
    Body,
}

/// The placeholder values of a notice, longest names first so `$NAME_JSON` is not read
/// as `$NAME` followed by `_JSON`.
pub fn placeholders(notice: &Notice) -> Vec<(String, String)> {
    let body = notice.body_excerpt(BODY_CAP).unwrap_or("").to_string();
    let exit = notice
        .last_ping
        .as_ref()
        .and_then(|p| p.exit_status)
        .unwrap_or(-1);
    let mut values = vec![
        ("$NAME_JSON".to_string(), json_string(&notice.check.name)),
        ("$BODY_JSON".to_string(), json_string(&body)),
        ("$EXITSTATUS".to_string(), exit.to_string()),
        ("$STATUS".to_string(), notice.status.as_str().to_string()),
        ("$CODE".to_string(), notice.check.uuid.clone()),
        ("$NAME".to_string(), notice.check.name.clone()),
        ("$SLUG".to_string(), notice.check.slug.clone()),
        ("$TAGS".to_string(), notice.check.tags.join(" ")),
        ("$JSON".to_string(), notice.check.json.to_string()),
        ("$BODY".to_string(), body),
        (
            "$NOW".to_string(),
            notice.at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        ),
    ];
    for (i, tag) in notice.check.tags.iter().enumerate() {
        values.push((format!("$TAG{}", i + 1), tag.clone()));
    }
    values.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    values
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Replaces placeholders in one pass (a value is never expanded again). `$BODY` and
/// `$BODY_JSON` exist only in bodies. In URLs, values other than `$CODE`, `$STATUS`,
/// `$SLUG` and `$EXITSTATUS` are percent-encoded; in headers, characters outside
/// Latin-1 become `&#N;`.
pub fn expand(template: &str, values: &[(String, String)], place: Place) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    'outer: while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        for (name, value) in values {
            if place != Place::Body && name.starts_with("$BODY") {
                continue;
            }
            if rest.starts_with(name.as_str()) {
                out.push_str(&encode(name, value, place));
                rest = &rest[name.len()..];
                continue 'outer;
            }
        }
        out.push('$');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

fn encode(name: &str, value: &str, place: Place) -> String {
    match place {
        Place::Url if !matches!(name, "$CODE" | "$STATUS" | "$SLUG" | "$EXITSTATUS") => {
            quote(value)
        }
        Place::Header => value
            .chars()
            .map(|c| {
                if (c as u32) < 256 {
                    c.to_string()
                } else {
                    format!("&#{};", c as u32)
                }
            })
            .collect(),
        _ => value.to_string(),
    }
}

/// Percent-encodes as Python's `urllib.parse.quote()` does, so a URL comes out as
/// healthchecks.io builds it: letters, digits, `_.-~` and `/` stay, every other byte of
/// the UTF-8 text becomes `%XX`.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A header's value with placeholders filled in. A value that cannot go in a header (a
/// check name with a line break or a NUL in it) would fail the same way on every retry:
/// that notification fails at once, and the channel stays on for other checks.
fn header_value(
    name: &str,
    template: &str,
    values: &[(String, String)],
) -> Result<HeaderValue, SendError> {
    HeaderValue::try_from(expand(template, values, Place::Header)).map_err(|_| {
        SendError::Final(format!(
            "The {name} header cannot be sent: with the check's details filled in, its value \
             holds a line break or another control character"
        ))
    })
}

/// `t=…,v1=…` for a body sent at `unix` seconds.
pub fn signature(secret: &str, unix: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never returns early.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={unix},v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub async fn send(
    config: &WebhookConfig,
    notice: &Notice,
    senders: &Senders,
) -> Result<(), SendError> {
    let request = if notice.is_down() {
        &config.down
    } else {
        &config.up
    };
    if request.url.is_empty() {
        return Ok(()); // This direction is switched off.
    }
    call(request, &config.secret, notice, senders).await
}

async fn call(
    r: &WebhookRequest,
    secret: &str,
    notice: &Notice,
    senders: &Senders,
) -> Result<(), SendError> {
    let values = placeholders(notice);
    let url = expand(&r.url, &values, Place::Url);
    let url = reqwest::Url::parse(&url).map_err(|e| {
        SendError::Permanent(format!(
            "the URL is not valid after expanding placeholders: {e}"
        ))
    })?;
    let method = match r.method.as_str() {
        "POST" => reqwest::Method::POST,
        "PUT" => reqwest::Method::PUT,
        _ => reqwest::Method::GET,
    };
    let body = if method == reqwest::Method::GET {
        String::new()
    } else {
        expand(&r.body, &values, Place::Body)
    };
    let mut req = senders.http.request(method.clone(), url)?;
    for (name, value) in &r.headers {
        req = req.header(name.as_str(), header_value(name, value, &values)?);
    }
    if !secret.is_empty() {
        // The receiver compares the timestamp with its own wall clock to refuse replays,
        // so it is the real time of sending, not the service's clock.
        req = req.header(
            SIGNATURE_HEADER,
            signature(secret, chrono::Utc::now().timestamp(), body.as_bytes()),
        );
    }
    if method != reqwest::Method::GET {
        req = req.body(body);
    }
    let response = net::send(req).await?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(SendError::from_status(
            response.status(),
            retry_after(response.headers()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = [
            ("$NAME_JSON", "\"a b\""),
            ("$NAME", "a b"),
            ("$CODE", "u-1"),
            ("$STATUS", "down"),
            ("$TAG1", "prod"),
            ("$TAG10", "ten"),
            ("$BODY", "x&y"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        v.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        v
    }

    #[test]
    fn url_values_are_percent_encoded_except_identifiers() {
        assert_eq!(
            expand(
                "https://h/x?n=$NAME&c=$CODE&s=$STATUS",
                &values(),
                Place::Url
            ),
            "https://h/x?n=a%20b&c=u-1&s=down"
        );
    }

    #[test]
    fn url_values_are_quoted_as_python_quotes_them() {
        let values = vec![("$NAME".to_string(), "a/b c*".to_string())];
        assert_eq!(
            expand("https://h/$NAME", &values, Place::Url),
            "https://h/a/b%20c%2A"
        );
        let values = vec![("$NAME".to_string(), "~x_y.z-1 &?=+#%é".to_string())];
        assert_eq!(
            expand("$NAME", &values, Place::Url),
            "~x_y.z-1%20%26%3F%3D%2B%23%25%C3%A9"
        );
    }

    #[test]
    fn longer_names_win_and_unknown_dollars_stay() {
        assert_eq!(
            expand(
                "$NAME_JSON $TAG10 $TAG1 $5 $ $NAMEX",
                &values(),
                Place::Body
            ),
            "\"a b\" ten prod $5 $ a bX"
        );
    }

    #[test]
    fn expansion_is_single_pass() {
        let v = vec![
            ("$NAME".to_string(), "$CODE".to_string()),
            ("$CODE".to_string(), "u".to_string()),
        ];
        assert_eq!(expand("$NAME", &v, Place::Body), "$CODE");
    }

    #[test]
    fn body_placeholders_exist_only_in_bodies() {
        assert_eq!(expand("$BODY", &values(), Place::Url), "$BODY");
        assert_eq!(expand("$BODY", &values(), Place::Body), "x&y");
    }

    #[test]
    fn headers_escape_characters_outside_latin1() {
        let v = vec![("$NAME".to_string(), "café 日".to_string())];
        assert_eq!(expand("$NAME", &v, Place::Header), "café &#26085;");
    }

    #[test]
    fn a_header_value_with_a_line_break_or_nul_fails_for_good_saying_which_header() {
        for name in ["db\r\nX-Injected: yes", "db\0", "db\n"] {
            let v = vec![("$NAME".to_string(), name.to_string())];
            match header_value("X-Check", "check $NAME", &v) {
                Err(SendError::Final(message)) => {
                    assert!(
                        message.contains("X-Check header cannot be sent"),
                        "{message}"
                    );
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
        let v = vec![("$NAME".to_string(), "café\tdb".to_string())];
        assert!(header_value("X-Check", "$NAME", &v).is_ok());
    }

    #[test]
    fn signatures_are_hmac_sha256_over_timestamp_and_body() {
        // Reference value computed independently: HMAC-SHA256(key="secret", "1700000000.{}").
        let sig = signature("secret", 1_700_000_000, b"{}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(sig, signature("other", 1_700_000_000, b"{}"));
        assert_ne!(sig, signature("secret", 1_700_000_001, b"{}"));
    }
}
