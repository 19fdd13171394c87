//! The HTTP surface.

use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use std::time::Duration;
use tower_http::timeout::RequestBodyTimeoutLayer;
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
        // A body that does not arrive in time ends its request (and frees its buffer).
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            state.config.body_timeout,
        )))
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

/// Liveness that means something: the process serves, its database answers, and its
/// ping writer can write (a writer stuck after a full disk fails this, so a supervisor
/// restarts the service rather than letting every check go down falsely).
async fn healthz(State(app): State<AppState>) -> (StatusCode, String) {
    let timeout = std::time::Duration::from_secs(app.config.db_timeout);
    let answered = match tokio::time::timeout(timeout, app.db.ping()).await {
        Ok(answered) => answered.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", app.config.db_timeout)),
    };
    if let Err(e) = answered {
        tracing::error!(error = %e, "health check: database does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        );
    }
    if let Err(e) = app.pings.health() {
        tracing::error!(error = %e, "health check: the ping writer cannot write");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("ping writer cannot write: {e}\n"),
        );
    }
    (StatusCode::OK, "OK".to_string())
}
