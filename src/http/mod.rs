//! The HTTP surface.

use crate::app::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub mod api;
pub mod badges;
pub mod metrics;
pub mod ping;
pub mod unsubscribe;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(ping::routes(&state.config))
        .merge(api::routes())
        .merge(unsubscribe::routes())
        .merge(badges::routes())
        .merge(metrics::routes())
        .route("/healthz", get(healthz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
