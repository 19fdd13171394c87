//! The Management API's errors, with healthchecks.io's status codes and bodies.

use crate::app;
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// 400 `{"error": …}`: the request is malformed or fails validation.
    BadRequest(String),
    /// 401 `{"error": "missing api key"}`: no key, or not 32 characters.
    MissingKey,
    /// 401 `{"error": "wrong api key"}`: an unknown key, or a read-only key for a write.
    WrongKey,
    /// 403 with an empty body: the object belongs to another project.
    Forbidden,
    /// 403 `{"error": …}`: a limit was reached.
    Limit(&'static str),
    /// 404 `{"error": "not found"}`.
    NotFound,
    /// 409 with a plain-text reason.
    Conflict(&'static str),
    /// 503 with `Retry-After`: the database cannot be reached or did not answer in time.
    Unavailable(StoreError),
    /// 500; the cause is logged once, the body says nothing about it.
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            ApiError::Unavailable(e)
        } else {
            ApiError::Internal(e.into())
        }
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> Self {
        match e {
            app::Error::Invalid(message) => ApiError::BadRequest(message),
            app::Error::NotFound => ApiError::NotFound,
            app::Error::Limit(message) => ApiError::Limit(message),
            app::Error::Store(e) => e.into(),
            app::Error::Internal(e) => ApiError::Internal(e),
        }
    }
}

fn error_body(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(m) => error_body(StatusCode::BAD_REQUEST, &m),
            ApiError::MissingKey => error_body(StatusCode::UNAUTHORIZED, "missing api key"),
            ApiError::WrongKey => error_body(StatusCode::UNAUTHORIZED, "wrong api key"),
            ApiError::Forbidden => StatusCode::FORBIDDEN.into_response(),
            ApiError::Limit(m) => error_body(StatusCode::FORBIDDEN, m),
            ApiError::NotFound => error_body(StatusCode::NOT_FOUND, "not found"),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m).into_response(),
            ApiError::Unavailable(e) => {
                tracing::warn!(
                    error = format!("{:#}", anyhow::Error::from(e)),
                    "API request: database unavailable"
                );
                let mut response = error_body(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; try again shortly",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                response
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "API request failed");
                error_body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; the cause is in the server log",
                )
            }
        }
    }
}
