//! Ping intake, wire-compatible with healthchecks.io: `/ping/<uuid>[/start|/fail|/log|/<0-255>]`
//! and `/ping/<ping key>/<slug>[…]`, any method, with `?rid=` and `?create=1`.

use crate::config::Config;
use crate::domain::check_update;
use crate::domain::ping::{
    self, ActionError, MAX_METHOD_CHARS, MAX_USER_AGENT_CHARS, PingAction, SlugShape,
};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::checks::{self, CheckConfig};
use crate::store::intake::{AutoCreate, PingJob, Recorded, Target};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value};
use std::net::SocketAddr;

/// Requests larger than this are refused outright (413); up to it, the body is read and
/// its first `ping_body_limit` bytes are stored.
const MIN_ACCEPTED_BODY: usize = 2_621_440;

pub fn routes(config: &Config) -> Router<AppState> {
    Router::new()
        .route("/ping/{a}", any(ping))
        .route("/ping/{a}/", any(ping))
        .route("/ping/{a}/{b}", any(ping))
        .route("/ping/{a}/{b}/{c}", any(ping))
        .layer(DefaultBodyLimit::max(
            config.ping_body_limit.max(MIN_ACCEPTED_BODY),
        ))
}

/// What a ping URL names, before anything is looked up.
enum Parsed<'a> {
    Uuid(&'a str, Result<PingAction, ActionError>),
    Slug(&'a str, &'a str, Result<PingAction, ActionError>),
}

fn parse_path(parts: &[String]) -> Option<Parsed<'_>> {
    let is_uuid = |s: &str| ping::is_canonical_uuid(s, false);
    match parts {
        [a] if is_uuid(a) => Some(Parsed::Uuid(a, Ok(PingAction::Success))),
        [a, b] if is_uuid(a) => match PingAction::from_segment(b) {
            Err(ActionError::Unknown) => None,
            action => Some(Parsed::Uuid(a, action)),
        },
        [key, slug] => Some(Parsed::Slug(key, slug, Ok(PingAction::Success))),
        [key, slug, c] if !is_uuid(key) => match PingAction::from_segment(c) {
            Err(ActionError::Unknown) | Ok(PingAction::Success) => None,
            action => Some(Parsed::Slug(key, slug, action)),
        },
        _ => None,
    }
}

