//! WeCom (企业微信) group robots: markdown messages (text when mentions need it), at most
//! 4096 bytes, `errcode` checked. Bursts beyond the robot's 20 messages a minute are
//! merged into one digest by the notifier, which calls [`send`] with several notices.

use super::notice::{Notice, truncate_bytes};
use super::{SendError, Senders, net};
use crate::domain::channel_config::WeComConfig;
use serde::Deserialize;
use serde_json::{Value, json};

/// Messages a robot accepts per minute.
pub const PER_MINUTE: i64 = 20;
pub const MARKDOWN_LIMIT: usize = 4096;
pub const TEXT_LIMIT: usize = 2048;
const TRUNCATED: &str = "\n…(truncated)";

#[derive(Debug, Deserialize)]
struct Reply {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// The request body for one notice or a digest of several.
pub fn message(config: &WeComConfig, notices: &[Notice]) -> Value {
    let any_down = notices.iter().any(Notice::is_down);
    let mentions: &[String] = if any_down { &config.mentions } else { &[] };
    let (mobiles, users): (Vec<&String>, Vec<&String>) = mentions
        .iter()
        .partition(|m| m.len() >= 7 && m.bytes().all(|b| b.is_ascii_digit()));
    // Markdown can mention user ids but not @all or phone numbers: those need text.
    if mobiles.is_empty() && !users.iter().any(|u| *u == "@all") {
        // Mentions go last and must survive the cut, so the text is cut to make room.
        let tags: String = users.iter().map(|u| format!("<@{u}>")).collect();
        let limit = MARKDOWN_LIMIT.saturating_sub(tags.len());
        let content = format!("{}{tags}", fit(&markdown(notices, limit), limit));
        json!({"msgtype": "markdown", "markdown": {"content": content}})
    } else {
        json!({"msgtype": "text", "text": {
            "content": fit(&plain(notices), TEXT_LIMIT),
            "mentioned_list": users,
            "mentioned_mobile_list": mobiles,
        }})
    }
}

fn fit(content: &str, limit: usize) -> String {
    if content.len() <= limit {
        content.to_string()
    } else {
        format!(
            "{}{TRUNCATED}",
            truncate_bytes(content, limit.saturating_sub(TRUNCATED.len()))
        )
    }
}

/// The markdown body. A digest lists one line per check and, when the lines would not
/// fit, says how many more there are rather than silently cutting them off.
fn markdown(notices: &[Notice], budget: usize) -> String {
    let mut out = String::new();
    if notices.len() > 1 {
        out.push_str(&format!("**{} checks changed status**\n", notices.len()));
    }
    for (i, n) in notices.iter().enumerate() {
        let color = if n.is_down() { "warning" } else { "info" };
        let line = format!(
            "<font color=\"{color}\">**{}**</font>\n",
            escape(&n.headline())
        );
        let more = format!("…and {} more", notices.len() - i);
        if notices.len() > 1 && out.len() + line.len() + more.len() + 40 > budget {
            out.push_str(&more);
            break;
        }
        out.push_str(&line);
        if notices.len() == 1 {
            for (label, value) in n.details() {
                out.push_str(&format!(
                    "> {label}: <font color=\"comment\">{}</font>\n",
                    escape(&value)
                ));
            }
            if let Some(body) = n.body_excerpt(1000) {
                out.push_str(&format!(
                    "> Last ping body: `{}`\n",
                    escape(&body.replace(['\n', '`'], " "))
                ));
            }
        }
    }
    out
}

fn plain(notices: &[Notice]) -> String {
    let mut out = String::new();
    for n in notices {
        out.push_str(&n.headline());
        out.push('\n');
        if notices.len() == 1 {
            for (label, value) in n.details() {
                out.push_str(&format!("{label}: {value}\n"));
            }
        }
    }
    out
}

/// Markdown's special characters, neutralised in text that comes from users.
fn escape(s: &str) -> String {
    s.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('*', "\\*")
}

pub async fn send(
    config: &WeComConfig,
    notices: &[Notice],
    senders: &Senders,
) -> Result<(), SendError> {
    let url = reqwest::Url::parse(&config.url)
        .map_err(|_| SendError::Permanent("the robot URL is not valid".into()))?;
    let request = senders.http.post(url)?.json(&message(config, notices));
    let response = net::send(request).await?;
    if !response.status().is_success() {
        return Err(SendError::from_status(
            response.status(),
            super::retry_after(response.headers()),
        ));
    }
    let reply = net::read_capped(response, net::REPLY_CAP)
        .await
        .map_err(|e| SendError::from_request(&e))?;
    let reply = parse_reply(&reply)?;
    classify(reply.errcode, &reply.errmsg)
}

/// WeCom's JSON reply. Its replies are a few dozen bytes: one that runs past the cap is
/// not WeCom's, and is retried like any other reply that is not.
fn parse_reply(reply: &net::Capped) -> Result<Reply, SendError> {
    serde_json::from_slice(&reply.bytes).map_err(|_| {
        SendError::transient(if reply.truncated {
            format!(
                "WeCom's reply was larger than {} KiB, so it is not its JSON reply; the rest was not read",
                net::REPLY_CAP / 1024
            )
        } else {
            "WeCom answered with something that is not its JSON reply".to_string()
        })
    })
}

/// `errcode` 0 is delivered; 45009 is the robot's rate limit; 93000 means the key is
/// gone (deleted robot or wrong key) and never comes back.
pub fn classify(errcode: i64, errmsg: &str) -> Result<(), SendError> {
    let message = format!(
        "WeCom errcode {errcode}: {}",
        errmsg.split(", hint").next().unwrap_or(errmsg)
    );
    match errcode {
        0 => Ok(()),
        45009 => Err(SendError::Transient {
            message,
            retry_after: Some(std::time::Duration::from_secs(60)),
        }),
        93000 => Err(SendError::Permanent(message)),
        40008 | 40058 | 44004 => Err(SendError::Final(message)),
        _ => Err(SendError::transient(message)),
    }
}

#[cfg(test)]
#[path = "wecom_tests.rs"]
mod tests;
