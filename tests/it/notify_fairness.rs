//! Fair delivery: a tenant whose webhook hangs, or whose check flaps, cannot delay
//! another tenant's alerts or flood its own channels.

use crate::helpers::receiver::{Answer, Receiver};
use crate::helpers::smtp::{SmtpSink, mails_to};
use crate::helpers::{Backend, TestApp};
use overdue::domain::fairness::Limits;
use overdue::jobs::notifier::Notifier;
use overdue::store::checks::Check;
use overdue::store::outbox;
use serde_json::json;
use std::time::{Duration, Instant};

/// Polls until `done` holds; fails the test if it does not within `limit` (a guard
/// against hanging, not a measurement).
async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn fail(app: &TestApp, check: &Check) {
    assert_eq!(
        app.get(&format!("/ping/{}/fail", check.uuid))
            .await
            .status(),
        200
    );
}

async fn succeed(app: &TestApp, check: &Check) {
    assert_eq!(
        app.get(&format!("/ping/{}", check.uuid)).await.status(),
        200
    );
}

/// The state and attempt count of each of the check's notifications, oldest first.
async fn log_of(app: &TestApp, check: &Check) -> Vec<(String, usize)> {
    let (rows, attempts) = outbox::for_check(app.db(), check.id, 100).await.unwrap();
    rows.iter()
        .rev()
        .map(|n| {
            let tries = attempts
                .iter()
                .filter(|a| a.notification_id == n.id)
                .count();
            (n.state.clone(), tries)
        })
        .collect()
}

async fn a_hanging_webhook_does_not_delay_another_projects_alert(backend: Backend) {
    // arrange: a noisy project with 60 checks down on one webhook that never answers in
    // time, queued before a quiet project's single alert
    let app = TestApp::spawn_with(backend, |c| c.notify_timeout = 30).await;
    let hung = Receiver::start().await;
    hung.always(Answer::slow(Duration::from_secs(120)));
    let noisy = app.project().await;
    let hook = app
        .add_channel(
            &noisy,
            "webhook",
            "hung",
            json!({"url_down": hung.url("/down")}),
        )
        .await;
    let mut noisy_checks = Vec::new();
    for i in 0..60 {
        let check = app.named_check(&noisy, &format!("noisy {i}")).await;
        app.assign(&check, &hook).await;
        fail(&app, &check).await;
        noisy_checks.push(check);
    }
    app.advance(1);
    let quiet_receiver = Receiver::start().await;
    let quiet = app.project().await;
    let payments = app.named_check(&quiet, "payments").await;
    let ops = app
        .add_channel(
            &quiet,
            "webhook",
            "ops",
            json!({"url_down": quiet_receiver.url("/down")}),
        )
        .await;
    app.assign(&payments, &ops).await;
    fail(&app, &payments).await;

    // act: the delivery workers run in the background
    let notifier = Notifier::new(&app.state).unwrap();
    let delivering = tokio::spawn(async move { notifier.tick().await });
    wait_for(
        "the quiet project's alert to be sent",
        Duration::from_secs(20),
        async || log_of(&app, &payments).await == [("sent".to_string(), 1)],
    )
    .await;

    // assert: it went out while the noisy sends were still in flight, and the hung
    // channel never had more than its share of sends open
    assert_eq!(quiet_receiver.count(), 1);
    for check in &noisy_checks {
        assert_eq!(
            log_of(&app, check).await,
            [("pending".to_string(), 0)],
            "no noisy send has finished yet"
        );
    }
    assert!(
        hung.count() <= Limits::DEFAULT.per_channel,
        "{} requests open at once to one channel",
        hung.count()
    );

    // The worker goes away mid-send; once the webhook answers again and the leases run
    // out, every noisy alert is delivered.
    delivering.abort();
    let _ = delivering.await;
    hung.always(Answer::status(200));
    app.advance(41);
    assert_eq!(app.deliver().await.sent, 60);
    for check in &noisy_checks {
        let log = log_of(&app, check).await;
        assert_eq!(log.len(), 1, "one notification per check");
        assert_eq!(log[0].0, "sent");
    }
}

