//! ServerChan (Server酱): Turbo keys (`SCT…`) and ServerChan³ keys (`sctp<uid>t…`), with
//! the reply's `code` checked and its rate limit (HTTP 429) reported as such.

use super::notice::{Notice, truncate_bytes};
use super::{SendError, Senders, net};
use crate::config::Config;
use crate::domain::channel_config::ServerChanConfig;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Reply {
    code: i64,
    #[serde(default)]
    message: String,
}

/// The send URL for a key: ServerChan³ keys carry their user id (`sctp<uid>t…`).
pub fn endpoint(config: &Config, sendkey: &str) -> String {
    let sc3_uid = sendkey
        .strip_prefix("sctp")
        .and_then(|rest| rest.split_once('t'))
        .map(|(uid, _)| uid)
        .filter(|uid| !uid.is_empty() && uid.bytes().all(|b| b.is_ascii_digit()));
    match sc3_uid {
        Some(uid) => format!(
            "{}/send/{sendkey}.send",
            config.serverchan3_url.replace("{uid}", uid)
        ),
        None => format!("{}/{sendkey}.send", config.serverchan_url),
    }
}

/// Title (one line, at most 32 characters, as the free tier allows) and Markdown body.
pub fn message(notice: &Notice) -> (String, String) {
    let title: String = notice
        .subject()
        .replace(['\r', '\n'], " ")
        .chars()
        .take(32)
        .collect();
    let mut desp = format!("**{}**\n\n", notice.headline());
    for (label, value) in notice.details() {
        desp.push_str(&format!("- {label}: {value}\n"));
    }
    if let Some(body) = notice.body_excerpt(4000) {
        desp.push_str(&format!(
            "\nLast ping body:\n\n```\n{}\n```\n",
            body.replace("```", "'''")
        ));
    }
    (title, truncate_bytes(&desp, 30_000).to_string())
}

pub async fn send(
    config: &ServerChanConfig,
    notice: &Notice,
    senders: &Senders,
) -> Result<(), SendError> {
    let url = reqwest::Url::parse(&endpoint(&senders.config, &config.sendkey))
        .map_err(|_| SendError::Permanent("the SendKey does not make a valid URL".into()))?;
    let (title, desp) = message(notice);
    let request = senders
        .http
        .post(url)?
        .form(&[("title", title.as_str()), ("desp", desp.as_str())]);
    let response = net::send(request).await?;
    let status = response.status();
    if status.as_u16() == 429 {
        return Err(SendError::Transient {
            message: "ServerChan rate limit reached for this server's address (HTTP 429); it lifts within 24 hours".into(),
            retry_after: super::retry_after(response.headers()),
        });
    }
    let reply = net::read_capped(response, net::REPLY_CAP)
        .await
        .map_err(|e| SendError::from_request(&e))?;
    match serde_json::from_slice::<Reply>(&reply.bytes) {
        Ok(r) => classify(r.code, &r.message),
        Err(_) if !status.is_success() => Err(SendError::from_status(status, None)),
        Err(_) if reply.truncated => Err(SendError::transient(format!(
            "ServerChan's reply was larger than {} KiB, so it is not its JSON reply; the rest was not read",
            net::REPLY_CAP / 1024
        ))),
        Err(_) => Err(SendError::transient(
            "ServerChan answered with something that is not its JSON reply",
        )),
    }
}

/// `code` 0 is delivered. A refused key (ServerChan answers 40001 "bad pushtoken" and
/// similar 400xx codes) is permanent; anything else is retried.
pub fn classify(code: i64, message: &str) -> Result<(), SendError> {
    let text = format!("ServerChan code {code}: {message}");
    match code {
        0 => Ok(()),
        40000..=40099 => Err(SendError::Permanent(text)),
        _ => Err(SendError::transient(text)),
    }
}
