//! Channel kinds and their configuration: parsed and validated from the API's JSON,
//! with secrets masked for display. Delivery lives in `crate::notify`.

use super::limits;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The kinds a channel may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Email,
    Webhook,
    WeCom,
    ServerChan,
    Shell,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Email,
        ChannelKind::Webhook,
        ChannelKind::WeCom,
        ChannelKind::ServerChan,
        ChannelKind::Shell,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Webhook => "webhook",
            ChannelKind::WeCom => "wecom",
            ChannelKind::ServerChan => "serverchan",
            ChannelKind::Shell => "shell",
        }
    }

    pub fn parse(kind: &str) -> Result<ChannelKind, ConfigError> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| {
                let names: Vec<&str> = ChannelKind::ALL.iter().map(|k| k.as_str()).collect();
                ConfigError(format!(
                    "kind has unexpected value {kind:?} (expected one of: {})",
                    names.join(", ")
                ))
            })
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel's configuration, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelConfig {
    Email(EmailConfig),
    Webhook(WebhookConfig),
    WeCom(WeComConfig),
    ServerChan(ServerChanConfig),
    Shell(ShellConfig),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailConfig {
    pub address: String,
}

/// One direction (down or up) of a webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRequest {
    pub method: String,
    pub url: String,
    pub body: String,
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookConfig {
    pub down: WebhookRequest,
    pub up: WebhookRequest,
    /// When set, each request carries a timestamped HMAC-SHA256 signature.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeComConfig {
    /// The group robot's webhook URL, with its `key`.
    pub url: String,
    /// Who to mention when a check goes down: WeCom user ids, or `@all`.
    #[serde(default)]
    pub mentions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerChanConfig {
    pub sendkey: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellConfig {
    #[serde(default)]
    pub cmd_down: String,
    #[serde(default)]
    pub cmd_up: String,
}

/// Caps on a channel's settings, in characters (header values: bytes, as sent).
const MAX_URL: usize = 1000;
const MAX_BODY: usize = 10_000;
const MAX_HEADER: usize = 1000;
const MAX_HEADER_NAME: usize = 100;
/// Headers per direction of a webhook.
const MAX_HEADERS: usize = 20;
const MAX_MENTIONS: usize = 50;
const MAX_MENTION: usize = 100;
const MAX_SECRET: usize = 200;
const MAX_ADDRESS: usize = 254;
const MAX_COMMAND: usize = 1000;
const MASK: &str = "********";

/// A channel configuration the kind does not accept; displays as the API's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("json validation error: {0}")]
pub struct ConfigError(pub String);

fn bad<T>(message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(message.into()))
}

fn text(obj: &Map<String, Value>, field: &str, max: usize) -> Result<String, ConfigError> {
    match obj.get(field) {
        None => Ok(String::new()),
        Some(Value::String(s)) => match limits::check_text(s, max) {
            Ok(()) => Ok(s.trim().to_string()),
            Err(problem) => bad(format!("config.{field} {problem}")),
        },
        Some(_) => bad(format!("config.{field} is not a string")),
    }
}

/// A channel's name: at most [`limits::CHANNEL_NAME`] characters, no NUL.
pub fn parse_name(name: &str) -> Result<String, ConfigError> {
    match limits::check_text(name, limits::CHANNEL_NAME) {
        Ok(()) => Ok(name.to_string()),
        Err(problem) => bad(format!("name {problem}")),
    }
}

fn http_url(field: &str, url: &str) -> Result<(), ConfigError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !url.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => bad(format!("config.{field} must be an http:// or https:// URL")),
    }
}

impl ChannelConfig {
    /// Parses and validates `config` for `kind`.
    pub fn parse(kind: ChannelKind, config: &Value) -> Result<ChannelConfig, ConfigError> {
        let Value::Object(obj) = config else {
            return bad("config is not an object");
        };
        match kind {
            ChannelKind::Email => {
                let address = text(obj, "address", MAX_ADDRESS)?;
                let valid = matches!(address.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'))
                    && !address.chars().any(char::is_whitespace);
                if !valid {
                    return bad("config.address is not an email address");
                }
                Ok(ChannelConfig::Email(EmailConfig { address }))
            }
            ChannelKind::Webhook => parse_webhook(obj).map(ChannelConfig::Webhook),
            ChannelKind::WeCom => {
                let url = text(obj, "url", MAX_URL)?;
                http_url("url", &url)?;
                if !url.contains("key=") {
                    return bad(
                        "config.url must be the group robot's webhook URL, with its key= parameter",
                    );
                }
                let mentions = parse_mentions(obj.get("mentions"))?;
                Ok(ChannelConfig::WeCom(WeComConfig { url, mentions }))
            }
            ChannelKind::ServerChan => {
                let sendkey = text(obj, "sendkey", MAX_SECRET)?;
                // A key read from the API comes back masked (`SCT1********cdef`), and
                // `keep_masked_secrets` then puts the stored key back in its place.
                let unmasked = sendkey.replacen(MASK, "", 1);
                if sendkey.is_empty()
                    || !unmasked
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return bad("config.sendkey must be a ServerChan SendKey (SCT… or sctp…)");
                }
                Ok(ChannelConfig::ServerChan(ServerChanConfig { sendkey }))
            }
            ChannelKind::Shell => {
                let cmd_down = text(obj, "cmd_down", MAX_COMMAND)?;
                let cmd_up = text(obj, "cmd_up", MAX_COMMAND)?;
                if cmd_down.is_empty() && cmd_up.is_empty() {
                    return bad("config needs cmd_down or cmd_up");
                }
                Ok(ChannelConfig::Shell(ShellConfig { cmd_down, cmd_up }))
            }
        }
    }

