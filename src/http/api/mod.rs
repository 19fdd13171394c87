//! The Management API, `/api/v1/`, `/api/v2/` and `/api/v3/`, compatible with
//! healthchecks.io's: the same routes, keys, JSON and errors.

use crate::state::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, options, post};

pub mod auth;
pub mod checks;
pub mod error;
pub mod history;
pub mod openapi;
pub mod project;

/// The API version a request was made under, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion(pub u8);

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.uri.path().get(..8) {
            Some("/api/v1/") => Ok(ApiVersion(1)),
            Some("/api/v2/") => Ok(ApiVersion(2)),
            Some("/api/v3/") => Ok(ApiVersion(3)),
            _ => Err(StatusCode::NOT_FOUND),
        }
    }
}

/// One API route: its path under `/api/vN`, the versions that have it, and the methods
/// it answers besides OPTIONS.
pub struct ApiRoute {
    pub path: &'static str,
    pub versions: std::ops::RangeInclusive<u8>,
    pub methods: &'static [&'static str],
    pub handler: fn() -> MethodRouter<AppState>,
}

/// Every API route. The router and the OpenAPI document's test are both built from it.
pub const ROUTES: &[ApiRoute] = &[
    ApiRoute {
        path: "/checks/",
        versions: 1..=3,
        methods: &["GET", "POST"],
        handler: || get(checks::list).post(checks::create),
    },
    ApiRoute {
        path: "/checks/{code}",
        versions: 1..=3,
        methods: &["GET", "POST", "DELETE"],
        handler: || get(checks::get).post(checks::update).delete(checks::delete),
    },
    ApiRoute {
        path: "/checks/{code}/pause",
        versions: 1..=3,
        methods: &["POST"],
        handler: || post(checks::pause),
    },
    ApiRoute {
        path: "/checks/{code}/resume",
        versions: 1..=3,
        methods: &["POST"],
        handler: || post(checks::resume),
    },
    ApiRoute {
        path: "/checks/{code}/pings/",
        versions: 1..=3,
        methods: &["GET"],
        handler: || get(history::list_pings),
    },
    ApiRoute {
        path: "/checks/{code}/pings/{n}/body",
        versions: 1..=3,
        methods: &["GET"],
        handler: || get(history::ping_body),
    },
    ApiRoute {
        path: "/checks/{code}/flips/",
        versions: 1..=3,
        methods: &["GET"],
        handler: || get(history::list_flips),
    },
    ApiRoute {
        path: "/checks/{code}/notifications/",
        versions: 3..=3,
        methods: &["GET"],
        handler: || get(history::list_notifications),
    },
    ApiRoute {
        path: "/channels/{uuid}/test",
        versions: 3..=3,
        methods: &["POST"],
        handler: || post(project::test_channel),
    },
    ApiRoute {
        path: "/channels/",
        versions: 1..=2,
        methods: &["GET"],
        handler: || get(project::list_channels),
    },
    ApiRoute {
        path: "/channels/",
        versions: 3..=3,
        methods: &["GET", "POST"],
        handler: || get(project::list_channels).post(project::create_channel),
    },
    ApiRoute {
        path: "/channels/{uuid}",
        versions: 3..=3,
        methods: &["GET", "POST", "DELETE"],
        handler: || {
            get(project::get_channel)
                .post(project::update_channel)
                .delete(project::delete_channel)
        },
    },
    ApiRoute {
        path: "/badges/",
        versions: 1..=3,
        methods: &["GET"],
        handler: || get(crate::http::badges::list),
    },
    ApiRoute {
        path: "/status/",
        versions: 1..=3,
        methods: &["GET"],
        handler: || get(status),
    },
    ApiRoute {
        path: "/openapi.json",
        versions: 3..=3,
        methods: &["GET"],
        handler: || get(openapi::document),
    },
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for version in 1..=3u8 {
        for route in ROUTES.iter().filter(|r| r.versions.contains(&version)) {
            let allowed = format!("{}, OPTIONS", route.methods.join(", "));
            let allowed =
                HeaderValue::from_str(&allowed).unwrap_or(HeaderValue::from_static("OPTIONS"));
            let handler = (route.handler)()
                .merge(options(|| async { StatusCode::NO_CONTENT }))
                .layer(map_response(move |response: Response| {
                    cors(response, allowed.clone())
                }));
            router = router.route(&format!("/api/v{version}{}", route.path), handler);
        }
    }
    router
}

/// healthchecks.io's CORS headers, on every API answer.
async fn cors(mut response: Response, allowed: HeaderValue) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("X-Api-Key"),
    );
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allowed);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// Liveness for API clients: answers `OK` once the database answers.
async fn status(State(app): State<AppState>) -> Response {
    match app.db.ping().await {
        Ok(()) => "OK".into_response(),
        Err(e) => error::ApiError::from(e).into_response(),
    }
}
