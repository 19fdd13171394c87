use super::time::iso_full;
use crate::domain::records::LoggedPing;
use serde::Serialize;
use uuid::Uuid;

/// A ping in a check's log.
#[derive(Debug, Clone, Serialize)]
pub struct PingView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub date: String,
    pub n: i64,
    pub scheme: String,
    pub remote_addr: Option<String>,
    pub method: String,
    pub ua: String,
    pub rid: Option<String>,
    /// Seconds, rounded to hundredths, when the ping completed a timed run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Where to read the body, when the ping has one.
    pub body_url: Option<String>,
    #[serde(rename = "exitstatus", skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i64>,
}

impl PingView {
    /// `api_base` is the API root the links point into (`…/api/v3`).
    pub fn new(ping: &LoggedPing, check_uuid: &Uuid, api_base: &str) -> Self {
        PingView {
            kind: ping.kind.as_str(),
            date: iso_full(ping.created),
            n: ping.n,
            scheme: ping.scheme.clone(),
            remote_addr: ping.remote_addr.clone(),
            method: ping.method.clone(),
            ua: ping.ua.clone(),
            rid: ping.rid.map(|r| r.to_string()),
            #[allow(clippy::cast_precision_loss)] // durations are far below 2^52 ms
            duration: ping.duration_ms.map(|ms| (ms as f64 / 10.0).round() / 100.0),
            body_url: ping.body.as_ref().filter(|b| !b.is_empty()).map(|_| {
                format!("{api_base}/checks/{check_uuid}/pings/{}/body", ping.n)
            }),
            exit_status: ping.exit_status,
        }
    }
}
