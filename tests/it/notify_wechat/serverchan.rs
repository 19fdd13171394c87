//! ServerChan: the SendKey picks the host, title and text go as a form, and a refused
//! key, a rate limit or a broken reply is handled without the key ever showing.

use super::{app_for, latest, ping, unwrapped};
use crate::helpers::receiver::{Answer, Receiver, Request};
use crate::helpers::smtp::{SmtpSink, mails_to};
use crate::helpers::{Backend, TestApp};
use overdue::store::checks::Check;
use overdue::store::outbox;
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};

on_both_backends!(
    fn(Backend):
    serverchan_turbo_key_posts_title_and_desp,
    serverchan_sc3_key_goes_to_the_users_own_host,
    serverchan_a_refused_key_disables_the_channel_and_tells_the_owner,
    serverchan_http_429_is_retried_with_the_24_hour_explanation,
    serverchan_the_sendkey_never_shows_in_errors,
);

fn serverchan_ok() -> Answer {
    Answer::json(json!({"code": 0, "message": "", "data": {"pushid": "1", "readkey": "r"}}))
}

fn form_field(r: &Request, name: &str) -> String {
    r.form()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.text()))
}

/// The check's notifications as the API lists them (raw text and parsed).
async fn notifications_api(
    app: &TestApp,
    project: &CreatedProject,
    check: &Check,
) -> (String, Value) {
    let r = app
        .http
        .get(app.url(&format!("/api/v3/checks/{}/notifications/", check.uuid)))
        .header("X-Api-Key", &project.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

async fn serverchan_turbo_key_posts_title_and_desp(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(serverchan_ok());
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let project = app.project().await;
    let name = "nightly database backup of the billing cluster\nsecond line";
    let check = app.named_check(&project, name).await;
    let sc = app
        .add_channel(
            &project,
            "serverchan",
            "me",
            json!({"sendkey": "SCTabc123"}),
        )
        .await;
    app.assign(&check, &sc).await;

    ping(&app, &check, "/fail", "disk full").await;
    assert_eq!(app.deliver().await.sent, 1);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri, "/SCTabc123.send");
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")),
        "{:?}",
        r.headers
    );
    let title = form_field(r, "title");
    assert!(title.chars().count() <= 32, "{title:?}");
    assert!(!title.contains(['\n', '\r']), "{title:?}");
    assert!(title.starts_with("DOWN | nightly database"), "{title:?}");
    let desp = form_field(r, "desp");
    assert!(desp.contains("is DOWN: it reported a failure"), "{desp}");
    assert!(desp.contains("disk full"), "{desp}");
    assert!(desp.contains("Project: Test project"), "{desp}");

    let n = latest(&app, &check).await;
    assert_eq!((n.state.as_str(), n.attempts), ("sent", 1));
}

async fn serverchan_sc3_key_goes_to_the_users_own_host(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(serverchan_ok());
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let sc = app
        .add_channel(
            &project,
            "serverchan",
            "me",
            json!({"sendkey": "sctp12345tabcdef"}),
        )
        .await;
    app.assign(&check, &sc).await;

    ping(&app, &check, "/fail", "").await;
    assert_eq!(app.deliver().await.sent, 1);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].uri, "/sc3/12345/send/sctp12345tabcdef.send");
    assert_eq!(form_field(&requests[0], "title"), "DOWN | nightly db");
    assert_eq!(latest(&app, &check).await.state, "sent");
}

async fn serverchan_a_refused_key_disables_the_channel_and_tells_the_owner(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(Answer::json(
        json!({"code": 40001, "message": "bad pushtoken", "data": null}),
    ));
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let owner = crate::helpers::unique_address("owner");
    let project = app.project_owned_by(&owner).await;
    let check = app.named_check(&project, "nightly db").await;
    let sc = app
        .add_channel(
            &project,
            "serverchan",
            "my phone",
            json!({"sendkey": "SCTrevoked99"}),
        )
        .await;
    app.assign(&check, &sc).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!(report.failed, 1, "{report:?}");
    let row = app.reload_channel(&sc).await;
    assert!(row.disabled);
    let error = row.last_error.unwrap();
    assert!(
        error.contains("40001") && error.contains("bad pushtoken"),
        "{error}"
    );
    assert_eq!(latest(&app, &check).await.state, "failed");

    let mails = sink.mails();
    let told = mails_to(&mails, &owner);
    assert_eq!(told.len(), 1, "{mails:#?}");
    assert_eq!(
        told[0].header("Subject").as_deref(),
        Some("Channel disabled: my phone (Backups)")
    );
    assert!(
        unwrapped(told[0]).contains("Copy the current SendKey"),
        "the advice names the fix"
    );

    app.advance(3600);
    assert_eq!(app.deliver().await, Default::default());
    assert_eq!(receiver.count(), 1);
}

