//! A check's history through the API: its pings, ping bodies and flips.

use super::ApiVersion;
use super::auth::{Access, authorize};
use super::checks::find;
use super::error::ApiError;
use crate::domain::limits;
use crate::state::AppState;
use crate::store::{flips, pings};
use crate::views::time::iso_full;
use crate::views::{FlipView, PingView};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

pub async fn list_pings(
    State(app): State<AppState>,
    version: ApiVersion,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    let limit = app.config.ping_log_limit.min(limits::LISTED_PINGS);
    // Pings past the retention limit may not be pruned yet; they are not shown.
    let oldest_kept = row.n_pings - app.config.ping_log_limit;
    let api_base = format!("{}/api/v{}", app.config.site_root, version.0);
    let list: Vec<PingView> = pings::recent(&app.db, row.id, limit)
        .await?
        .iter()
        .filter(|p| p.n > oldest_kept)
        .map(|p| PingView::new(p, &row.uuid, &api_base))
        .collect();
    Ok(Json(json!({ "pings": list })))
}

pub async fn ping_body(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((code, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    let n: i64 = n.parse().map_err(|_| ApiError::NotFound)?;
    if n <= row.n_pings - app.config.ping_log_limit {
        return Err(ApiError::NotFound);
    }
    let body = pings::body(&app.db, row.id, n)
        .await?
        .filter(|b| !b.is_empty())
        .ok_or(ApiError::NotFound)?;
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(response)
}

/// The query of the flips endpoint.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FlipFilter {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub seconds: Option<i64>,
}

/// Reads `start` and `end` (Unix seconds, 0 to 10¹⁰) and `seconds` (0 to a year).
pub fn parse_flip_filter(params: &[(String, String)]) -> Result<FlipFilter, String> {
    let mut filter = FlipFilter::default();
    for (key, value) in params {
        if value.is_empty() {
            continue;
        }
        let number = |max: i64| -> Result<i64, String> {
            match value.trim().parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Ok(n),
                Ok(_) => Err(format!("{key} must be between 0 and {max}")),
                Err(_) => Err(format!("{key} must be a whole number")),
            }
        };
        match key.as_str() {
            "start" => filter.start = DateTime::from_timestamp(number(10_000_000_000)?, 0),
            "end" => filter.end = DateTime::from_timestamp(number(10_000_000_000)?, 0),
            "seconds" => filter.seconds = Some(number(31_536_000)?),
            _ => {}
        }
    }
    Ok(filter)
}

pub async fn list_flips(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Read).await?;
    let row = find(&app, auth, &code, true).await?;
    let filter = parse_flip_filter(&params).map_err(ApiError::BadRequest)?;
    let since = filter
        .seconds
        .map(|s| app.clock.now() - TimeDelta::seconds(s));
    let start = match (filter.start, since) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    // The newest flips in the window, at most `LISTED_FLIPS`: flips are kept for good, so
    // a flapping check's history is only ever read a page at a time (narrow `end`).
    let list: Vec<FlipView> =
        flips::list_between(&app.db, row.id, start, filter.end, limits::LISTED_FLIPS)
            .await?
            .iter()
            .map(FlipView::new)
            .collect();
    Ok(Json(json!({ "flips": list })))
}

/// A check's notifications, newest first, each with every delivery attempt.
pub async fn list_notifications(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let auth = authorize(&app, &headers, None, Access::Write).await?;
    let row = find(&app, auth, &code, false).await?;
    let (rows, attempts) =
        crate::store::outbox::for_check(&app.db, row.id, limits::LISTED_NOTIFICATIONS).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|n| {
            let log: Vec<Value> = attempts
                .iter()
                .filter(|a| a.notification_id == n.id)
                .map(|a| {
                    json!({
                        "started": iso_full(a.started),
                        "duration_ms": a.duration_ms,
                        "ok": a.ok,
                        "error": a.error,
                    })
                })
                .collect();
            json!({
                "channel": n.channel_uuid,
                "status": n.status,
                "created": iso_full(n.created),
                "state": n.state,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "done": n.done_at.map(iso_full),
                "log": log,
            })
        })
        .collect();
    Ok(Json(json!({ "notifications": list })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn flip_filter_reads_bounds_and_refuses_nonsense() {
        let f = parse_flip_filter(&params(&[
            ("start", "100"),
            ("end", "200"),
            ("seconds", "3600"),
        ]))
        .unwrap();
        assert_eq!(f.start, DateTime::from_timestamp(100, 0));
        assert_eq!(f.end, DateTime::from_timestamp(200, 0));
        assert_eq!(f.seconds, Some(3600));
        assert!(parse_flip_filter(&params(&[("seconds", "-1")])).is_err());
        assert!(parse_flip_filter(&params(&[("seconds", "31536001")])).is_err());
        assert!(parse_flip_filter(&params(&[("start", "abc")])).is_err());
        assert!(parse_flip_filter(&params(&[("end", "10000000001")])).is_err());
        assert_eq!(
            parse_flip_filter(&params(&[("start", "")])).unwrap(),
            FlipFilter::default()
        );
    }
}
