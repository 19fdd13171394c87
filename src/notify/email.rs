//! Email through SMTP (lettre), or to the log when no SMTP server is configured.

use super::notice::{BODY_CAP, Notice};
use super::{SendError, Senders};
use crate::config::Config;
use crate::domain::channel_config::{ChannelKind, EmailConfig};
use anyhow::Context as _;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tera::{Context, Tera};

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// No SMTP server: each email is written to the log.
    Log { from: Mailbox },
}

/// One email, ready to send.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let from: Mailbox = config.email_from.parse().with_context(|| {
            format!(
                "OVERDUE_EMAIL_FROM: {:?} is not an email address",
                config.email_from
            )
        })?;
        if config.smtp_url.is_empty() {
            return Ok(Mailer::Log { from });
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .context("OVERDUE_SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(Duration::from_secs(config.notify_timeout)))
            .build();
        Ok(Mailer::Smtp { transport, from })
    }

    pub async fn send(&self, email: &Email) -> Result<(), SendError> {
        let (from, transport) = match self {
            Mailer::Smtp { transport, from } => (from, Some(transport)),
            Mailer::Log { from } => (from, None),
        };
        let Some(transport) = transport else {
            tracing::info!(to = %email.to, subject = %email.subject, "email (SMTP not configured, so logged instead of sent)");
            return Ok(());
        };
        let to: Mailbox = email.to.parse().map_err(|_| {
            SendError::Permanent(format!("{:?} is not a valid email address", email.to))
        })?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&email.subject);
        for (name, value) in &email.headers {
            if let Ok(name) = HeaderName::new_from_ascii((*name).to_string()) {
                builder = builder.raw_header(HeaderValue::new(name, value.clone()));
            }
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::Final(format!("could not build the email: {e}")))?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| classify_smtp(&e))
    }
}

/// A mailbox the server says does not exist or will not accept mail (enhanced status
/// 5.1.x, or 550/551/553 about the recipient) is the channel's problem and permanent.
/// Anything else, including a refused login or relay, is the server's: it is retried
/// and the channel stays enabled, so a misconfigured server never disables every
/// email channel at once.
fn classify_smtp(e: &lettre::transport::smtp::Error) -> SendError {
    let message = format!("SMTP error: {e}");
    let code = e.status().map(|c| c.to_string());
    let about_mailbox =
        message.contains(" 5.1.") || message.to_ascii_lowercase().contains("mailbox");
    match code.as_deref() {
        Some("550" | "551" | "553") if about_mailbox => SendError::Permanent(message),
        _ if e.is_timeout() => SendError::transient("SMTP server timed out"),
        _ => SendError::transient(message),
    }
}

fn render(templates: &Tera, name: &str, context: &Context) -> Result<String, SendError> {
    templates
        .render(&format!("email/{name}"), context)
        .map_err(|e| SendError::Final(format!("email template {name} failed: {e}")))
}

/// The unsubscribe link of an email channel.
pub fn unsubscribe_url(site_root: &str, channel_uuid: &str, token: &str) -> String {
    format!("{site_root}/unsubscribe/{channel_uuid}/{token}")
}

/// Renders the alert email for a notice.
pub fn alert(
    templates: &Tera,
    address: &str,
    notice: &Notice,
    unsubscribe: &str,
) -> Result<Email, SendError> {
    let mut ctx = Context::new();
    ctx.insert("subject", &notice.subject());
    ctx.insert("headline", &notice.headline());
    ctx.insert("down", &notice.is_down());
    ctx.insert("details", &notice.details());
    ctx.insert("description", &notice.check.desc);
    ctx.insert("body", &notice.body_excerpt(BODY_CAP));
    ctx.insert("ping_url", &notice.check.ping_url);
    ctx.insert("project", &notice.project);
    ctx.insert("address", address);
    ctx.insert("unsubscribe_url", unsubscribe);
    Ok(Email {
        to: address.to_string(),
        subject: notice.subject(),
        text: render(templates, "alert.txt", &ctx)?,
        html: render(templates, "alert.html", &ctx)?,
        headers: vec![
            ("List-Unsubscribe", format!("<{unsubscribe}>")),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_string(),
            ),
        ],
    })
}

/// The email that tells a project's owners a channel was disabled, and how to fix it.
pub fn channel_disabled(
    templates: &Tera,
    to: &str,
    project: &str,
    kind: ChannelKind,
    name: &str,
    channel_uuid: &str,
    error: &str,
) -> Result<Email, SendError> {
    let advice = match kind {
        ChannelKind::WeCom => {
            "The group robot's key was probably revoked or the robot removed from its group. Add a robot to the group again and put its new webhook URL in the channel."
        }
        ChannelKind::ServerChan => {
            "The SendKey was probably reset or is mistyped. Copy the current SendKey from ServerChan into the channel."
        }
        ChannelKind::Email => {
            "The mail server refused the address. Check that it is spelled right and that the mailbox exists."
        }
        ChannelKind::Webhook => {
            "The receiving server refused the request. Check the URL, method, headers and body of the channel."
        }
        ChannelKind::Shell => "Check the channel's settings.",
    };
    let mut ctx = Context::new();
    ctx.insert("project", project);
    let kind = kind.as_str();
    ctx.insert("kind", kind);
    ctx.insert("name", if name.is_empty() { kind } else { name });
    ctx.insert("channel_uuid", channel_uuid);
    ctx.insert("error", error);
    ctx.insert("advice", advice);
    Ok(Email {
        to: to.to_string(),
        subject: format!(
            "Channel disabled: {} ({project})",
            if name.is_empty() { kind } else { name }
        ),
        text: render(templates, "channel_disabled.txt", &ctx)?,
        html: render(templates, "channel_disabled.html", &ctx)?,
        headers: Vec::new(),
    })
}

pub async fn send(
    config: &EmailConfig,
    notice: &Notice,
    senders: &Senders,
) -> Result<(), SendError> {
    let unsubscribe = unsubscribe_url(
        &senders.config.site_root,
        &notice.channel.uuid,
        &notice.channel.token,
    );
    let email = alert(&senders.templates, &config.address, notice, &unsubscribe)?;
    senders.mailer.send(&email).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_disabled_email_says_what_broke_and_how_to_fix_it() {
        let e = channel_disabled(
            &crate::templates::load().unwrap(),
            "owner@example.com",
            "Backups",
            ChannelKind::WeCom,
            "ops room",
            "c-1",
            "errcode 93000: invalid webhook url",
        )
        .unwrap();
        assert_eq!(e.subject, "Channel disabled: ops room (Backups)");
        assert!(e.text.contains("errcode 93000"));
        assert!(e.text.contains("Add a robot to the group again"));
        assert!(e.html.contains("errcode 93000"));
    }
}