async fn a_flapping_check_sends_a_bounded_number_of_notifications_ending_in_its_final_state(
    backend: Backend,
) {
    // arrange: a check with a webhook and an email channel
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app = TestApp::spawn_with(backend, |c| c.smtp_url = smtp).await;
    let receiver = Receiver::start().await;
    let project = app.project().await;
    let check = app.named_check(&project, "Backups").await;
    let hook = app
        .add_channel(
            &project,
            "webhook",
            "hook",
            json!({"url_down": receiver.url("/down"), "url_up": receiver.url("/up")}),
        )
        .await;
    app.assign(&check, &hook).await;
    let mailbox = crate::helpers::unique_address("ops");
    let email = app
        .add_channel(&project, "email", "ops", json!({"address": mailbox}))
        .await;
    app.assign(&check, &email).await;

    // act: 41 status changes a second apart, the delivery workers running between them,
    // ending down; then the check stays down
    for i in 0..41 {
        if i % 2 == 0 {
            fail(&app, &check).await;
        } else {
            succeed(&app, &check).await;
        }
        app.deliver().await;
        app.advance(1);
    }
    assert_eq!(app.flips(&check).await.len(), 41);
    app.advance(180);
    app.deliver().await;

    // assert: the first two changes went out as they happened; the rest gathered into
    // one message that tells the final state and that the check is flapping
    let uris: Vec<String> = receiver.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["/down", "/up", "/down"]);
    let mails = sink.mails();
    let mails = mails_to(&mails, &mailbox);
    assert_eq!(mails.len(), 3);
    let last = mails[2].data.replace("=\r\n", "");
    assert!(
        last.contains("Backups is DOWN (flapping: 41 changes in the last 2 minutes)"),
        "{last}"
    );
    assert!(
        mails[0].data.contains("Backups is DOWN"),
        "{}",
        mails[0].data
    );
    assert!(!mails[0].data.contains("flapping"), "{}", mails[0].data);
}

async fn a_change_while_its_channel_has_a_notification_waiting_replaces_it(backend: Backend) {
    // arrange
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::start().await;
    let project = app.project().await;
    let check = app.named_check(&project, "api").await;
    let hook = app
        .add_channel(
            &project,
            "webhook",
            "hook",
            json!({"url_down": receiver.url("/down"), "url_up": receiver.url("/up")}),
        )
        .await;
    app.assign(&check, &hook).await;

    // act: down, and up again ten minutes later, before anything was delivered
    fail(&app, &check).await;
    app.advance(600);
    succeed(&app, &check).await;

    // assert: one notification waits, telling the latest state
    let queued = app.outbox(&check).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].status, "up");
    assert_eq!(app.deliver().await.sent, 1);
    let uris: Vec<String> = receiver.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["/up"]);
}

async fn a_change_during_a_send_is_told_after_it(backend: Backend) {
    // arrange: the first request is answered slowly
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::start().await;
    receiver.then([Answer::slow(Duration::from_millis(500))]);
    let project = app.project().await;
    let check = app.named_check(&project, "api").await;
    let hook = app
        .add_channel(
            &project,
            "webhook",
            "hook",
            json!({"url_down": receiver.url("/down"), "url_up": receiver.url("/up")}),
        )
        .await;
    app.assign(&check, &hook).await;
    fail(&app, &check).await;

    // act: the check comes up while its down alert is being sent
    let notifier = Notifier::new(&app.state).unwrap();
    let delivering = tokio::spawn(async move { notifier.tick().await });
    wait_for(
        "the down alert to be on its way",
        Duration::from_secs(20),
        async || receiver.count() == 1,
    )
    .await;
    app.advance(600);
    succeed(&app, &check).await;
    let first = delivering.await.unwrap().unwrap();
    let second = app.deliver().await;

    // assert: the alert in flight was not rewritten; the recovery followed it
    assert_eq!(first.sent + second.sent, 2);
    let uris: Vec<String> = receiver.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["/down", "/up"]);
}

async fn a_missed_deadline_rewrites_a_recovery_still_waiting(backend: Backend) {
    // arrange: a check (period 1 day, grace 1 hour) whose down alert went out, then came
    // up; the recovery is still waiting when it misses its next deadline
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::start().await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly").await;
    let hook = app
        .add_channel(
            &project,
            "webhook",
            "hook",
            json!({"url_down": receiver.url("/down"), "url_up": receiver.url("/up")}),
        )
        .await;
    app.assign(&check, &hook).await;
    fail(&app, &check).await;
    assert_eq!(app.deliver().await.sent, 1);
    app.advance(60);
    succeed(&app, &check).await;

    // act: the scheduler moves it down
    app.advance(86_400 + 3_600 + 1);
    assert_eq!(app.tick().await.flipped, 1);

    // assert: the waiting notification now tells the latest state, and goes out once
    let statuses: Vec<String> = app
        .outbox(&check)
        .await
        .into_iter()
        .map(|n| n.status)
        .collect();
    assert_eq!(statuses, ["down", "down"]);
    assert_eq!(app.deliver().await.sent, 1);
    let uris: Vec<String> = receiver.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["/down", "/down"]);
}

on_both_backends!(fn(Backend):
    a_hanging_webhook_does_not_delay_another_projects_alert,
    a_flapping_check_sends_a_bounded_number_of_notifications_ending_in_its_final_state,
    a_change_while_its_channel_has_a_notification_waiting_replaces_it,
    a_change_during_a_send_is_told_after_it,
    a_missed_deadline_rewrites_a_recovery_still_waiting,
);
