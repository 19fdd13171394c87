//! Delivery through the outbox, with webhooks as the channel: at-least-once across
//! crashes, once per channel across processes, retries with backoff, permanent errors.

use crate::helpers::TestApp;
use crate::helpers::receiver::{Answer, Receiver};
use overdue::domain::channel_config::ChannelKind;
use overdue::store::channels::{self, ChannelFields};
use overdue::store::checks::{Check, CheckConfig};
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};

/// A webhook channel to `receiver`, assigned to `check`; returns the channel uuid.
async fn webhook(
    app: &TestApp,
    p: &CreatedProject,
    check: &Check,
    receiver: &Receiver,
    extra: Value,
) -> String {
    let mut config = json!({
        "url_down": receiver.url("/down?name=$NAME&code=$CODE"),
        "method_down": "POST",
        "body_down": "{\"status\": \"$STATUS\", \"check\": $JSON, \"body\": $BODY_JSON}",
        "headers_down": {"Content-Type": "application/json"},
        "url_up": receiver.url("/up/$STATUS"),
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    let fields = ChannelFields {
        kind: ChannelKind::Webhook,
        name: "hook".into(),
        config: config.to_string(),
        notify_up: true,
        notify_down: true,
    };
    let channel = channels::create(app.db(), p.id, &fields, app.now())
        .await
        .unwrap();
    channels::assign(app.db(), check.id, channel.id)
        .await
        .unwrap();
    channel.uuid.to_string()
}

async fn notifications(app: &TestApp, p: &CreatedProject, check: &Check) -> Vec<Value> {
    let r = app
        .http
        .get(app.url(&format!("/api/v3/checks/{}/notifications/", check.uuid)))
        .header("X-Api-Key", &p.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["notifications"]
        .as_array()
        .unwrap()
        .clone()
}

async fn named_check(app: &TestApp, p: &CreatedProject, name: &str) -> Check {
    app.check(
        p,
        CheckConfig {
            name: name.into(),
            tags: "prod db".into(),
            ..CheckConfig::default()
        },
    )
    .await
}

on_both_backends! {
    async fn a_flip_down_reaches_the_webhook_once_with_placeholders_filled(app) {
        let receiver = Receiver::start().await;
        let p = app.project().await;
        let check = named_check(&app, &p, "nightly db").await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.post(&format!("/ping/{}/fail", check.uuid), "pg_dump: connection refused").await;

        let report = app.deliver().await;
        assert_eq!(report.sent, 1);
        let requests = receiver.requests();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri, format!("/down?name=nightly%20db&code={}", check.uuid));
        let body = r.json();
        assert_eq!(body["status"], "down");
        assert_eq!(body["check"]["name"], "nightly db");
        assert_eq!(body["check"]["tags"], "prod db");
        assert_eq!(body["body"], "pg_dump: connection refused");
        assert_eq!(r.header("content-type").as_deref(), Some("application/json"));

        assert_eq!(app.deliver().await.sent, 0, "delivered once");
        let log = notifications(&app, &p, &check).await;
        assert_eq!((log[0]["state"].clone(), log[0]["attempts"].clone(), log[0]["status"].clone()), (json!("sent"), json!(1), json!("down")));
        assert_eq!(log[0]["log"][0]["ok"], true);
    }

    async fn recovery_goes_to_the_up_url(app) {
        let receiver = Receiver::start().await;
        let p = app.project().await;
        let check = named_check(&app, &p, "api").await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        assert_eq!(app.deliver().await.sent, 1);
        app.advance(600);
        app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(app.deliver().await.sent, 1);
        let uris: Vec<String> = receiver.requests().iter().map(|r| r.uri.clone()).collect();
        assert!(uris.contains(&"/up/up".to_string()), "{uris:?}");
        assert_eq!(receiver.requests().iter().find(|r| r.uri == "/up/up").unwrap().method, "GET");
    }

    async fn a_failing_receiver_is_retried_with_backoff_until_it_answers(app) {
        let receiver = Receiver::start().await;
        receiver.then([Answer::status(500), Answer::status(503)]);
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;

        assert_eq!(app.deliver().await.retried, 1);
        assert_eq!(app.deliver().await.sent + app.deliver().await.retried, 0, "not due again yet");
        let log = notifications(&app, &p, &check).await;
        assert_eq!((log[0]["state"].clone(), log[0]["last_error"].clone()), (json!("pending"), json!("Received status code 500")));

        app.advance(13); // first wait: 10 s ± 25%
        assert_eq!(app.deliver().await.retried, 1);
        app.advance(25); // second wait: 20 s ± 25%
        assert_eq!(app.deliver().await.sent, 1);
        assert_eq!(receiver.count(), 3);
        let log = notifications(&app, &p, &check).await;
        assert_eq!((log[0]["state"].clone(), log[0]["attempts"].clone()), (json!("sent"), json!(3)));
        let oks: Vec<bool> = log[0]["log"].as_array().unwrap().iter().map(|a| a["ok"].as_bool().unwrap()).collect();
        assert_eq!(oks, [false, false, true]);
    }

    async fn a_client_error_is_permanent_disables_the_channel_and_stops_queueing(app) {
        let receiver = Receiver::start().await;
        receiver.always(Answer::status(404));
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        let uuid = webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        assert_eq!(app.deliver().await.failed, 1);
        let channel = channels::find_by_uuid(app.db(), &uuid.parse().unwrap()).await.unwrap().unwrap();
        assert!(channel.disabled);
        assert_eq!(channel.last_error.as_deref(), Some("Received status code 404"));
        app.advance(3600);
        app.deliver().await;
        assert_eq!(receiver.count(), 1, "never retried");
        app.get(&format!("/ping/{}", check.uuid)).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        assert_eq!(notifications(&app, &p, &check).await.len(), 1, "a disabled channel gets nothing new");
    }

    async fn a_worker_that_dies_mid_send_leaves_the_alert_to_another(app) {
        let receiver = Receiver::start().await;
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        // A worker claims the row and dies before sending: its lease stays behind.
        let due = overdue::store::outbox::candidates(app.db(), app.now(), &overdue::domain::fairness::Limits::DEFAULT, (&[], &[])).await.unwrap();
        let ids: Vec<i64> = due.iter().map(|r| r.id).collect();
        let claimed = overdue::store::outbox::lease(app.db(), &ids, app.now(), app.now() + chrono::TimeDelta::seconds(50)).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(app.deliver().await.sent, 0, "leased to the dead worker");
        app.advance(51);
        assert_eq!(app.deliver().await.sent, 1, "the lease expired and the alert went out");
        assert_eq!(receiver.count(), 1);
    }

    async fn webhooks_can_be_signed(app) {
        let receiver = Receiver::start().await;
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        webhook(&app, &p, &check, &receiver, json!({"secret": "whsec-test"})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        app.deliver().await;
        let r = &receiver.requests()[0];
        let header = r.header("x-overdue-signature").expect("signature header");
        let (t, v1) = header.split_once(',').unwrap();
        let t: i64 = t.strip_prefix("t=").unwrap().parse().unwrap();
        assert_eq!(overdue::notify::webhook::signature("whsec-test", t, &r.body), header, "verifies over t and the body");
        assert!(v1.starts_with("v1="));
    }

    async fn notifications_to_private_addresses_are_refused_unless_allowed(app) {
        let receiver = Receiver::start().await;
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        let uuid = webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        let mut config = (*app.state.config).clone();
        config.allow_private_targets = false;
        let guarded = app.state.with_config(config).unwrap();
        let report = overdue::jobs::notifier::Notifier::new(&guarded).unwrap().tick().await.unwrap();
        assert_eq!(report.failed, 1);
        assert_eq!(receiver.count(), 0, "no request reached the host");
        let channel = channels::find_by_uuid(app.db(), &uuid.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(channel.last_error.as_deref(), Some("Connections to private IP addresses are not allowed"));
    }

    async fn a_slow_receiver_times_out_and_is_retried(app) {
        let receiver = Receiver::start().await;
        receiver.then([Answer::slow(std::time::Duration::from_secs(3))]);
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        let mut config = (*app.state.config).clone();
        config.notify_timeout = 1;
        let impatient = app.state.with_config(config).unwrap();
        let report = overdue::jobs::notifier::Notifier::new(&impatient).unwrap().tick().await.unwrap();
        assert_eq!(report.retried, 1);
        let log = notifications(&app, &p, &check).await;
        assert_eq!(log[0]["last_error"], "Timed out waiting for a response");
        // The retry, 10 s ± 25% later, goes through.
        app.advance(13);
        assert_eq!(app.deliver().await.sent, 1);
    }

    async fn a_test_notification_goes_out_now_and_reports_failure(app) {
        let receiver = Receiver::start().await;
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        let uuid = webhook(&app, &p, &check, &receiver, json!({})).await;
        let r = app.http.post(app.url(&format!("/api/v3/channels/{uuid}/test"))).header("X-Api-Key", &p.api_key).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()), (200, json!({"ok": true})));
        assert_eq!(receiver.count(), 1);
        assert!(receiver.requests()[0].json()["check"]["name"] == "Test check");

        receiver.always(Answer::status(500));
        let r = app.http.post(app.url(&format!("/api/v3/channels/{uuid}/test"))).header("X-Api-Key", &p.api_key).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()), (502, json!({"error": "Received status code 500"})));
        assert_eq!(receiver.count(), 2, "a test is not retried");
        assert!(!channels::find_by_uuid(app.db(), &uuid.parse().unwrap()).await.unwrap().unwrap().disabled);
    }
}

