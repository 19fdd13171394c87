//! Delivering notifications: one module per channel kind behind [`send`]. A kind
//! renders a [`Notice`] for its medium, sends it, and says whether a failure is worth
//! retrying.

use crate::config::Config;
use crate::domain::channel_config::ChannelConfig;
use crate::store::Db;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tera::Tera;

pub mod address;
pub mod email;
pub mod net;
pub mod notice;
pub mod serverchan;
pub mod shell;
pub mod webhook;
pub mod wecom;

pub use notice::Notice;

/// Why a send failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later (a timeout, a 5xx, a rate limit).
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Will never work until someone fixes the channel (a revoked key, a 4xx): the
    /// channel is disabled and its project's owners are told.
    Permanent(String),
    /// Did not work and is not retried, but the channel stays enabled (a shell command
    /// that exited non-zero: running it again could do harm).
    Final(String),
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        SendError::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Transient { message, .. }
            | SendError::Permanent(message)
            | SendError::Final(message) => message,
        }
    }

    /// Classifies an HTTP status as healthchecks.io does, stricter about 4xx: 408 and
    /// 429 are worth retrying, other 4xx are permanent, 5xx transient.
    pub fn from_status(status: reqwest::StatusCode, retry_after: Option<Duration>) -> Self {
        let message = format!("Received status code {}", status.as_u16());
        match status.as_u16() {
            408 | 429 => SendError::Transient {
                message,
                retry_after,
            },
            400..=499 => SendError::Permanent(message),
            _ => SendError::Transient {
                message,
                retry_after,
            },
        }
    }

    /// A request that did not complete.
    pub fn from_request(e: &reqwest::Error) -> Self {
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(err) = source {
            if let Some(refused) = err.downcast_ref::<net::Refused>() {
                return SendError::from(refused.clone());
            }
            if let Some(too_many) = err.downcast_ref::<net::TooManyRedirects>() {
                return SendError::transient(too_many.to_string());
            }
            source = err.source();
        }
        if e.is_timeout() {
            SendError::transient("Timed out waiting for a response")
        } else if e.is_connect() {
            SendError::transient("Could not connect")
        } else {
            SendError::transient(format!("Request failed: {}", without_url(e)))
        }
    }
}

impl From<net::Refused> for SendError {
    /// A refused target is refused every time: the channel must change.
    fn from(refused: net::Refused) -> Self {
        SendError::Permanent(refused.to_string())
    }
}

/// An error and its causes, one after another, without the URL (which may carry a key).
pub fn error_chain(e: &reqwest::Error) -> String {
    let mut text = without_url(e);
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

/// A reqwest error's text without the URL, which may carry a secret key.
fn without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match text.find(" for url (") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// The `Retry-After` of a response, in seconds.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// What the senders share: the HTTP client, the mailer, the templates, the settings and
/// the database (for limits shared by all processes). Built once at start.
#[derive(Clone)]
pub struct Senders {
    pub http: net::Client,
    pub mailer: email::Mailer,
    pub templates: Arc<Tera>,
    pub config: Arc<Config>,
    pub db: Db,
}

impl Senders {
    /// Fails on settings that can never send (a malformed sender address or SMTP URL), and
    /// when the HTTP client cannot be built with its guard and timeouts.
    pub fn new(config: Arc<Config>, db: Db, templates: Arc<Tera>) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(config.notify_timeout);
        let guard = net::Guard::new(config.allow_private_targets);
        Ok(Senders {
            http: net::Client::new(timeout, guard)
                .context("cannot start sending webhook, WeCom and ServerChan notifications")?,
            mailer: email::Mailer::from_config(&config)?,
            templates,
            config,
            db,
        })
    }
}

/// Sends one notice through one channel.
pub async fn send(
    channel: &ChannelConfig,
    notice: &Notice,
    senders: &Senders,
) -> Result<(), SendError> {
    match channel {
        ChannelConfig::Email(c) => email::send(c, notice, senders).await,
        ChannelConfig::Webhook(c) => webhook::send(c, notice, senders).await,
        ChannelConfig::WeCom(c) => wecom::send(c, std::slice::from_ref(notice), senders).await,
        ChannelConfig::ServerChan(c) => serverchan::send(c, notice, senders).await,
        ChannelConfig::Shell(c) => shell::send(c, notice, senders).await,
    }
}
