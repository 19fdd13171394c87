//! Project-wide API endpoints: channels. Listing is healthchecks.io's; creating, reading,
//! changing and deleting channels (v3) is Overdue's addition.

use super::auth::{Access, Auth, authorize, json_object};
use super::error::ApiError;
use crate::app::{self, channels::ChannelInput};
use crate::domain::channel_config::{self, ChannelConfig};
use crate::domain::limits;
use crate::state::AppState;
use crate::store::channels::{self, Channel};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

pub async fn list_channels(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let list: Vec<Value> = channels::list(&app.db, auth.project_id)
        .await?
        .iter()
        .map(|c| json!({ "id": c.uuid, "name": c.name, "kind": c.kind }))
        .collect();
    Ok(Json(json!({ "channels": list })))
}

/// A channel as the API shows it: secrets masked.
fn channel_json(row: &Channel) -> Value {
    let config = ChannelConfig::from_stored(row.kind, &row.config)
        .map(|c| c.to_masked_json())
        .unwrap_or(Value::Null);
    json!({
        "id": row.uuid,
        "name": row.name,
        "kind": row.kind,
        "config": config,
        "notify_up": row.notify_up,
        "notify_down": row.notify_down,
        "disabled": row.disabled,
        "last_error": row.last_error,
    })
}

fn bool_field(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad_request(format!(
            "json validation error: {name} is not a boolean"
        ))),
    }
}

fn string_field(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!(
            "json validation error: {name} is not a string"
        ))),
    }
}

/// A request body as the use case's input: the JSON types, and the name (capped, no NUL),
/// are checked here; the kind's settings by the kind's own parser.
fn channel_input(body: &Map<String, Value>) -> Result<ChannelInput, ApiError> {
    let name = string_field(body, "name")?
        .map(|name| channel_config::parse_name(&name))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(ChannelInput {
        kind: string_field(body, "kind")?,
        name,
        config: body.get("config").cloned(),
        notify_up: bool_field(body, "notify_up")?,
        notify_down: bool_field(body, "notify_down")?,
    })
}

pub async fn create_channel(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let input = channel_input(&body)?;
    // The cap keeps a project's channel list, and each flip's fan-out, bounded.
    if channels::list(&app.db, auth.project_id).await?.len() >= limits::CHANNELS_PER_PROJECT {
        return Err(ApiError::Limit(
            "channels limit exceeded (at most 100 per project)",
        ));
    }
    let row = app::channels::create(&app, auth.project_id, &input).await?;
    Ok((StatusCode::CREATED, Json(channel_json(&row))))
}

/// A channel of the caller's project: 404 if none, 403 if another project's.
pub async fn find_channel(app: &AppState, auth: Auth, uuid: &str) -> Result<Channel, ApiError> {
    let uuid = uuid.parse().map_err(|_| ApiError::NotFound)?;
    let row = channels::find_by_uuid(&app.db, &uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.project_id == auth.project_id {
        Ok(row)
    } else {
        Err(ApiError::Forbidden)
    }
}

pub async fn get_channel(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    Ok(Json(channel_json(&find_channel(&app, auth, &uuid).await?)))
}

pub async fn update_channel(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let row = find_channel(&app, auth, &uuid).await?;
    let row = app::channels::update(&app, &row, &channel_input(&body)?).await?;
    Ok(Json(channel_json(&row)))
}

pub async fn delete_channel(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let row = find_channel(&app, auth, &uuid).await?;
    channels::delete(&app.db, row.id).await?;
    Ok(Json(channel_json(&row)))
}

/// Sends a test notification through a channel now, the way real ones go, without
/// retrying: `200 {"ok": true}`, or `502 {"error": …}` with what the channel answered.
pub async fn test_channel(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let row = find_channel(&app, auth, &uuid).await?;
    let error = app::channels::send_test(&app, &row).await?.err();
    match error {
        None => Ok((StatusCode::OK, Json(json!({ "ok": true })))),
        Some(message) => Ok((StatusCode::BAD_GATEWAY, Json(json!({ "error": message })))),
    }
}
