//! The noisy-neighbour benchmark's parts: a webhook receiver that logs when each request
//! arrived, a check that flaps as fast as pings go, and one alert timed from its ping to
//! its arrival at the receiver.

use anyhow::{Context, bail};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn unix_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Listens on a loopback port, answers every request 200 at once, and appends
/// `<unix ms> <path> <body>` to `log` for each (bodies up to 200 bytes, on one line).
/// Prints the port, then serves for `seconds`.
pub async fn receiver(log: PathBuf, seconds: u64) -> anyhow::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("opening {}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let app = axum::Router::new()
        .fallback(record)
        .with_state(file.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let serve = axum::serve(listener, app);
    // Past `seconds` the timeout ends it; before, only a failure does.
    if let Ok(result) = tokio::time::timeout(Duration::from_secs(seconds), serve).await {
        result.context("the receiver stopped")?;
    }
    Ok(())
}

async fn record(
    State(file): State<Arc<Mutex<std::fs::File>>>,
    uri: Uri,
    body: Bytes,
) -> &'static str {
    let at = unix_ms();
    let text: String = String::from_utf8_lossy(&body[..body.len().min(200)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if let Ok(mut f) = file.lock() {
        // A lost line shows up as a missing alert; nothing to do about it here.
        let _ = writeln!(f, "{at} {} {text}", uri.path());
    }
    ""
}

fn client() -> anyhow::Result<reqwest::Client> {
    overdue::notify::net::install_crypto_provider();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// Pings `<base>/ping/<uuid>/fail` and `<base>/ping/<uuid>` by turns, one at a time, for
/// `seconds` (at most `max_pings`); prints how many were sent and answered 200.
pub async fn flap(base: &str, uuid: &str, seconds: u64, max_pings: u64) -> anyhow::Result<()> {
    let http = client()?;
    let (down, up) = (
        format!("{base}/ping/{uuid}/fail"),
        format!("{base}/ping/{uuid}"),
    );
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let (mut sent, mut ok) = (0u64, 0u64);
    while Instant::now() < until && sent < max_pings {
        let url = if sent % 2 == 0 { &down } else { &up };
        sent += 1;
        if http
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ok += 1;
        }
    }
    println!(
        "{}",
        json!({"pings": sent, "ok": ok, "seconds": started.elapsed().as_secs_f64()})
    );
    Ok(())
}

/// The arrival time of the first line of `log` at or after `since` that contains
/// `expect`.
fn arrival(log: &Path, since: i64, expect: &str) -> Option<i64> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().find_map(|line| {
        let (at, rest) = line.split_once(' ')?;
        let at: i64 = at.parse().ok()?;
        (at >= since && rest.contains(expect)).then_some(at)
    })
}

/// Sends the fail ping at `ping_url`, then waits until the receiver's `log` shows a
/// request containing `expect`; prints the time between the two.
pub async fn alert(ping_url: &str, log: &Path, expect: &str, timeout_s: u64) -> anyhow::Result<()> {
    let http = client()?;
    let t0 = unix_ms();
    let status = http.get(ping_url).send().await?.status();
    if !status.is_success() {
        bail!("the ping answered {status}");
    }
    let give_up = Instant::now() + Duration::from_secs(timeout_s);
    loop {
        if let Some(at) = arrival(log, t0, expect) {
            println!("{}", json!({"latency_ms": at - t0}));
            return Ok(());
        }
        if Instant::now() >= give_up {
            bail!("no request with {expect:?} reached the receiver within {timeout_s} s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
