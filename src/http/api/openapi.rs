//! `GET /api/v3/openapi.json`: the Management API's OpenAPI 3.0 document. The document
//! is written by hand; `tests/it/openapi/` keeps it true to `ROUTES` and to the answers.

use axum::http::header;
use axum::response::IntoResponse;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
