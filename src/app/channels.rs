//! Creating and changing a project's channels, and sending a test notification.

use super::Error;
use crate::domain::channel_config::{ChannelConfig, ChannelKind};
use crate::domain::ids::ProjectId;
use crate::notify::notice::ChannelRef;
use crate::notify::{self, Notice, net};
use crate::state::AppState;
use crate::store::channels::{self, Channel, ChannelFields};
use crate::store::projects;
use serde_json::Value;

/// The longest channel name, in characters.
const MAX_NAME: usize = 100;

/// What a user asked to set on a channel; `None` keeps the current value (or the default,
/// for a new channel).
#[derive(Debug, Clone, Default)]
pub struct ChannelInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    /// The kind's settings, as the API's JSON takes them. A masked secret sent back as
    /// it was shown keeps the stored secret.
    pub config: Option<Value>,
    pub notify_up: Option<bool>,
    pub notify_down: Option<bool>,
}

/// Creates a channel in the project.
pub async fn create(
    app: &AppState,
    project_id: ProjectId,
    input: &ChannelInput,
) -> Result<Channel, Error> {
    let fields = fields(app, input, None)?;
    check_targets(app, input, &fields).await?;
    Ok(channels::create(&app.db, project_id, &fields, app.clock.now()).await?)
}

/// Changes a channel; fields the input leaves out keep their values.
pub async fn update(
    app: &AppState,
    channel: &Channel,
    input: &ChannelInput,
) -> Result<Channel, Error> {
    let fields = fields(app, input, Some(channel))?;
    check_targets(app, input, &fields).await?;
    channels::update(&app.db, channel.id, &fields).await?;
    channels::find_by_uuid(&app.db, &channel.uuid)
        .await?
        .ok_or(Error::NotFound)
}

/// Builds a channel's fields from the input over `current` (a new channel has none).
fn fields(
    app: &AppState,
    input: &ChannelInput,
    current: Option<&Channel>,
) -> Result<ChannelFields, Error> {
    let kind = match (&input.kind, current) {
        (Some(kind), _) => ChannelKind::parse(kind).map_err(|e| Error::Invalid(e.to_string()))?,
        (None, Some(c)) => c.kind,
        (None, None) => return Err(invalid("kind is required")),
    };
    if kind == ChannelKind::Shell && !app.config.shell_enabled {
        return Err(Error::Invalid(
            "shell channels are disabled on this server; its operator can enable them with OVERDUE_SHELL_ENABLED=true".into(),
        ));
    }
    let name = match (&input.name, current) {
        (Some(name), _) if name.chars().count() <= MAX_NAME => name.clone(),
        (Some(_), _) => return Err(invalid("name is too long")),
        (None, Some(c)) => c.name.clone(),
        (None, None) => String::new(),
    };
    let old = current.and_then(|c| ChannelConfig::from_stored(c.kind, &c.config).ok());
    let config = match (&input.config, &old) {
        (Some(value), _) => {
            let mut parsed =
                ChannelConfig::parse(kind, value).map_err(|e| Error::Invalid(e.to_string()))?;
            if let Some(old) = &old {
                parsed.keep_masked_secrets(old);
            }
            parsed
        }
        (None, Some(old)) if old.kind() == kind => old.clone(),
        _ => return Err(invalid("config is required")),
    };
    Ok(ChannelFields {
        kind,
        name,
        config: config.to_json().to_string(),
        notify_up: input
            .notify_up
            .unwrap_or(current.is_none_or(|c| c.notify_up)),
        notify_down: input
            .notify_down
            .unwrap_or(current.is_none_or(|c| c.notify_down)),
    })
}

/// Refuses targets that can only be private when a channel's settings are saved, so the
/// user learns it now rather than from the first failed alert. The guard still checks
/// every send (names can change what they resolve to).
async fn check_targets(
    app: &AppState,
    input: &ChannelInput,
    fields: &ChannelFields,
) -> Result<(), Error> {
    if input.config.is_none() || app.config.allow_private_targets {
        return Ok(()); // The targets are not changing, or any target is allowed.
    }
    let config = ChannelConfig::from_stored(fields.kind, &fields.config)
        .map_err(|e| anyhow::anyhow!("a channel config just built does not parse: {}", e.0))?;
    let guard = net::Guard::new(false);
    for (field, target) in targets(&config) {
        // Placeholders may make a URL that does not parse yet; the send checks it then.
        let Ok(url) = reqwest::Url::parse(target) else {
            continue;
        };
        if let Err(refused) = net::check_before_saving(&url, &guard).await {
            let why = match refused {
                net::Refused::Address(ip) | net::Refused::Redirect(ip) => {
                    format!("{ip} is a private address")
                }
                net::Refused::Name(name) => format!("{name} resolves only to private addresses"),
            };
            return Err(invalid(&format!(
                "config.{field}: {why}, and this server does not send notifications to \
                 private addresses (its operator can allow them with \
                 OVERDUE_ALLOW_PRIVATE_TARGETS=true)"
            )));
        }
    }
    Ok(())
}

/// The URLs a channel sends to that its user chose, by field name.
fn targets(config: &ChannelConfig) -> Vec<(&'static str, &str)> {
    match config {
        ChannelConfig::Webhook(w) => [("url_down", &w.down.url), ("url_up", &w.up.url)]
            .into_iter()
            .filter(|(_, url)| !url.is_empty())
            .map(|(field, url)| (field, url.as_str()))
            .collect(),
        ChannelConfig::WeCom(w) => vec![("url", w.url.as_str())],
        // ServerChan's host is the operator's setting; email and shell send no requests.
        ChannelConfig::ServerChan(_) | ChannelConfig::Email(_) | ChannelConfig::Shell(_) => {
            Vec::new()
        }
    }
}

fn invalid(problem: &str) -> Error {
    Error::Invalid(format!("json validation error: {problem}"))
}

/// Sends a test notification through a channel now, the way real ones go, without
/// retrying, and records the outcome on the channel. `Ok(Err(message))` carries what the
/// channel answered when the send failed.
pub async fn send_test(app: &AppState, channel: &Channel) -> Result<Result<(), String>, Error> {
    let config = ChannelConfig::from_stored(channel.kind, &channel.config).map_err(|e| {
        anyhow::anyhow!(
            "stored config of channel {} does not parse: {}",
            channel.uuid,
            e.0
        )
    })?;
    let project = projects::name_of(&app.db, channel.project_id).await?;
    let target = ChannelRef {
        uuid: channel.uuid.to_string(),
        name: channel.name.clone(),
        token: channel.token.clone(),
    };
    let now = app.clock.now();
    let notice = Notice::test(target, &project, &app.config.site_root, now);
    let result = notify::send(&config, &notice, &app.senders)
        .await
        .map_err(|e| e.message().to_string());
    channels::record_delivery(
        &app.db,
        channel.id,
        now,
        result.as_ref().err().map(String::as_str),
    )
    .await?;
    Ok(result)
}
