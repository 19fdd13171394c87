//! WeCom group robots and ServerChan end to end: the app posts to a real HTTP server that
//! plays the vendor's API, and reacts to its replies as the vendor documents them
//! (errcode 0 / 45009 / 93000, code 0 / 400xx, HTTP 429). What the tests of both share
//! is here.

mod replies;
mod serverchan;
mod wecom;
mod wecom_allowance;

use crate::helpers::receiver::{Answer, Receiver, Request};
use crate::helpers::smtp::{Mail, SmtpSink};
use crate::helpers::{Backend, TestApp};
use overdue::store::channels::Channel;
use overdue::store::checks::Check;
use overdue::store::outbox::{self, Notification};
use overdue::store::projects::CreatedProject;
use serde_json::json;

/// The app with ServerChan pointed at `receiver`, emails going to `sink`.
async fn app_for(backend: Backend, receiver: &Receiver, sink: &SmtpSink) -> TestApp {
    let (base, smtp) = (receiver.base.clone(), sink.url());
    TestApp::spawn_with(backend, move |c| {
        c.serverchan_url = base.clone();
        c.serverchan3_url = format!("{base}/sc3/{{uid}}");
        c.smtp_url = smtp;
    })
    .await
}

async fn ping(app: &TestApp, check: &Check, suffix: &str, body: &str) {
    let r = app
        .post(&format!("/ping/{}{suffix}", check.uuid), body.to_string())
        .await;
    assert_eq!(r.status(), 200, "ping {suffix}");
}

/// The check's newest notification as stored.
async fn latest(app: &TestApp, check: &Check) -> Notification {
    let (rows, _) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
    rows.into_iter().next().expect("a notification")
}

/// A message's text with quoted-printable soft line breaks removed, for searching.
fn unwrapped(mail: &Mail) -> String {
    mail.data.replace("=\r\n", "")
}

fn wecom_ok() -> Answer {
    Answer::json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// An error reply as WeCom words it: the message, then a hint and where to read more.
fn wecom_error(errcode: i64, errmsg: &str) -> Answer {
    let hint = "hint: [1700000000_1_abcdef], from ip: 203.0.113.7";
    let more = format!("more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}");
    Answer::json(json!({"errcode": errcode, "errmsg": format!("{errmsg}, {hint}, {more}")}))
}

fn robot_url(receiver: &Receiver) -> String {
    receiver.url("/cgi-bin/webhook/send?key=abc")
}

/// A WeCom robot channel "ops room" posting to `receiver`, assigned to `check`.
async fn ops_room_robot(
    app: &TestApp,
    project: &CreatedProject,
    check: &Check,
    receiver: &Receiver,
) -> Channel {
    let robot = app
        .add_channel(
            project,
            "wecom",
            "ops room",
            json!({"url": robot_url(receiver)}),
        )
        .await;
    app.assign(check, &robot).await;
    robot
}

/// The markdown content of a WeCom request, or panics if it is not markdown.
fn markdown_of(r: &Request) -> String {
    let body = r.json();
    assert_eq!(body["msgtype"], "markdown", "{body}");
    body["markdown"]["content"].as_str().unwrap().to_string()
}