/// The parts of the request that are recorded with a ping.
async fn ping(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(parts): Path<Vec<String>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let now = app.clock.now();
    let config = &app.config;
    let Some(parsed) = parse_path(&parts) else {
        return reply(StatusCode::NOT_FOUND, "not found", config);
    };
    let query = Query::parse(query.as_deref().unwrap_or(""));
    let (target, action) = match parsed {
        Parsed::Uuid(uuid, action) => (Target::Uuid(uuid.to_string()), action),
        Parsed::Slug(ping_key, slug, action) => match ping::slug_shape(slug) {
            SlugShape::Valid => {
                let create = match query.auto_create(slug, config.min_timeout) {
                    Ok(create) => create.map(Box::new),
                    Err(message) => return reply_owned(StatusCode::BAD_REQUEST, message, config),
                };
                let (ping_key, slug) = (ping_key.to_string(), slug.to_string());
                (
                    Target::Slug {
                        ping_key,
                        slug,
                        create,
                    },
                    action,
                )
            }
            SlugShape::Uppercase => {
                return reply(StatusCode::BAD_REQUEST, "invalid url format", config);
            }
            SlugShape::Invalid => return reply(StatusCode::NOT_FOUND, "not found", config),
        },
    };
    // A malformed URL is reported only for a check that exists; otherwise "not found".
    let (action, rid) = match (action, &query.rid) {
        (Ok(action), RidParam::Absent) => (action, None),
        (Ok(action), RidParam::Valid(rid)) => (action, Some(*rid)),
        (action, _) => {
            let message = if action.is_err() {
                "invalid url format"
            } else {
                "invalid uuid format"
            };
            return match exists(&app, &target).await {
                Ok(true) => reply(StatusCode::BAD_REQUEST, message, config),
                Ok(false) => reply(StatusCode::NOT_FOUND, "not found", config),
                Err(e) => storage_failure(e, config),
            };
        }
    };
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Request details are stored cut to their caps, never refused (see `limits`).
    let header_text = |name: &str, default: &str, max: usize| {
        let raw = headers
            .get(name)
            .map_or(default.as_bytes(), |v| v.as_bytes());
        ping::stored_header(raw, max)
    };
    let job = PingJob {
        target,
        action,
        method: ping::truncate_chars(method.as_str(), MAX_METHOD_CHARS).to_string(),
        body: body.slice(..body.len().min(config.ping_body_limit)),
        rid,
        remote_addr: Some(
            config
                .trusted_proxies
                .client_ip(peer.ip(), header_str("x-forwarded-for"))
                .to_string(),
        ),
        scheme: config
            .trusted_proxies
            .scheme(peer.ip(), header_str("x-forwarded-proto"))
            .to_string(),
        ua: header_text("user-agent", "", MAX_USER_AGENT_CHARS),
        now,
    };
    // The writer bounds each of its steps; this bounds the wait in its queue as well.
    let wait = std::time::Duration::from_secs(config.db_timeout);
    let recorded = match tokio::time::timeout(wait, app.pings.record(job)).await {
        Ok(recorded) => recorded,
        Err(_) => Err(StoreError::Unavailable(
            format!("the ping was not written within {} s", config.db_timeout).into(),
        )),
    };
    match recorded {
        Ok(Recorded::Stored {
            created_check,
            alert_after,
            queued,
            ..
        }) => {
            if let Some(deadline) = alert_after {
                app.scheduler_wake.deadline_set(deadline);
            }
            if queued > 0 {
                app.outbox_wake.notify_one();
            }
            if created_check {
                reply(StatusCode::CREATED, "Created", config)
            } else {
                reply(StatusCode::OK, "OK", config)
            }
        }
        Ok(Recorded::NotFound) => reply(StatusCode::NOT_FOUND, "not found", config),
        Ok(Recorded::AmbiguousSlug) => reply(StatusCode::CONFLICT, "ambiguous slug", config),
        Ok(Recorded::RateLimited) => {
            let mut response = reply(
                StatusCode::TOO_MANY_REQUESTS,
                "too many pings to this check (more than 10 a second); this one changed nothing and was not stored",
                config,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Ok(Recorded::CreationRateLimited) => reply(
            StatusCode::TOO_MANY_REQUESTS,
            "too many checks created in this project this minute; try again in a minute",
            config,
        ),
        Ok(Recorded::BadChannels(message)) => reply_owned(StatusCode::BAD_REQUEST, message, config),
        Err(e) => storage_failure(e, config),
    }
}

async fn exists(app: &AppState, target: &Target) -> Result<bool, StoreError> {
    match target {
        Target::Uuid(uuid) => match uuid.parse() {
            Ok(uuid) => Ok(checks::find_by_uuid(&app.db, &uuid).await?.is_some()),
            Err(_) => Ok(false),
        },
        Target::Slug { ping_key, slug, .. } => {
            checks::exists_by_slug(&app.db, ping_key, slug).await
        }
    }
}

fn storage_failure(e: StoreError, config: &Config) -> Response {
    tracing::error!(error = %e, "could not record ping");
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        "ping not recorded: storage unavailable, retry later",
        config,
    )
}

fn reply(status: StatusCode, body: &'static str, config: &Config) -> Response {
    reply_owned(status, body.to_string(), config)
}

fn reply_owned(status: StatusCode, body: String, config: &Config) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, no-cache, no-store, must-revalidate, private"),
    );
    h.insert("ping-body-limit", HeaderValue::from(config.ping_body_limit));
    response
}

enum RidParam {
    Absent,
    Valid(uuid::Uuid),
    Invalid,
}

struct Query {
    rid: RidParam,
    create: bool,
    /// Settings for a check that `create=1` provisions: timeout, grace, schedule, tz, channels.
    settings: Map<String, Value>,
}

impl Query {
    /// Reads `rid`, `create` and the settings of an auto-created check; other
    /// parameters are ignored.
    fn parse(raw: &str) -> Query {
        let mut q = Query {
            rid: RidParam::Absent,
            create: false,
            settings: Map::new(),
        };
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "rid" => {
                    q.rid = match ping::parse_rid(&value) {
                        Some(rid) => RidParam::Valid(rid),
                        None => RidParam::Invalid,
                    }
                }
                "create" => q.create = value == "1",
                // Numbers stay strings when they are not numbers, so validation names them.
                "timeout" | "grace" => {
                    let v = value
                        .parse::<i64>()
                        .map_or_else(|_| Value::String(value.to_string()), Value::from);
                    q.settings.insert(key.to_string(), v);
                }
                "schedule" | "tz" | "channels" => {
                    q.settings
                        .insert(key.to_string(), Value::String(value.to_string()));
                }
                _ => {}
            }
        }
        q
    }

    /// With `create=1`: how to set up the check if it does not exist yet, validated
    /// with the Management API's rules and messages (the slug, which is also the name,
    /// too). All channels unless `channels` says.
    fn auto_create(&self, slug: &str, min_timeout: i64) -> Result<Option<AutoCreate>, String> {
        if !self.create {
            return Ok(None);
        }
        let mut settings = self.settings.clone();
        settings.insert("slug".into(), Value::String(slug.to_string()));
        let update = check_update::parse(&settings, min_timeout).map_err(|e| e.to_string())?;
        let mut config = CheckConfig::default();
        update.apply(&mut config, 3);
        let channels = update.channels.unwrap_or_else(|| "*".to_string());
        Ok(Some(AutoCreate { config, channels }))
    }
}
