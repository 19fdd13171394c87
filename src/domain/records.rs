//! What the store hands back about channels, pings, flips and notifications: plain
//! records with typed values and instants, decoded from rows once, in the store.

use super::channel_config::ChannelKind;
use super::check::{FlipReason, Status};
use super::ids::{ChannelId, ProjectId};
use super::ping::PingKind;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A channel of a project: where its notifications go.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: ChannelId,
    pub uuid: Uuid,
    pub project_id: ProjectId,
    pub kind: ChannelKind,
    pub name: String,
    /// The kind's configuration, as stored JSON text (see `ChannelConfig::from_stored`).
    pub config: String,
    pub notify_up: bool,
    pub notify_down: bool,
    pub disabled: bool,
    pub last_error: Option<String>,
    pub created: DateTime<Utc>,
    /// The secret in the channel's unsubscribe link.
    pub token: String,
}

/// A ping in a check's log.
#[derive(Debug, Clone)]
pub struct LoggedPing {
    /// The check's ping sequence number.
    pub n: i64,
    pub created: DateTime<Utc>,
    pub kind: PingKind,
    pub exit_status: Option<i64>,
    pub rid: Option<Uuid>,
    pub remote_addr: Option<String>,
    pub scheme: String,
    pub method: String,
    pub ua: String,
    pub body: Option<Vec<u8>>,
    /// How long the run this ping completed took.
    pub duration_ms: Option<i64>,
}

/// A status change of a check, as recorded.
#[derive(Debug, Clone)]
pub struct RecordedFlip {
    pub id: i64,
    pub created: DateTime<Utc>,
    pub old_status: Status,
    pub new_status: Status,
    pub reason: FlipReason,
}

/// A notification in the outbox, as a check's notification log shows it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub channel_uuid: String,
    /// The status the notification announces.
    pub status: Status,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    pub created: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

/// One try at delivering a notification.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    pub notification_id: i64,
    pub started: DateTime<Utc>,
    pub duration_ms: i64,
    pub ok: bool,
    pub error: Option<String>,
}
