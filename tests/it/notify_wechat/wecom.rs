//! WeCom group robots: what a robot is sent, and what each of its replies does to the
//! notification and the channel.

use super::{
    app_for, latest, markdown_of, ops_room_robot, ping, robot_url, unwrapped, wecom_error, wecom_ok,
};
use crate::helpers::receiver::{Answer, Receiver};
use crate::helpers::smtp::{SmtpSink, mails_to};
use crate::helpers::{Backend, TestApp};
use overdue::store::projects::CreatedProject;
use overdue::store::{channels, users};
use serde_json::{Value, json};

on_both_backends!(
    fn(Backend):
    wecom_down_posts_markdown_and_errcode_0_marks_it_sent,
    wecom_errcode_93000_disables_the_channel_and_tells_the_owner,
    wecom_errcode_45009_is_retried_after_a_minute,
    wecom_a_reply_that_is_not_json_is_retried_not_sent,
    wecom_at_all_mentions_go_in_a_text_message_on_down_only,
    wecom_test_notification_through_the_api,
    wecom_a_robot_that_does_not_answer_in_time_is_retried,
);

/// Adds a user with `role` to the project.
async fn add_member(app: &TestApp, project: &CreatedProject, email: &str, role: &str) {
    let user = users::create(app.db(), email, None, app.now())
        .await
        .unwrap();
    const SQL: &str = "insert into memberships (user_id, project_id, role) values ($1, $2, $3)";
    on_raw!(app.raw().await, p => {
        sqlx::query(SQL).bind(user).bind(project.id).bind(role).execute(&p).await.unwrap();
    });
}

async fn wecom_down_posts_markdown_and_errcode_0_marks_it_sent(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    // A name that tries to mention everyone through markdown.
    let check = app.named_check(&project, "nightly db <@all>").await;
    let robot = ops_room_robot(&app, &project, &check, &receiver).await;

    ping(&app, &check, "/2", "pg_dump: connection refused").await;
    let report = app.deliver().await;
    assert_eq!(report.sent, 1, "{report:?}");

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri, "/cgi-bin/webhook/send?key=abc");
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        r.headers
    );
    let content = markdown_of(r);
    assert!(
        content.contains("is DOWN: it reported a failure"),
        "{content}"
    );
    assert!(content.contains("nightly db"), "{content}");
    assert!(content.contains("exit status 2"), "{content}");
    assert!(content.contains("pg_dump: connection refused"), "{content}");
    assert!(
        !content.contains("<@all>"),
        "a check name cannot mention people: {content}"
    );
    assert!(content.len() <= 4096);

    let n = latest(&app, &check).await;
    assert_eq!((n.state.as_str(), n.attempts), ("sent", 1));
    assert_eq!(n.last_error, None);
    let row = app.reload_channel(&robot).await;
    assert!(!row.disabled);
    assert_eq!(row.last_error, None);
}

async fn wecom_errcode_93000_disables_the_channel_and_tells_the_owner(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_error(93000, "invalid webhook url"));
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let owner = crate::helpers::unique_address("owner");
    let project = app.project_owned_by(&owner).await;
    let manager = crate::helpers::unique_address("manager");
    add_member(&app, &project, &manager, "manager").await;
    let member = crate::helpers::unique_address("member");
    add_member(&app, &project, &member, "member").await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = ops_room_robot(&app, &project, &check, &receiver).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");

    let n = latest(&app, &check).await;
    assert_eq!(n.state, "failed");
    let row = app.reload_channel(&robot).await;
    assert!(row.disabled, "a deleted robot disables the channel");
    let error = row.last_error.clone().unwrap();
    assert!(error.contains("93000"), "{error}");
    assert!(
        !error.contains("hint:"),
        "the vendor's hint is cut off: {error}"
    );

    let mails = sink.mails();
    let told = mails_to(&mails, &owner);
    assert_eq!(told.len(), 1, "the owner is told once: {mails:#?}");
    assert_eq!(
        told[0].header("Subject").as_deref(),
        Some("Channel disabled: ops room (Backups)")
    );
    let text = unwrapped(told[0]);
    assert!(text.contains("WeCom errcode 93000"), "{text}");
    assert!(text.contains("Add a robot to the group again"), "{text}");
    assert_eq!(mails_to(&mails, &manager).len(), 1, "managers are told too");
    assert!(mails_to(&mails, &member).is_empty(), "members are not");

    // No retries, and the next flip queues nothing for it.
    app.advance(3600);
    assert_eq!(app.deliver().await, Default::default());
    ping(&app, &check, "", "").await;
    assert_eq!(app.deliver().await, Default::default());
    assert_eq!(receiver.count(), 1, "the robot was called once");
    assert_eq!(app.outbox(&check).await.len(), 1);
    assert_eq!(sink.mails().len(), 2);
}

