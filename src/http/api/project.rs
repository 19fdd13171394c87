//! Project-wide API endpoints: channels. Listing is healthchecks.io's; creating, reading,
//! changing and deleting channels (v3) is Overdue's addition.

use super::auth::{Access, Auth, authorize, json_object};
use super::error::ApiError;
use crate::app::AppState;
use crate::domain::channel_config::ChannelConfig;
use crate::notify::notice::ChannelRef;
use crate::notify::{self, Notice, Senders};
use crate::store::channels::{self, ChannelFields, ChannelRow};
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
fn channel_json(row: &ChannelRow) -> Value {
    let config = ChannelConfig::from_stored(&row.kind, &row.config)
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

fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.get(name)
}

fn bool_field(body: &Map<String, Value>, name: &str, current: bool) -> Result<bool, ApiError> {
    match field(body, name) {
        None => Ok(current),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad_request(format!(
            "json validation error: {name} is not a boolean"
        ))),
    }
}

/// Builds a channel's fields from a request body over `current` (a new channel has none).
fn fields_from(
    app: &AppState,
    body: &Map<String, Value>,
    current: Option<&ChannelRow>,
) -> Result<ChannelFields, ApiError> {
    let kind = match (field(body, "kind"), current) {
        (Some(Value::String(k)), _) => k.clone(),
        (Some(_), _) => {
            return Err(ApiError::bad_request(
                "json validation error: kind is not a string",
            ));
        }
        (None, Some(c)) => c.kind.clone(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "json validation error: kind is required",
            ));
        }
    };
    if kind == "shell" && !app.config.shell_enabled {
        return Err(ApiError::bad_request(
            "shell channels are disabled on this server; its operator can enable them with OVERDUE_SHELL_ENABLED=true",
        ));
    }
    let name = match (field(body, "name"), current) {
        (Some(Value::String(n)), _) if n.chars().count() <= 100 => n.clone(),
        (Some(Value::String(_)), _) => {
            return Err(ApiError::bad_request(
                "json validation error: name is too long",
            ));
        }
        (Some(_), _) => {
            return Err(ApiError::bad_request(
                "json validation error: name is not a string",
            ));
        }
        (None, Some(c)) => c.name.clone(),
        (None, None) => String::new(),
    };
    let old = current.and_then(|c| ChannelConfig::from_stored(&c.kind, &c.config).ok());
    let config = match (field(body, "config"), &old) {
        (Some(v), _) => {
            let mut parsed =
                ChannelConfig::parse(&kind, v).map_err(|e| ApiError::bad_request(e.to_string()))?;
            if let Some(old) = &old {
                parsed.keep_masked_secrets(old);
            }
            parsed
        }
        (None, Some(old)) if old.kind() == kind => old.clone(),
        _ => {
            return Err(ApiError::bad_request(
                "json validation error: config is required",
            ));
        }
    };
    Ok(ChannelFields {
        kind,
        name,
        config: config.to_json().to_string(),
        notify_up: bool_field(body, "notify_up", current.is_none_or(|c| c.notify_up))?,
        notify_down: bool_field(body, "notify_down", current.is_none_or(|c| c.notify_down))?,
    })
}

pub async fn create_channel(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let fields = fields_from(&app, &body, None)?;
    let row = channels::create(&app.db, auth.project_id, &fields, app.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(channel_json(&row))))
}

/// A channel of the caller's project: 404 if none, 403 if another project's.
pub async fn find_channel(app: &AppState, auth: Auth, uuid: &str) -> Result<ChannelRow, ApiError> {
    let row = channels::find_by_uuid(&app.db, uuid)
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
    let fields = fields_from(&app, &body, Some(&row))?;
    channels::update(&app.db, row.id, &fields).await?;
    let row = channels::find_by_uuid(&app.db, &uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    let config = ChannelConfig::from_stored(&row.kind, &row.config)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e.0)))?;
    let senders = Senders::new(app.config.clone(), app.db.clone()).map_err(ApiError::Internal)?;
    let project = crate::store::projects::name_of(&app.db, row.project_id).await?;
    let channel = ChannelRef {
        uuid: row.uuid.clone(),
        name: row.name.clone(),
        token: row.token.clone(),
    };
    let now = app.clock.now();
    let notice = Notice::test(channel, &project, &app.config.site_root, now);
    let result = notify::send(&config, &notice, &senders).await;
    let error = result.as_ref().err().map(|e| e.message().to_string());
    channels::record_delivery(&app.db, row.id, now, error.as_deref()).await?;
    match error {
        None => Ok((StatusCode::OK, Json(json!({ "ok": true })))),
        Some(message) => Ok((StatusCode::BAD_GATEWAY, Json(json!({ "error": message })))),
    }
}
