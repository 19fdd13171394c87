//! A project's checks for Prometheus to scrape: `/projects/<uuid>/metrics/<key>`, the
//! legacy `/projects/<uuid>/checks/metrics/<key>`, and `/projects/<uuid>/metrics/` with
//! `Authorization: Bearer <key>`.
//!
//! Only the project's read-only key is accepted, so a scrape config never holds a key that
//! can change anything. Unlike healthchecks.io, the project in the URL must be the key's.

use crate::domain::keys::API_KEY_LEN;
use crate::domain::ping::is_canonical_uuid;
use crate::domain::prometheus::{self, CheckSample};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::{badges, checks, projects};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{uuid}/metrics/{key}", get(by_path))
        .route("/projects/{uuid}/checks/metrics/{key}", get(by_path))
        .route("/projects/{uuid}/metrics/", get(by_bearer))
}

#[derive(Debug)]
enum ExportError {
    /// 400: the key cannot be an API key (its length is not 32).
    BadKey,
    /// 401: no bearer token.
    NoKey,
    /// 403: an unknown key, a read-write key, or another project's key.
    Forbidden,
    /// 404: the URL's project cannot be a project's uuid.
    NotFound,
    Internal(StoreError),
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Internal(e)
    }
}

impl IntoResponse for ExportError {
    fn into_response(self) -> Response {
        match self {
            ExportError::BadKey => StatusCode::BAD_REQUEST.into_response(),
            ExportError::NoKey => StatusCode::UNAUTHORIZED.into_response(),
            ExportError::Forbidden => StatusCode::FORBIDDEN.into_response(),
            ExportError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ExportError::Internal(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "Prometheus export: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "5")],
                    "the database is unavailable; try again shortly\n",
                )
                    .into_response()
            }
            ExportError::Internal(e) => {
                tracing::error!(error = %e, "Prometheus export request failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

async fn by_path(
    State(app): State<AppState>,
    Path((uuid, key)): Path<(String, String)>,
) -> Result<Response, ExportError> {
    export(&app, &uuid, &key).await
}

async fn by_bearer(
    State(app): State<AppState>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ExportError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ExportError::NoKey)?;
    export(&app, &uuid, key.trim()).await
}

async fn export(app: &AppState, uuid: &str, key: &str) -> Result<Response, ExportError> {
    if key.chars().count() != API_KEY_LEN {
        return Err(ExportError::BadKey);
    }
    let Some((project_id, true)) = projects::find_by_api_key(&app.db, key).await? else {
        return Err(ExportError::Forbidden);
    };
    // A project uuid is canonical (lowercase, hyphenated); anything else names no project
    // and is never looked up.
    if !is_canonical_uuid(uuid, false) {
        return Err(ExportError::NotFound);
    }
    if badges::project_id_by_uuid(&app.db, uuid).await? != Some(project_id) {
        return Err(ExportError::Forbidden);
    }
    let rows = checks::list_by_project(&app.db, project_id).await?;
    let now = app.clock.now();
    let samples: Vec<CheckSample<'_>> = rows
        .iter()
        .map(|r| CheckSample::observe(&r.name, &r.tags, &r.unique_key, &r.state(), r.n_pings, now))
        .collect();
    Ok((
        [(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)],
        prometheus::render(&samples),
    )
        .into_response())
}