async fn wecom_errcode_45009_is_retried_after_a_minute(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.then([wecom_error(45009, "api freq out of limit")]);
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = ops_room_robot(&app, &project, &check, &receiver).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!(report.retried, 1, "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "pending");
    assert!(
        n.last_error.as_deref().is_some_and(|e| e.contains("45009")),
        "{n:?}"
    );
    assert!(
        !app.reload_channel(&robot).await.disabled,
        "a rate limit is not the channel's fault"
    );

    // The robot's limit is per minute: not before a minute has passed.
    app.advance(30);
    assert_eq!(app.deliver().await, Default::default());
    assert_eq!(receiver.count(), 1);
    app.advance(31);
    let report = app.deliver().await;
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(receiver.count(), 2);
    let n = latest(&app, &check).await;
    assert_eq!((n.state.as_str(), n.attempts), ("sent", 2));
    assert_eq!(n.last_error, None);
    assert_eq!(app.reload_channel(&robot).await.last_error, None);
}

async fn wecom_a_reply_that_is_not_json_is_retried_not_sent(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.then([Answer::text(
        200,
        "<html><body>502 Bad Gateway</body></html>",
    )]);
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = ops_room_robot(&app, &project, &check, &receiver).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!((report.sent, report.retried), (0, 1), "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "pending");
    assert!(
        n.last_error
            .as_deref()
            .is_some_and(|e| e.contains("not its JSON reply")),
        "{n:?}"
    );
    assert!(!app.reload_channel(&robot).await.disabled);

    // The first retry comes after 10 s (±25 %).
    app.advance(13);
    assert_eq!(app.deliver().await.sent, 1);
    assert_eq!(receiver.count(), 2);
    assert_eq!(latest(&app, &check).await.state, "sent");
}

async fn wecom_at_all_mentions_go_in_a_text_message_on_down_only(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver), "mentions": ["@all"]}),
        )
        .await;
    app.assign(&check, &robot).await;

    ping(&app, &check, "/fail", "").await;
    assert_eq!(app.deliver().await.sent, 1);
    app.advance(300);
    ping(&app, &check, "", "").await;
    assert_eq!(app.deliver().await.sent, 1);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let down = requests[0].json();
    assert_eq!(down["msgtype"], "text", "{down}");
    assert_eq!(down["text"]["mentioned_list"], json!(["@all"]));
    let text = down["text"]["content"].as_str().unwrap();
    assert!(
        text.contains("nightly db is DOWN: it reported a failure"),
        "{text}"
    );
    assert!(text.len() <= 2048);

    let up = requests[1].json();
    assert_eq!(up["msgtype"], "markdown", "{up}");
    assert!(up.get("text").is_none());
    let content = up["markdown"]["content"].as_str().unwrap();
    assert!(
        content.contains("nightly db is UP again after 5 minutes down"),
        "{content}"
    );
    assert!(!content.contains("<@"), "no mentions when it recovers");
    assert!(!content.contains("@all"), "{content}");
}

async fn wecom_test_notification_through_the_api(backend: Backend) {
    let receiver = Receiver::start().await;
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let owner = crate::helpers::unique_address("owner");
    let project = app.project_owned_by(&owner).await;
    let api = |method: reqwest::Method, path: &str| {
        app.http
            .request(method, app.url(path))
            .header("X-Api-Key", &project.api_key)
    };

    let r = api(reqwest::Method::POST, "/api/v3/channels/")
        .body(
            json!({"kind": "wecom", "name": "ops room", "config": {"url": robot_url(&receiver)}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let test_path = format!("/api/v3/channels/{id}/test");

    receiver.then([wecom_ok()]);
    let r = api(reqwest::Method::POST, &test_path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"ok": true}));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].uri, "/cgi-bin/webhook/send?key=abc");
    let content = markdown_of(&requests[0]);
    assert!(content.contains("Test notification"), "{content}");

    receiver.always(wecom_error(93000, "invalid webhook url"));
    let r = api(reqwest::Method::POST, &test_path).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains("93000"), "{body}");
    assert!(error.contains("invalid webhook url"), "{body}");

    let r = api(reqwest::Method::GET, &format!("/api/v3/channels/{id}"))
        .send()
        .await
        .unwrap();
    let shown: Value = r.json().await.unwrap();
    assert_eq!(shown["disabled"], false, "a test does not disable: {shown}");
    let row = channels::find_by_uuid(app.db(), &id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!row.disabled);
    assert!(
        sink.mails().is_empty(),
        "nobody is told about a failed test"
    );
}

async fn wecom_a_robot_that_does_not_answer_in_time_is_retried(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.then([Answer::slow(std::time::Duration::from_secs(5))]);
    receiver.always(wecom_ok());
    let app = TestApp::spawn_with(backend, |c| c.notify_timeout = 1).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = ops_room_robot(&app, &project, &check, &receiver).await;

    ping(&app, &check, "/fail", "").await;
    let started = std::time::Instant::now();
    let report = app.deliver().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "gave up after notify_timeout, not after the reply: {:?}",
        started.elapsed()
    );
    assert_eq!(report.retried, 1, "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "pending");
    assert!(
        n.last_error
            .as_deref()
            .is_some_and(|e| e.contains("Timed out")),
        "{n:?}"
    );
    assert!(!app.reload_channel(&robot).await.disabled);

    app.advance(13);
    assert_eq!(app.deliver().await.sent, 1);
    assert_eq!(latest(&app, &check).await.state, "sent");
}
