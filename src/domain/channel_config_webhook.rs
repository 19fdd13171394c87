//! Webhook channels' settings: a request per direction (method, URL, body, headers) and
//! an optional signing secret.

use super::{
    ConfigError, MAX_BODY, MAX_HEADER, MAX_HEADER_NAME, MAX_HEADERS, MAX_SECRET, MAX_URL,
    WebhookConfig, WebhookRequest, bad, http_url, text,
};
use crate::domain::limits;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub(super) fn parse_webhook(obj: &Map<String, Value>) -> Result<WebhookConfig, ConfigError> {
    let direction = |d: &str| -> Result<WebhookRequest, ConfigError> {
        let method = match text(obj, &format!("method_{d}"), 10)?
            .to_ascii_uppercase()
            .as_str()
        {
            "" => "GET".to_string(),
            m @ ("GET" | "POST" | "PUT") => m.to_string(),
            _ => {
                return bad(format!(
                    "config.method_{d} has unexpected value (expected GET, POST or PUT)"
                ));
            }
        };
        let url = text(obj, &format!("url_{d}"), MAX_URL)?;
        if !url.is_empty() {
            http_url(&format!("url_{d}"), &url)?;
        }
        let body = text(obj, &format!("body_{d}"), MAX_BODY)?;
        let headers = parse_headers(d, obj.get(&format!("headers_{d}")))?;
        Ok(WebhookRequest {
            method,
            url,
            body,
            headers,
        })
    };
    let config = WebhookConfig {
        down: direction("down")?,
        up: direction("up")?,
        secret: text(obj, "secret", MAX_SECRET)?,
    };
    if config.down.url.is_empty() && config.up.url.is_empty() {
        return bad("config needs url_down or url_up");
    }
    Ok(config)
}

/// One direction's extra request headers: valid names, one-line values.
fn parse_headers(d: &str, value: Option<&Value>) -> Result<BTreeMap<String, String>, ConfigError> {
    let h = match value {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(h)) => h,
        Some(_) => return bad(format!("config.headers_{d} is not an object")),
    };
    if h.len() > MAX_HEADERS {
        return bad(format!(
            "config.headers_{d} has too many headers (at most {MAX_HEADERS})"
        ));
    }
    let mut headers = BTreeMap::new();
    for (name, value) in h {
        let valid_name = !name.is_empty()
            && name.len() <= MAX_HEADER_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            let shown = limits::truncate_chars(name, MAX_HEADER_NAME);
            return bad(format!(
                "config.headers_{d}: {shown:?} is not a valid header name \
                 (letters, digits and !#$%&'*+-.^_`|~, at most {MAX_HEADER_NAME})"
            ));
        }
        let Some(value) = value.as_str() else {
            return bad(format!("config.headers_{d}.{name} is not a string"));
        };
        if value.contains(['\r', '\n', '\0']) || value.len() > MAX_HEADER {
            return bad(format!(
                "config.headers_{d}.{name} must be one line of at most {MAX_HEADER} bytes, \
                 without NUL"
            ));
        }
        headers.insert(name.clone(), value.to_string());
    }
    Ok(headers)
}

pub(super) fn webhook_json(c: &WebhookConfig) -> Value {
    let mut m = Map::new();
    for (d, r) in [("down", &c.down), ("up", &c.up)] {
        m.insert(format!("method_{d}"), json!(r.method));
        m.insert(format!("url_{d}"), json!(r.url));
        m.insert(format!("body_{d}"), json!(r.body));
        m.insert(format!("headers_{d}"), json!(r.headers));
    }
    m.insert("secret".into(), json!(c.secret));
    Value::Object(m)
}
