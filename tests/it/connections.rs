//! What a client can hold open: partial headers, idle keep-alive connections and slow
//! bodies are closed after their timeouts, connections beyond the cap wait to be
//! accepted, and a stop completes while a request is still half sent.

use crate::helpers::{Backend, TestApp};
use overdue::server::{self, Roles};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any timeout under test; a connection still open then was never closed.
const HANG: Duration = Duration::from_secs(30);

async fn app_with(configure: impl FnOnce(&mut overdue::config::Config)) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, configure).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut received))
        .await
        .expect("the server never closed the connection")
        .ok();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_headers_and_idle_connections_are_closed_after_the_header_timeout() {
    let app = app_with(|c| c.header_timeout = 1).await;

    let mut partial = connect(&app).await;
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: overdue\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut partial).await;
    assert!(!answer.contains("200 OK"), "{answer}");

    let mut idle = connect(&app).await;
    read_until_closed(&mut idle).await;

    // A keep-alive connection is served, then closed once it idles.
    let mut kept = connect(&app).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: overdue\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut kept).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_ends_its_request_and_connection() {
    let app = app_with(|c| c.body_timeout = 1).await;
    let (_, check) = app.one_check().await;
    let mut slow = connect(&app).await;
    let head = format!(
        "POST /ping/{} HTTP/1.1\r\nHost: overdue\r\nContent-Length: 1000\r\n\r\nonly a little",
        check.uuid
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        app.pings(&check).await.is_empty(),
        "a partial body was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = app_with(|c| c.max_connections = 2).await;
    let first = connect(&app).await;
    let second = connect(&app).await;
    // Give the server the moment it needs to take both.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut third = connect(&app).await; // The kernel accepts it; the server does not yet.
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: overdue\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut byte)).await;
    assert!(early.is_err(), "a connection beyond the cap was served");

    drop(first);
    let answer = read_until_closed(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_completes_while_a_request_is_half_sent() {
    let app = app_with(|c| {
        c.header_timeout = 3600;
        c.body_timeout = 3600;
        c.shutdown_timeout = 1;
    })
    .await;
    let mut config = (*app.state.config).clone();
    config.listen = "127.0.0.1:0".parse().unwrap();
    let state = app.state.with_config(config).unwrap();
    let running = server::start(
        state,
        Roles {
            http: true,
            jobs: false,
        },
    )
    .await
    .unwrap();
    let addr = running.addr.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(
        b"POST /api/v3/checks/ HTTP/1.1\r\nHost: overdue\r\nContent-Length: 50\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(HANG, running.shutdown())
        .await
        .expect("the stop waited for a half-sent request");
    read_until_closed(&mut half).await;
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}
