//! A vendor's reply is read up to 64 KiB and no further: a reply of several megabytes
//! (here, valid JSON saying all is well, padded) is not read whole and is not taken for
//! WeCom's or ServerChan's answer, through the notifier and through the test button.

use super::{app_for, latest, ops_room_robot, ping};
use crate::helpers::receiver::{Answer, Receiver};
use crate::helpers::smtp::SmtpSink;
use crate::helpers::{Backend, TestApp};
use overdue::store::channels::Channel;
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};

on_both_backends!(
    fn(Backend):
    wecom_a_reply_past_64_kib_is_not_read_whole_and_is_retried,
    serverchan_a_reply_past_64_kib_is_not_read_whole_and_is_retried,
);

/// A reply that says "delivered", padded to 4 MB: read whole, it would parse.
fn padded(mut ok: Value) -> Answer {
    ok["padding"] = json!("x".repeat(4 << 20));
    Answer::json(ok)
}

/// Presses the channel's test button through the API; returns the status and the error.
async fn test_button(app: &TestApp, project: &CreatedProject, channel: &Channel) -> (u16, String) {
    let r = app
        .http
        .post(app.url(&format!("/api/v3/channels/{}/test", channel.uuid)))
        .header("X-Api-Key", &project.api_key)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

fn says_too_large(error: &str) {
    assert!(error.contains("larger than 64 KiB"), "{error}");
    assert!(error.contains("not read"), "{error}");
}

async fn wecom_a_reply_past_64_kib_is_not_read_whole_and_is_retried(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(padded(json!({"errcode": 0, "errmsg": "ok"})));
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = ops_room_robot(&app, &project, &check, &receiver).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!((report.sent, report.retried), (0, 1), "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "pending");
    says_too_large(&n.last_error.unwrap_or_default());
    assert!(!app.reload_channel(&robot).await.disabled);

    let (status, error) = test_button(&app, &project, &robot).await;
    assert_eq!(status, 502);
    says_too_large(&error);
    app.expect_undelivered_notifications();
}

async fn serverchan_a_reply_past_64_kib_is_not_read_whole_and_is_retried(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(padded(json!({"code": 0, "message": ""})));
    let sink = SmtpSink::start().await;
    let app = app_for(backend, &receiver, &sink).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let channel = app
        .add_channel(
            &project,
            "serverchan",
            "me",
            json!({"sendkey": "SCTabc123"}),
        )
        .await;
    app.assign(&check, &channel).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!((report.sent, report.retried), (0, 1), "{report:?}");
    says_too_large(&latest(&app, &check).await.last_error.unwrap_or_default());

    let (status, error) = test_button(&app, &project, &channel).await;
    assert_eq!(status, 502);
    says_too_large(&error);
    app.expect_undelivered_notifications();
}
