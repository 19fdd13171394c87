//! A real `overdue` process killed while it sends an alert: after a restart the alert
//! still goes out. This test runs the binary, so it waits on the real clock (the claim's
//! lease, 15 s here) rather than a test clock.

use crate::helpers::receiver::{Answer, Receiver};
use overdue::domain::channel_config::ChannelKind;
use overdue::domain::check_config::CheckConfig;
use overdue::store::channels::{self, ChannelFields};
use overdue::store::{Db, checks, projects, users};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `overdue serve` on the database; returns the child and its address.
fn serve(url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_overdue"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("OVERDUE_LISTEN", "127.0.0.1:0")
        .env("OVERDUE_ALLOW_PRIVATE_TARGETS", "true")
        .env("OVERDUE_NOTIFY_TIMEOUT", "5")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "overdue=info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the server logs its address").unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, addr)
}

async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_interrupted_by_a_crash_is_sent_after_restart() {
    let dir = std::env::temp_dir().join(format!("overdue-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("overdue.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let now = chrono::Utc::now();
    let user = users::create(&db, "ops@example.com", None, now)
        .await
        .unwrap();
    let project = projects::create(&db, user, "Crash", now).await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    let check = checks::create(
        &mut tx,
        project.id,
        &CheckConfig {
            name: "backup".into(),
            ..CheckConfig::default()
        },
        false,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let receiver = Receiver::start().await;
    // The first delivery hangs (the process dies meanwhile); later ones succeed.
    receiver.then([Answer::slow(Duration::from_secs(30))]);
    let config = serde_json::json!({"url_down": receiver.url("/down")}).to_string();
    let fields = ChannelFields {
        kind: ChannelKind::Webhook,
        name: "hook".into(),
        config,
        notify_up: true,
        notify_down: true,
    };
    let channel = channels::create(&db, project.id, &fields, now)
        .await
        .unwrap();
    channels::assign(&db, check.id, channel.id).await.unwrap();

    let (mut first, addr) = serve(&url);
    overdue::notify::net::install_crypto_provider();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http
        .get(format!("http://{addr}/ping/{}/fail", check.uuid))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for(
        "the first delivery attempt",
        Duration::from_secs(20),
        async || receiver.count() >= 1,
    )
    .await;
    first.kill().unwrap(); // SIGKILL, mid-send
    first.wait().unwrap();

    let (mut second, _) = serve(&url);
    let sent = async || {
        let (rows, _) = overdue::store::outbox::for_check(&db, check.id, 10)
            .await
            .unwrap();
        rows.first().is_some_and(|n| n.state == "sent")
    };
    wait_for(
        "the alert to be sent after the restart",
        Duration::from_secs(60),
        sent,
    )
    .await;
    second.kill().unwrap();
    second.wait().unwrap();

    assert_eq!(
        receiver.count(),
        2,
        "the interrupted attempt, then the delivery"
    );
    let (rows, attempts) = overdue::store::outbox::for_check(&db, check.id, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        attempts.len(),
        1,
        "the killed attempt left no record; the second one did"
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