    pub fn kind(&self) -> ChannelKind {
        match self {
            ChannelConfig::Email(_) => ChannelKind::Email,
            ChannelConfig::Webhook(_) => ChannelKind::Webhook,
            ChannelConfig::WeCom(_) => ChannelKind::WeCom,
            ChannelConfig::ServerChan(_) => ChannelKind::ServerChan,
            ChannelConfig::Shell(_) => ChannelKind::Shell,
        }
    }

    /// The stored JSON form (secrets in clear).
    pub fn to_json(&self) -> Value {
        match self {
            ChannelConfig::Email(c) => json!(c),
            ChannelConfig::Webhook(c) => webhook_json(c),
            ChannelConfig::WeCom(c) => json!(c),
            ChannelConfig::ServerChan(c) => json!(c),
            ChannelConfig::Shell(c) => json!(c),
        }
    }

    /// The JSON shown to people: secrets replaced by a mask that keeps a hint.
    pub fn to_masked_json(&self) -> Value {
        self.masked().to_json()
    }

    fn masked(&self) -> ChannelConfig {
        let mut c = self.clone();
        match &mut c {
            ChannelConfig::Webhook(w) if !w.secret.is_empty() => w.secret = MASK.into(),
            ChannelConfig::WeCom(w) => w.url = mask_key_param(&w.url),
            ChannelConfig::ServerChan(s) => s.sendkey = mask_middle(&s.sendkey),
            _ => {}
        }
        c
    }

    /// Keeps the stored secrets where an update sends back their masked form, so a
    /// client can round-trip what it read.
    pub fn keep_masked_secrets(&mut self, old: &ChannelConfig) {
        let masked_old = old.masked();
        match (self, old, &masked_old) {
            (ChannelConfig::Webhook(new), ChannelConfig::Webhook(o), ChannelConfig::Webhook(m))
                if new.secret == m.secret =>
            {
                new.secret.clone_from(&o.secret);
            }
            (ChannelConfig::WeCom(new), ChannelConfig::WeCom(o), ChannelConfig::WeCom(m))
                if new.url == m.url =>
            {
                new.url.clone_from(&o.url);
            }
            (
                ChannelConfig::ServerChan(new),
                ChannelConfig::ServerChan(o),
                ChannelConfig::ServerChan(m),
            ) if new.sendkey == m.sendkey => {
                new.sendkey.clone_from(&o.sendkey);
            }
            _ => {}
        }
    }

    /// Reads a stored configuration back.
    pub fn from_stored(kind: ChannelKind, stored: &str) -> Result<ChannelConfig, ConfigError> {
        let value: Value = serde_json::from_str(stored)
            .map_err(|e| ConfigError(format!("stored config is not JSON: {e}")))?;
        ChannelConfig::parse(kind, &value)
    }
}

/// A WeCom robot's mentions: a list of user ids (or `@all`).
fn parse_mentions(value: Option<&Value>) -> Result<Vec<String>, ConfigError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return bad("config.mentions must be a list of strings"),
    };
    if items.len() > MAX_MENTIONS {
        return bad(format!(
            "config.mentions has too many entries (at most {MAX_MENTIONS})"
        ));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => match limits::check_text(s, MAX_MENTION) {
                Ok(()) => Ok(s.clone()),
                Err(problem) => bad(format!("config.mentions: an entry {problem}")),
            },
            _ => bad("config.mentions must be a list of strings"),
        })
        .collect()
}

/// `ab…yz`: enough to recognise a key, not enough to use it.
fn mask_middle(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return MASK.into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{MASK}{tail}")
}

/// Masks the value of a URL's `key=` parameter.
fn mask_key_param(url: &str) -> String {
    match url.find("key=") {
        Some(i) => {
            let start = i + 4;
            let end = url[start..].find('&').map_or(url.len(), |j| start + j);
            format!(
                "{}{}{}",
                &url[..start],
                mask_middle(&url[start..end]),
                &url[end..]
            )
        }
        None => url.to_string(),
    }
}

#[path = "channel_config_webhook.rs"]
mod webhook;
use webhook::{parse_webhook, webhook_json};

#[cfg(test)]
#[path = "channel_config_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "channel_config_props.rs"]
mod properties;
