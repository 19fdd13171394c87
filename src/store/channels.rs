//! Channels: where a project's notifications go.

use super::{Db, Ts, Tx, on_pool, on_tx};
use crate::domain::channel_config::ChannelKind;
use crate::domain::check_update::{ChannelSelection, NamedChannel, resolve_channels};
use crate::domain::ids::{ChannelId, CheckId, ProjectId};
pub use crate::domain::records::Channel;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

macro_rules! select_channels {
    ($rest:literal) => {
        concat!(
            "select id, uuid, project_id, kind, name, config, notify_up, notify_down, disabled, \
             last_error, created, token from channels ",
            $rest
        )
    };
}

/// A project's channels, oldest first.
pub async fn list(db: &Db, project_id: ProjectId) -> Result<Vec<Channel>, StoreError> {
    const SQL: &str = select_channels!("where project_id = $1 order by id");
    on_pool!(db, p => sqlx::query_as::<_, Channel>(SQL).bind(project_id).fetch_all(p).await)
}

/// A project's channels, inside a transaction.
pub async fn list_tx(tx: &mut Tx, project_id: ProjectId) -> Result<Vec<Channel>, StoreError> {
    const SQL: &str = select_channels!("where project_id = $1 order by id");
    on_tx!(tx, c => sqlx::query_as::<_, Channel>(SQL).bind(project_id).fetch_all(c).await)
}

pub async fn find_by_uuid(db: &Db, uuid: &Uuid) -> Result<Option<Channel>, StoreError> {
    const SQL: &str = select_channels!("where uuid = $1");
    on_pool!(db, p => sqlx::query_as::<_, Channel>(SQL).bind(uuid.to_string()).fetch_optional(p).await)
}

/// The fields of a channel its owner sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFields {
    pub kind: ChannelKind,
    pub name: String,
    /// The kind's configuration, as JSON text.
    pub config: String,
    pub notify_up: bool,
    pub notify_down: bool,
}

pub async fn create(
    db: &Db,
    project_id: ProjectId,
    fields: &ChannelFields,
    now: DateTime<Utc>,
) -> Result<Channel, StoreError> {
    const INSERT: &str = "insert into channels (uuid, project_id, kind, name, config, notify_up, \
                          notify_down, created, token) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                          returning id, uuid, project_id, kind, name, config, notify_up, \
                          notify_down, disabled, last_error, created, token";
    on_pool!(db, p => sqlx::query_as::<_, Channel>(INSERT)
        .bind(Uuid::new_v4().to_string()).bind(project_id).bind(fields.kind.as_str()).bind(&fields.name)
        .bind(&fields.config).bind(fields.notify_up).bind(fields.notify_down).bind(Ts(now))
        .bind(Uuid::new_v4().simple().to_string())
        .fetch_one(p).await)
}

/// Replaces a channel's settings; a changed channel is enabled again and its last error
/// forgotten, since the change is usually the fix.
pub async fn update(db: &Db, id: ChannelId, fields: &ChannelFields) -> Result<(), StoreError> {
    const SQL: &str = "update channels set kind = $2, name = $3, config = $4, notify_up = $5, \
                       notify_down = $6, disabled = false, last_error = null where id = $1";
    on_pool!(db, p => sqlx::query(SQL)
        .bind(id).bind(fields.kind.as_str()).bind(&fields.name).bind(&fields.config)
        .bind(fields.notify_up).bind(fields.notify_down)
        .execute(p).await.map(|_| ()))
}

pub async fn delete(db: &Db, id: ChannelId) -> Result<(), StoreError> {
    on_pool!(db, p => sqlx::query("delete from channels where id = $1").bind(id).execute(p).await.map(|_| ()))
}

/// Turns a channel's per-direction switches and its disabled flag.
pub async fn set_flags(
    db: &Db,
    channel_id: ChannelId,
    notify_up: bool,
    notify_down: bool,
    disabled: bool,
) -> Result<(), StoreError> {
    const SQL: &str =
        "update channels set notify_up = $2, notify_down = $3, disabled = $4 where id = $1";
    on_pool!(db, p => sqlx::query(SQL)
        .bind(channel_id).bind(notify_up).bind(notify_down).bind(disabled)
        .execute(p).await.map(|_| ()))
}

/// Assigns a channel to a check (again is harmless).
pub async fn assign(db: &Db, check_id: CheckId, channel_id: ChannelId) -> Result<(), StoreError> {
    const SQL: &str =
        "insert into check_channels (check_id, channel_id) values ($1, $2) on conflict do nothing";
    on_pool!(db, p => sqlx::query(SQL).bind(check_id).bind(channel_id).execute(p).await.map(|_| ()))
}

pub async fn find_by_id(db: &Db, id: ChannelId) -> Result<Option<Channel>, StoreError> {
    const SQL: &str = select_channels!("where id = $1");
    on_pool!(db, p => sqlx::query_as::<_, Channel>(SQL).bind(id).fetch_optional(p).await)
}

/// Records the outcome of a delivery on the channel: when it last notified, and the
/// last error (cleared by a success).
pub async fn record_delivery(
    db: &Db,
    id: ChannelId,
    at: DateTime<Utc>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    const SQL: &str = "update channels set last_notify = $2, last_error = $3 where id = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(id).bind(Ts(at)).bind(error).execute(p).await.map(|_| ()))
}

/// Disables a channel that failed permanently; returns whether this call disabled it.
pub async fn disable(db: &Db, id: ChannelId, error: &str) -> Result<bool, StoreError> {
    const SQL: &str =
        "update channels set disabled = true, last_error = $2 where id = $1 and not disabled";
    on_pool!(db, p => sqlx::query(SQL).bind(id).bind(error).execute(p).await.map(|r| r.rows_affected() == 1))
}

/// Disables an email channel from its unsubscribe link; false if the token is wrong.
pub async fn unsubscribe(db: &Db, uuid: &str, token: &str) -> Result<bool, StoreError> {
    const SQL: &str = "update channels set disabled = true, last_error = 'unsubscribed by the recipient' \
                       where uuid = $1 and token = $2 and token <> '' and kind = 'email'";
    on_pool!(db, p => sqlx::query(SQL).bind(uuid).bind(token).execute(p).await.map(|r| r.rows_affected() == 1))
}

/// Resolves a `channels` field (`*`, `""`, or uuids and names) against a project's
/// channels into channel ids, or the message saying which identifier is wrong.
pub fn select(spec: &str, available: &[Channel]) -> Result<Vec<ChannelId>, String> {
    let named: Vec<NamedChannel> = available
        .iter()
        .map(|c| NamedChannel {
            id: c.id,
            uuid: c.uuid,
            name: &c.name,
        })
        .collect();
    match resolve_channels(spec, &named)? {
        ChannelSelection::All => Ok(available.iter().map(|c| c.id).collect()),
        ChannelSelection::Ids(ids) => Ok(ids),
    }
}