async fn serverchan_http_429_is_retried_with_the_24_hour_explanation(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.then([Answer::status(429)]);
    receiver.always(serverchan_ok());
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let sc = app
        .add_channel(
            &project,
            "serverchan",
            "me",
            json!({"sendkey": "SCTabc123"}),
        )
        .await;
    app.assign(&check, &sc).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!(report.retried, 1, "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "pending");
    let error = n.last_error.unwrap_or_default();
    assert!(error.contains("429"), "{error}");
    assert!(error.contains("24 hours"), "{error}");
    let row = app.reload_channel(&sc).await;
    assert!(!row.disabled);
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("24 hours"))
    );

    app.advance(13);
    assert_eq!(app.deliver().await.sent, 1);
    assert_eq!(receiver.count(), 2);
    assert_eq!(latest(&app, &check).await.state, "sent");
}

async fn serverchan_the_sendkey_never_shows_in_errors(backend: Backend) {
    const KEY: &str = "SCTsupersecret4242";
    // Nothing listens on this port: the request fails before any reply.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let receiver = Receiver::start().await;
    receiver.then([
        Answer::status(429),
        Answer::text(502, "<html>bad gateway</html>"),
        Answer::text(200, "not json"),
        Answer::json(json!({"code": 40001, "message": "bad pushtoken"})),
    ]);
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let sc = app
        .add_channel(&project, "serverchan", "me", json!({"sendkey": KEY}))
        .await;
    app.assign(&check, &sc).await;

    ping(&app, &check, "/fail", "").await;
    // Four replies from the receiver, each retried, the last one permanent.
    for _ in 0..4 {
        app.deliver().await;
        let row = app.reload_channel(&sc).await;
        let error = row.last_error.clone().unwrap_or_default();
        assert!(!error.is_empty());
        assert!(!error.contains(KEY), "the key leaked: {error}");
        app.advance(900);
    }
    assert_eq!(receiver.count(), 4);
    assert!(app.reload_channel(&sc).await.disabled);

    // A channel whose server cannot be reached at all.
    let app2 = {
        let smtp = sink.url();
        TestApp::spawn_with(backend, move |c| {
            c.serverchan_url = format!("http://127.0.0.1:{closed}");
            c.smtp_url = smtp;
        })
        .await
    };
    let project2 = app2.project().await;
    let check2 = app2.named_check(&project2, "nightly db").await;
    let sc2 = app2
        .add_channel(&project2, "serverchan", "me", json!({"sendkey": KEY}))
        .await;
    app2.assign(&check2, &sc2).await;
    ping(&app2, &check2, "/fail", "").await;
    assert_eq!(app2.deliver().await.retried, 1);
    // The server stays unreachable: the notification waits for its next attempt.
    app2.expect_undelivered_notifications();
    let error = app2
        .reload_channel(&sc2)
        .await
        .last_error
        .unwrap_or_default();
    assert!(!error.is_empty());
    assert!(!error.contains(KEY), "the key leaked: {error}");

    for (app, project, check) in [(&app, &project, &check), (&app2, &project2, &check2)] {
        let (text, value) = notifications_api(app, project, check).await;
        assert!(!text.contains(KEY), "the key leaked: {text}");
        assert!(
            value["notifications"][0]["log"]
                .as_array()
                .is_some_and(|l| !l.is_empty()),
            "{value}"
        );
        let (rows, attempts) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
        for e in rows
            .iter()
            .filter_map(|r| r.last_error.as_deref())
            .chain(attempts.iter().filter_map(|a| a.error.as_deref()))
        {
            assert!(!e.contains(KEY), "the key leaked: {e}");
        }
    }
    // And the channel as the API shows it masks the key.
    let r = app
        .http
        .get(app.url(&format!("/api/v3/channels/{}", sc.uuid)))
        .header("X-Api-Key", &project.api_key)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains(KEY), "{text}");
}
