//! The HTTP surface.

use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub mod api;
pub mod badges;
pub mod ping;
pub mod prometheus;
pub mod unsubscribe;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(ping::routes(&state.config))
        .merge(api::routes())
        .merge(unsubscribe::routes())
        .merge(badges::routes())
        .merge(prometheus::routes())
        .route("/healthz", get(healthz))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// One span per request, named by the route it matched. The raw URI is never logged:
/// ping and Prometheus URLs carry keys, and routes keep the span's cardinality low.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// Liveness that means something: the process serves and its database answers.
async fn healthz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    match app.db.ping().await {
        Ok(()) => (StatusCode::OK, "OK"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
