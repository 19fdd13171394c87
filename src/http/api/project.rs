//! Project-wide API endpoints: channels.

use super::auth::{Access, authorize};
use super::error::ApiError;
use crate::app::AppState;
use crate::store::channels;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

pub async fn list_channels(State(app): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let list: Vec<Value> = channels::list(&app.db, auth.project_id)
        .await?
        .iter()
        .map(|c| json!({ "id": c.uuid, "name": c.name, "kind": c.kind }))
        .collect();
    Ok(Json(json!({ "channels": list })))
}