/// Three delivery processes (separate connection pools) over one PostgreSQL database
/// drain the same outbox: every alert goes out exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_deliver_each_alert_exactly_once() {
    let app = TestApp::spawn(crate::helpers::Backend::Postgres).await;
    let receiver = Receiver::start().await;
    let p = app.project().await;
    let n = 120;
    for i in 0..n {
        let check = named_check(&app, &p, &format!("job {i}")).await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
    }
    let mut workers = Vec::new();
    for _ in 0..3 {
        let db = overdue::store::Db::connect(&app.test_db.url, 4)
            .await
            .unwrap();
        let state = app.state.with_db(db).unwrap();
        workers.push(overdue::jobs::notifier::Notifier::new(&state).unwrap());
    }
    let (a, b, c) = tokio::join!(workers[0].tick(), workers[1].tick(), workers[2].tick());
    let total = a.unwrap().sent + b.unwrap().sent + c.unwrap().sent;
    assert_eq!(total, n);
    assert_eq!(receiver.count(), n, "each alert exactly once");
    let mut names: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.json()["check"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n);
}

/// With a generous age limit, the attempt count is what stops the retries; with a short
/// one, the age is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_recovers_is_given_up() {
    for backend in [
        crate::helpers::Backend::Sqlite,
        crate::helpers::Backend::Postgres,
    ] {
        let app = TestApp::spawn_with(backend, |c| c.notify_max_age = 86_400).await;
        let receiver = Receiver::start().await;
        receiver.always(Answer::status(502));
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        let uuid = webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        for _ in 0..12 {
            app.deliver().await;
            app.advance(1000);
        }
        assert_eq!(receiver.count(), 8, "the configured number of attempts");
        let log = notifications(&app, &p, &check).await;
        assert_eq!(log[0]["state"], "failed");
        assert!(
            log[0]["last_error"]
                .as_str()
                .unwrap()
                .starts_with("gave up after 8 attempts"),
            "{}",
            log[0]["last_error"]
        );
        assert!(
            !channels::find_by_uuid(app.db(), &uuid.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .disabled,
            "transient errors never disable"
        );

        let app = TestApp::spawn_with(backend, |c| c.notify_max_age = 60).await;
        let receiver = Receiver::start().await;
        receiver.always(Answer::status(502));
        let p = app.project().await;
        let check = named_check(&app, &p, "job").await;
        webhook(&app, &p, &check, &receiver, json!({})).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        for _ in 0..12 {
            app.deliver().await;
            app.advance(30);
        }
        assert!(
            receiver.count() < 8,
            "stopped by age after {} attempts",
            receiver.count()
        );
        assert_eq!(notifications(&app, &p, &check).await[0]["state"], "failed");
    }
}

/// The harness fails a test that ends with a notification neither sent nor given up,
/// unless the test says it expects that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "left queued and undelivered")]
async fn a_test_that_leaves_a_notification_queued_fails() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let p = app.project().await;
    let check = named_check(&app, &p, "job").await;
    let receiver = Receiver::start().await;
    webhook(&app, &p, &check, &receiver, json!({})).await;
    app.get(&format!("/ping/{}/fail", check.uuid)).await;
    assert_eq!(app.outbox(&check).await.len(), 1);
}
