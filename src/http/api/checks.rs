//! `/api/v{1,2,3}/checks/…`: list, create, read, update, delete, pause, resume.

use super::ApiVersion;
use super::auth::{Access, Auth, authorize, json_object};
use super::error::ApiError;
use crate::app::{self, checks::Saved};
use crate::domain::check::NotPaused;
use crate::domain::check_config::tag_list;
use crate::domain::check_update;
use crate::domain::ping::is_canonical_uuid;
use crate::state::AppState;
use crate::store::checks::{self, Check};
use crate::views::{CheckView, Viewer};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

type ApiResult = Result<(StatusCode, Json<Value>), ApiError>;

fn ok(value: Value) -> ApiResult {
    Ok((StatusCode::OK, Json(value)))
}

pub fn viewer<'a>(app: &'a AppState, version: ApiVersion, auth: Auth) -> Viewer<'a> {
    Viewer {
        site_root: &app.config.site_root,
        api_version: version.0,
        read_only: auth.read_only,
        now: app.clock.now(),
    }
}

/// A check as the API shows it to this caller.
async fn render(
    app: &AppState,
    row: &Check,
    version: ApiVersion,
    auth: Auth,
) -> Result<Value, ApiError> {
    let channels = if auth.read_only {
        Vec::new()
    } else {
        checks::channel_uuids_by_check(&app.db, row.project_id)
            .await?
            .remove(&row.id)
            .unwrap_or_default()
    };
    let view = CheckView::new(row, &channels, viewer(app, version, auth));
    serde_json::to_value(view).map_err(|e| ApiError::Internal(e.into()))
}

pub async fn list(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> ApiResult {
    let auth = authorize(&app, &headers, None, Access::Read).await?;
    let tags: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.as_str())
        .collect();
    let slug = params
        .iter()
        .find(|(k, _)| k == "slug")
        .map(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty());
    let rows = checks::list_by_project(&app.db, auth.project_id).await?;
    let mut channels = if auth.read_only {
        Default::default()
    } else {
        checks::channel_uuids_by_check(&app.db, auth.project_id).await?
    };
    let viewer = viewer(&app, version, auth);
    let list: Vec<CheckView> = rows
        .iter()
        .filter(|r| slug.is_none_or(|s| r.slug == s))
        .filter(|r| {
            let own = tag_list(&r.tags);
            tags.iter().all(|t| own.contains(t))
        })
        .map(|r| CheckView::new(r, &channels.remove(&r.id).unwrap_or_default(), viewer))
        .collect();
    ok(json!({ "checks": list }))
}

/// Finds a check of the caller's project by uuid or, where allowed, by its read-only
/// alias: 404 if there is none, 403 if it belongs to another project.
pub async fn find(
    app: &AppState,
    auth: Auth,
    code: &str,
    by_unique_key: bool,
) -> Result<Check, ApiError> {
    if is_canonical_uuid(code, false) {
        let uuid = code.parse().map_err(|_| ApiError::NotFound)?;
        let row = checks::find_by_uuid(&app.db, &uuid)
            .await?
            .ok_or(ApiError::NotFound)?;
        return if row.project_id == auth.project_id {
            Ok(row)
        } else {
            Err(ApiError::Forbidden)
        };
    }
    if by_unique_key && code.len() == 40 && code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return checks::find_by_unique_key(&app.db, auth.project_id, code)
            .await?
            .ok_or(ApiError::NotFound);
    }
    Err(ApiError::NotFound)
}

pub async fn get(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult {
    let auth = authorize(&app, &headers, None, Access::Read).await?;
    let row = find(&app, auth, &code, true).await?;
    ok(render(&app, &row, version, auth).await?)
}

pub async fn create(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let update = check_update::parse(&body, app.config.min_timeout)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (row, saved) = app::checks::create(&app, auth.project_id, &update, version.0).await?;
    let status = match saved {
        Saved::Created => StatusCode::CREATED,
        Saved::Updated => StatusCode::OK,
    };
    Ok((status, Json(render(&app, &row, version, auth).await?)))
}

pub async fn update(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    let update = check_update::parse(&body, app.config.min_timeout)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let row = app::checks::update(&app, &row, &update, version.0).await?;
    ok(render(&app, &row, version, auth).await?)
}

pub async fn delete(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    let shown = render(&app, &row, version, auth).await?;
    checks::delete(&app.db, row.id).await?;
    ok(shown)
}

pub async fn pause(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    let row = checks::pause(&app.db, &row.uuid, app.clock.now())
        .await?
        .ok_or(ApiError::NotFound)?;
    ok(render(&app, &row, version, auth).await?)
}

pub async fn resume(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let auth = authorize(&app, &headers, Some(&body), Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    match checks::resume(&app.db, &row.uuid, app.clock.now())
        .await?
        .ok_or(ApiError::NotFound)?
    {
        Ok(row) => ok(render(&app, &row, version, auth).await?),
        Err(NotPaused) => Err(ApiError::Conflict("check is not paused")),
    }
}
