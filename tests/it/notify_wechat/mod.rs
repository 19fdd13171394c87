//! WeCom group robots and ServerChan end to end: the app posts to a real HTTP server that
//! plays the vendor's API, and reacts to its replies as the vendor documents them
//! (errcode 0 / 45009 / 93000, code 0 / 400xx, HTTP 429).

use crate::helpers::receiver::{Answer, Receiver};
use crate::helpers::smtp::{Mail, SmtpSink};
use crate::helpers::{Backend, TestApp};
use overdue::app::AppState;
use overdue::jobs::notifier::Notifier;
use overdue::store::channels::{self};
use overdue::store::checks::CheckRow;
use overdue::store::outbox::{self, NotificationRow};
use overdue::store::projects::CreatedProject;
use overdue::store::{Db, users};
use serde_json::{Value, json};

on_both_backends!(
    fn(Backend):
    wecom_down_posts_markdown_and_errcode_0_marks_it_sent,
    wecom_errcode_93000_disables_the_channel_and_tells_the_owner,
    wecom_errcode_45009_is_retried_after_a_minute,
    wecom_a_reply_that_is_not_json_is_retried_not_sent,
    wecom_at_all_mentions_go_in_a_text_message_on_down_only,
    wecom_the_robot_allowance_is_twenty_a_minute_then_a_digest,
    wecom_test_notification_through_the_api,
    wecom_a_robot_that_does_not_answer_in_time_is_retried,
    wecom_a_big_digest_stays_within_4096_bytes,
    wecom_a_truncated_digest_still_mentions_people,
    serverchan_turbo_key_posts_title_and_desp,
    serverchan_sc3_key_goes_to_the_users_own_host,
    serverchan_a_refused_key_disables_the_channel_and_tells_the_owner,
    serverchan_http_429_is_retried_with_the_24_hour_explanation,
    serverchan_the_sendkey_never_shows_in_errors,
);

// ---------------------------------------------------------------------------------------
// Shared helpers

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

async fn ping(app: &TestApp, check: &CheckRow, suffix: &str, body: &str) {
    let r = app
        .post(&format!("/ping/{}{suffix}", check.uuid), body.to_string())
        .await;
    assert_eq!(r.status(), 200, "ping {suffix}");
}

/// The check's newest notification as stored.
async fn latest(app: &TestApp, check: &CheckRow) -> NotificationRow {
    let (rows, _) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
    rows.into_iter().next().expect("a notification")
}

/// The check's notifications as the API lists them (raw text and parsed).
async fn notifications_api(
    app: &TestApp,
    project: &CreatedProject,
    check: &CheckRow,
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

/// Adds a user with `role` to the project.
async fn add_member(app: &TestApp, project: &CreatedProject, email: &str, role: &str) {
    let user = users::create(app.db(), email, None, app.now())
        .await
        .unwrap();
    const SQL: &str = "insert into memberships (user_id, project_id, role) values ($1, $2, $3)";
    match app.db() {
        Db::Sqlite(p) => sqlx::query(SQL)
            .bind(user)
            .bind(project.id)
            .bind(role)
            .execute(p)
            .await
            .map(|_| ()),
        Db::Postgres(p) => sqlx::query(SQL)
            .bind(user)
            .bind(project.id)
            .bind(role)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap();
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

/// The markdown content of a WeCom request, or panics if it is not markdown.
fn markdown_of(r: &crate::helpers::receiver::Request) -> String {
    let body = r.json();
    assert_eq!(body["msgtype"], "markdown", "{body}");
    body["markdown"]["content"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------------------
// WeCom

async fn wecom_down_posts_markdown_and_errcode_0_marks_it_sent(backend: Backend) {
    let receiver = Receiver::start().await;
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    // A name that tries to mention everyone through markdown.
    let check = app.named_check(&project, "nightly db <@all>").await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    app.assign(&check, &robot).await;

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
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    app.assign(&check, &robot).await;

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
    let told = crate::helpers::smtp::mails_to(&mails, &owner);
    assert_eq!(told.len(), 1, "the owner is told once: {mails:#?}");
    assert_eq!(
        told[0].header("Subject").as_deref(),
        Some("Channel disabled: ops room (Backups)")
    );
    let text = unwrapped(told[0]);
    assert!(text.contains("WeCom errcode 93000"), "{text}");
    assert!(text.contains("Add a robot to the group again"), "{text}");
    assert_eq!(
        crate::helpers::smtp::mails_to(&mails, &manager).len(),
        1,
        "managers are told too"
    );
    assert!(
        crate::helpers::smtp::mails_to(&mails, &member).is_empty(),
        "members are not"
    );

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
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    app.assign(&check, &robot).await;

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
    receiver.then([Answer {
        status: 200,
        body: "<html><body>502 Bad Gateway</body></html>".into(),
        delay: std::time::Duration::ZERO,
    }]);
    receiver.always(wecom_ok());
    let app = TestApp::spawn(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    app.assign(&check, &robot).await;

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
    let other_state = AppState {
        db: other_db,
        ..app.state.clone()
    };
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
    let Db::Postgres(pool) = app.db() else {
        unreachable!()
    };
    let windows: Vec<(i64,)> = sqlx::query_as("select count from rate_windows")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(windows, vec![(25,)], "one window row, counted by both");

    app.advance(60);
    let report = other.tick().await.unwrap();
    assert_eq!(report.sent, 5, "{report:?}");
    assert_eq!(receiver.count(), 21);
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
    let row = channels::find_by_uuid(app.db(), &id)
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
    let robot = app
        .add_channel(
            &project,
            "wecom",
            "ops room",
            json!({"url": robot_url(&receiver)}),
        )
        .await;
    app.assign(&check, &robot).await;

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

// ---------------------------------------------------------------------------------------
// ServerChan

fn serverchan_ok() -> Answer {
    Answer::json(json!({"code": 0, "message": "", "data": {"pushid": "1", "readkey": "r"}}))
}

fn form_field(r: &crate::helpers::receiver::Request, name: &str) -> String {
    r.form()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.text()))
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
    let told = crate::helpers::smtp::mails_to(&mails, &owner);
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
        Answer {
            status: 502,
            body: "<html>bad gateway</html>".into(),
            delay: std::time::Duration::ZERO,
        },
        Answer {
            status: 200,
            body: "not json".into(),
            delay: std::time::Duration::ZERO,
        },
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
