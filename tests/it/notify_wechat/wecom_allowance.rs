//! WeCom's allowance of twenty messages a minute per robot: shared by every process
//! through the database, with what waits sent as one digest that stays within the
//! robot's 4096 bytes.

use super::{latest, markdown_of, ping, robot_url, wecom_ok};
use crate::helpers::receiver::Receiver;
use crate::helpers::{Backend, TestApp};
use overdue::jobs::notifier::Notifier;
use overdue::store::Db;
use serde_json::json;

on_both_backends!(
    fn(Backend):
    wecom_the_robot_allowance_is_twenty_a_minute_then_a_digest,
    wecom_a_big_digest_stays_within_4096_bytes,
    wecom_a_truncated_digest_still_mentions_people,
);

async fn wecom_the_robot_allowance_is_twenty_a_minute_then_a_digest(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    let mut checks = Vec::new();
    for i in 0..25 {
        let check = app.named_check(&project, &format!("job {i:02}")).await;
        app.assign(&check, &robot).await;
        checks.push(check);
    }

    // 10:30:00 to 10:30:48: one check goes down every two seconds, each delivered alone.
    for check in &checks {
        ping(&app, check, "/fail", "").await;
        app.deliver().await;
        app.advance(2);
    }
    assert_eq!(receiver.count(), 20, "at most 20 messages in a minute");
    for r in receiver.requests() {
        assert!(
            !markdown_of(&r).contains("checks changed status"),
            "single alerts while the allowance lasts"
        );
    }
    let mut pending = 0;
    for check in &checks {
        if latest(&app, check).await.state == "pending" {
            pending += 1;
        }
    }
    assert_eq!(pending, 5, "the rest wait for the next minute");

    // Within the same minute, nothing more goes out.
    assert_eq!(app.deliver().await.sent, 0);
    assert_eq!(receiver.count(), 20);

    app.advance(60);
    let report = app.deliver().await;
    assert_eq!(report.sent, 5, "{report:?}");
    let requests = receiver.requests();
    assert_eq!(
        requests.len(),
        21,
        "the five that waited go out as one message"
    );
    let digest = markdown_of(&requests[20]);
    assert!(
        digest.starts_with("**5 checks changed status**"),
        "{digest}"
    );
    for i in 20..25 {
        assert!(digest.contains(&format!("job {i:02} is DOWN")), "{digest}");
    }
    for check in &checks {
        let n = latest(&app, check).await;
        assert_eq!(n.state, "sent", "{n:?}");
        assert_eq!(n.attempts, 1, "waiting for the allowance is not an attempt");
    }
}

/// Two processes (two connection pools on one PostgreSQL database) share the robot's
/// allowance through the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_two_processes_share_the_robot_allowance_on_postgres() {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(Backend::Postgres).await;
    let other_db = Db::connect(&app.test_db.url, 4).await.expect("second pool");
    let other_state = app.state.with_db(other_db).unwrap();
    let other = Notifier::new(&other_state).expect("second notifier");

    let project = app.project().await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    let mut checks = Vec::new();
    for i in 0..25 {
        let check = app.named_check(&project, &format!("job {i:02}")).await;
        app.assign(&check, &robot).await;
        checks.push(check);
    }
    for (i, check) in checks.iter().enumerate() {
        ping(&app, check, "/fail", "").await;
        if i % 2 == 0 {
            app.deliver().await;
        } else {
            other.tick().await.unwrap();
        }
        app.advance(2);
    }
    assert_eq!(receiver.count(), 20, "the two processes shared 20 sends");
    let crate::helpers::RawPool::Postgres(pool) = app.raw().await else {
        unreachable!()
    };
    let windows: Vec<(i64,)> = sqlx::query_as("select count from rate_windows")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(windows, vec![(25,)], "one window row, counted by both");

    app.advance(60);
    let report = other.tick().await.unwrap();
    assert_eq!(report.sent, 5, "{report:?}");
    assert_eq!(receiver.count(), 21);
}

async fn wecom_a_big_digest_stays_within_4096_bytes(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver), "mentions": ["zhangsan"]}),
        )
        .await;
    let mut checks = Vec::new();
    for i in 0..30 {
        // Chinese is three bytes a character in UTF-8.
        let name = format!("数据库夜间备份任务{i:02}{}", "检查".repeat(20));
        let check = app.named_check(&project, &name).await;
        app.assign(&check, &robot).await;
        checks.push(check);
    }
    for check in &checks {
        ping(&app, check, "/fail", "").await;
    }
    let report = app.deliver().await;
    assert_eq!(report.sent, 30, "{report:?}");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "one digest for the burst");
    let content = markdown_of(&requests[0]);
    assert!(content.len() <= 4096, "{} bytes", content.len());
    assert!(
        content.starts_with("**30 checks changed status**"),
        "{content}"
    );
}

async fn wecom_a_truncated_digest_still_mentions_people(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver), "mentions": ["zhangsan"]}),
        )
        .await;
    let mut checks = Vec::new();
    for i in 0..30 {
        let name = format!("数据库夜间备份任务{i:02}{}", "检查".repeat(20));
        let check = app.named_check(&project, &name).await;
        app.assign(&check, &robot).await;
        checks.push(check);
    }
    for check in &checks {
        ping(&app, check, "/fail", "").await;
    }
    assert_eq!(app.deliver().await.sent, 30);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let content = markdown_of(&requests[0]);
    assert!(content.len() <= 4096, "{} bytes", content.len());
    // Thirty checks down at once is when people most need to be called.
    assert!(
        content.contains("<@zhangsan>"),
        "the mention was cut off with the rest of the digest; it ends: {:?}",
        content
            .chars()
            .skip(content.chars().count().saturating_sub(60))
            .collect::<String>()
    );
}
