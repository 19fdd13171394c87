//! Status badges: `/badge/<project badge key>/<sig>[/<tag>].<fmt>` for a project or one
//! of its tags, `/b/<2|3>/<check badge key>.<fmt>` for one check, and
//! `/api/v{1,2,3}/badges/`, which lists a project's badge URLs.

use super::api::auth::{Access, authorize};
use super::api::error::ApiError;
use crate::domain::badge::{self, Format, Mode, Summary};
use crate::domain::limits;
use crate::state::AppState;
use crate::store::{badges, checks};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/badge/{badge_key}/{file}", get(project_badge))
        .route("/badge/{badge_key}/{sig}/{file}", get(tag_badge))
        .route("/b/{states}/{file}", get(check_badge))
        .layer(map_response(never_cache))
}

/// Badges are fetched by pages on other sites and must never be served stale.
async fn never_cache(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, no-cache, no-store, must-revalidate, private"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn project_badge(
    State(app): State<AppState>,
    Path((badge_key, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (sig, format) = badge::split_file(&file).ok_or(ApiError::NotFound)?;
    tagged(&app, &badge_key, sig, badge::ALL, format).await
}

async fn tag_badge(
    State(app): State<AppState>,
    Path((badge_key, sig, file)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (tag, format) = badge::split_file(&file).ok_or(ApiError::NotFound)?;
    tagged(&app, &badge_key, &sig, tag, format).await
}

/// The badge of every check of a project that carries `tag`.
async fn tagged(
    app: &AppState,
    badge_key: &str,
    sig: &str,
    tag: &str,
    format: Format,
) -> Result<Response, ApiError> {
    if !badge::is_key(badge_key) {
        return Err(ApiError::NotFound);
    }
    let project = badges::project_by_badge_key(&app.db, badge_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let secret = app.secret_key().await?;
    let mode = badge::verify(secret, &project.badge_key, tag, sig).ok_or(ApiError::NotFound)?;
    let now = app.clock.now();
    let rows = checks::list_by_project(&app.db, project.id).await?;
    let statuses = rows
        .iter()
        .filter(|r| badge::covers(tag, &r.tags))
        .map(|r| r.state().status_at(now, false));
    let label = if tag == badge::ALL {
        badge::SITE_LABEL
    } else {
        tag
    };
    Ok(render(label, &badge::summarize(statuses, mode), format))
}

async fn check_badge(
    State(app): State<AppState>,
    Path((states, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (badge_key, format) = badge::split_file(&file)
        .filter(|(key, _)| badge::is_key(key))
        .ok_or(ApiError::NotFound)?;
    let row = badges::check_by_badge_key(&app.db, badge_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let status = row.state().status_at(app.clock.now(), false);
    let summary = badge::summarize([status], Mode::from_states(&states));
    let uuid = row.uuid.to_string();
    let label = if row.name.is_empty() {
        &uuid
    } else {
        &row.name
    };
    Ok(render(label, &summary, format))
}

fn render(label: &str, summary: &Summary, format: Format) -> Response {
    match format {
        Format::Svg => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            badge::svg(label, summary.status),
        )
            .into_response(),
        Format::Json => Json(badge::json(summary)).into_response(),
        Format::Shields => Json(badge::shields(label, summary.status)).into_response(),
    }
}

/// `GET /api/v{1,2,3}/badges/`: the URLs of the all-checks badge and of each tag's (the
/// first [`limits::LISTED_BADGE_TAGS`] tags in sorted order, so the answer stays bounded).
pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Read).await?;
    let badge_key = badges::project_badge_key(&app.db, auth.project_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = checks::list_by_project(&app.db, auth.project_id).await?;
    let tags: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.tags.split_whitespace())
        .collect();
    let site_root = &app.config.site_root;
    let secret = app.secret_key().await?;
    let mut map = Map::new();
    map.insert(
        badge::ALL.to_string(),
        badge::urls(site_root, secret, &badge_key, badge::ALL),
    );
    for tag in tags.into_iter().take(limits::LISTED_BADGE_TAGS) {
        map.insert(
            tag.to_string(),
            badge::urls(site_root, secret, &badge_key, tag),
        );
    }
    Ok(Json(json!({ "badges": map })))
}
