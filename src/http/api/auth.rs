//! API keys: `X-Api-Key`, or an `api_key` field in a POST's JSON body.

use super::error::ApiError;
use crate::domain::ids::ProjectId;
use crate::domain::keys::API_KEY_LEN;
use crate::state::AppState;
use crate::store::projects;
use axum::http::HeaderMap;
use serde_json::{Map, Value};

/// The project a request acts for.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    pub project_id: ProjectId,
    pub read_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read-only keys are accepted too.
    Read,
    /// Only the read-write key.
    Write,
}

/// Parses a POST body as healthchecks does: empty is `{}`, anything else must be a JSON
/// object.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "json validation error: value is not an object",
        )),
        Err(_) => Err(ApiError::bad_request("could not parse request body")),
    }
}

/// Finds the project for the request's key. The header wins; a JSON body's `api_key` is
/// used only when the header is absent (and only where a body is accepted).
pub async fn authorize(
    app: &AppState,
    headers: &HeaderMap,
    body: Option<&Map<String, Value>>,
    access: Access,
) -> Result<Auth, ApiError> {
    let from_header = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty());
    let key = match (from_header, body.and_then(|b| b.get("api_key"))) {
        (Some(k), _) => k.to_string(),
        (None, Some(Value::String(k))) => k.clone(),
        (None, Some(other)) => other.to_string(),
        (None, None) => String::new(),
    };
    if key.chars().count() != API_KEY_LEN {
        return Err(ApiError::MissingKey);
    }
    match projects::find_by_api_key(&app.db, &key).await? {
        Some((_, true)) if access == Access::Write => Err(ApiError::WrongKey),
        Some((project_id, read_only)) => Ok(Auth {
            project_id,
            read_only,
        }),
        None => Err(ApiError::WrongKey),
    }
}
