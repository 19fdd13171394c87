//! Email channels end to end: the app delivers alerts through a real SMTP server (the
//! test's sink), with unsubscribe headers, a text and an HTML part, and disables a
//! channel whose address the mail server refuses.

use crate::helpers::smtp::{Mail, SmtpSink};
use crate::helpers::{Backend, TestApp};
use overdue::store::channels::{self, Channel};
use overdue::store::checks::Check;
use overdue::store::outbox;
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};

on_both_backends!(
    fn(Backend):
    a_down_alert_arrives_with_unsubscribe_headers_and_both_parts,
    an_up_alert_says_how_long_the_check_was_down,
    a_refused_recipient_disables_the_channel_and_tells_the_owner,
    without_smtp_the_email_is_logged_and_counted_as_sent,
    the_unsubscribe_link_asks_first_and_then_disables_the_channel,
    a_check_name_cannot_add_headers_or_recipients,
    a_check_that_goes_quiet_is_reported_by_the_scheduler,
    an_smtp_server_that_is_down_is_retried_without_disabling,
    a_wrong_unsubscribe_token_shows_no_form,
);

/// The app, with its emails going to a fresh SMTP sink.
async fn app_with_sink(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(backend, |c| c.smtp_url = url).await;
    (app, sink)
}

/// An email channel to `address`, assigned to `check`.
async fn email_channel(
    app: &TestApp,
    project: &CreatedProject,
    check: &Check,
    address: &str,
) -> Channel {
    let channel = app
        .add_channel(
            project,
            "email",
            "ops mailbox",
            json!({ "address": address }),
        )
        .await;
    app.assign(check, &channel).await;
    channel
}

/// The check's notifications as the API lists them, newest first.
async fn notifications(app: &TestApp, project: &CreatedProject, check: &Check) -> Vec<Value> {
    let r = app
        .http
        .get(app.url(&format!("/api/v3/checks/{}/notifications/", check.uuid)))
        .header("X-Api-Key", &project.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["notifications"].as_array().expect("a list").clone()
}

async fn ping(app: &TestApp, check: &Check, suffix: &str, body: &str) {
    let r = app
        .post(&format!("/ping/{}{suffix}", check.uuid), body.to_string())
        .await;
    assert_eq!(r.status(), 200, "ping {suffix}");
}

/// The decoded body of the MIME part whose type starts with `content_type`, if any.
fn mime_part(mail: &Mail, content_type: &str) -> Option<String> {
    let top = mail.header("Content-Type").expect("a Content-Type header");
    let boundary = top
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())?;
    let body = mail.data.split_once("\r\n\r\n")?.1;
    let delimiter = format!("--{boundary}");
    for section in body.split(delimiter.as_str()) {
        let Some((head, content)) = section.split_once("\r\n\r\n") else {
            continue;
        };
        let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let field = |name: &str| {
            head.lines().find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_ascii_lowercase())
            })
        };
        if !field("Content-Type").is_some_and(|t| t.starts_with(content_type)) {
            continue;
        }
        let content = content.trim_end_matches("\r\n");
        return Some(match field("Content-Transfer-Encoding").as_deref() {
            Some("base64") => {
                use base64::Engine as _;
                let compact: String = content.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("valid base64");
                String::from_utf8(bytes).expect("UTF-8 text")
            }
            Some("quoted-printable") => decode_quoted_printable(content),
            _ => content.to_string(),
        });
    }
    None
}

fn decode_quoted_printable(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3; // soft line break
                continue;
            }
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("=XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 text")
}

async fn a_down_alert_arrives_with_unsubscribe_headers_and_both_parts(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly backup").await;
    let address = crate::helpers::unique_address("ops");
    let channel = email_channel(&app, &project, &check, &address).await;
    let body = "pg_dump: error <script>alert('x')</script> & more";
    // A non-zero exit status is a failure: the check goes down.
    ping(&app, &check, "/2", body).await;

    let report = app.deliver().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "one email: {mails:#?}");
    let mail = &mails[0];
    assert_eq!(mail.to, vec![address.clone()]);
    assert_eq!(mail.header("To").as_deref(), Some(address.as_str()));
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("DOWN | nightly backup")
    );
    let unsubscribe = format!(
        "{}/unsubscribe/{}/{}",
        app.state.config.site_root, channel.uuid, channel.token
    );
    assert!(!channel.token.is_empty(), "the channel has a secret token");
    assert_eq!(
        mail.header("List-Unsubscribe"),
        Some(format!("<{unsubscribe}>"))
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let content_type = mail.header("Content-Type").unwrap();
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );

    let text = mime_part(mail, "text/plain").expect("a text part");
    for wanted in [
        "nightly backup is DOWN: it reported a failure",
        "Project: Test project",
        "exit status 2",
        body,
        &unsubscribe,
    ] {
        assert!(text.contains(wanted), "text part lacks {wanted:?}:\n{text}");
    }

    let html = mime_part(mail, "text/html").expect("an HTML part");
    assert!(
        html.contains("nightly backup is DOWN: it reported a failure"),
        "{html}"
    );
    assert!(
        !html.contains("<script>"),
        "the ping body is not raw HTML:\n{html}"
    );
    assert!(
        html.contains("&lt;script&gt;"),
        "the ping body is escaped:\n{html}"
    );
    assert!(html.contains("exit status 2"), "{html}");

    let listed = notifications(&app, &project, &check).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["channel"], json!(channel.uuid));
    assert_eq!(listed[0]["status"], "down");
    assert_eq!(listed[0]["state"], "sent");
    assert_eq!(listed[0]["attempts"], 1);
    assert_eq!(listed[0]["last_error"], Value::Null);
    assert_eq!(listed[0]["log"][0]["ok"], true);

    // Delivered once: another round sends nothing.
    assert_eq!(app.deliver().await.sent, 0);
    assert_eq!(sink.mails().len(), 1);
}

async fn an_up_alert_says_how_long_the_check_was_down(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "hourly sync").await;
    let address = crate::helpers::unique_address("ops");
    email_channel(&app, &project, &check, &address).await;

    ping(&app, &check, "/fail", "").await;
    assert_eq!(app.deliver().await.sent, 1);
    app.advance(600);
    ping(&app, &check, "", "all good").await;
    assert_eq!(app.deliver().await.sent, 1);

    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    let up = &mails[1];
    assert_eq!(up.header("Subject").as_deref(), Some("UP | hourly sync"));
    let text = mime_part(up, "text/plain").unwrap();
    assert!(
        text.contains("hourly sync is UP again after 10 minutes down"),
        "{text}"
    );
    let html = mime_part(up, "text/html").unwrap();
    assert!(html.contains("UP again after 10 minutes down"), "{html}");
}

async fn a_refused_recipient_disables_the_channel_and_tells_the_owner(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let owner = crate::helpers::unique_address("owner");
    let project = app.project_owned_by(&owner).await;
    let check = app.named_check(&project, "db dump").await;
    let gone = crate::helpers::unique_address("gone");
    sink.refuse(&gone);
    let channel = email_channel(&app, &project, &check, &gone).await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");

    let row = app.reload_channel(&channel).await;
    assert!(row.disabled, "a refused address disables the channel");
    let error = row.last_error.clone().unwrap_or_default();
    assert!(error.contains("SMTP"), "{error}");
    assert!(error.contains("550"), "{error}");

    let listed = notifications(&app, &project, &check).await;
    assert_eq!(listed[0]["state"], "failed");
    assert!(
        listed[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("SMTP")),
        "{listed:?}"
    );

    let mails = sink.mails();
    assert!(
        crate::helpers::smtp::mails_to(&mails, &gone).is_empty(),
        "nothing reached the refused address"
    );
    let told = crate::helpers::smtp::mails_to(&mails, &owner);
    assert_eq!(told.len(), 1, "the owner is told once: {mails:#?}");
    assert_eq!(
        told[0].header("Subject").as_deref(),
        Some("Channel disabled: ops mailbox (Backups)")
    );
    let text = mime_part(told[0], "text/plain").unwrap();
    assert!(text.contains("SMTP"), "{text}");
    assert!(
        text.contains("The mail server refused the address"),
        "{text}"
    );
    assert!(text.contains(&channel.uuid.to_string()), "{text}");

    // Not retried, and later flips queue nothing for the disabled channel.
    app.advance(3600);
    assert_eq!(app.deliver().await, Default::default());
    ping(&app, &check, "", "").await;
    ping(&app, &check, "/fail", "").await;
    assert_eq!(
        app.outbox(&check).await.len(),
        1,
        "only the first flip queued"
    );
    assert_eq!(app.deliver().await, Default::default());
    assert_eq!(sink.mails().len(), 1);
}

async fn without_smtp_the_email_is_logged_and_counted_as_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        app.state.config.smtp_url, "",
        "the default has no SMTP server"
    );
    let project = app.project().await;
    let check = app.named_check(&project, "logged").await;
    let channel = email_channel(&app, &project, &check, "ops@example.com").await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let listed = notifications(&app, &project, &check).await;
    assert_eq!(listed[0]["state"], "sent");
    let row = app.reload_channel(&channel).await;
    assert!(!row.disabled);
    assert_eq!(row.last_error, None);
    let (rows, attempts) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].ok);
}

async fn the_unsubscribe_link_asks_first_and_then_disables_the_channel(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "reports").await;
    let address = crate::helpers::unique_address("reader");
    let channel = email_channel(&app, &project, &check, &address).await;
    let path = format!("/unsubscribe/{}/{}", channel.uuid, channel.token);

    // Opening the link (as a mail scanner would) only shows a button.
    let (status, page) = app.get_text(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(!app.reload_channel(&channel).await.disabled);

    // A wrong token changes nothing.
    let wrong = format!(
        "/unsubscribe/{}/{}",
        channel.uuid,
        uuid::Uuid::new_v4().simple()
    );
    let r = app.post(&wrong, "List-Unsubscribe=One-Click").await;
    assert_eq!(r.status(), 404);
    assert!(!app.reload_channel(&channel).await.disabled);
    // Nor does another channel's token.
    let other = email_channel(
        &app,
        &project,
        &check,
        &crate::helpers::unique_address("other"),
    )
    .await;
    let mixed = format!("/unsubscribe/{}/{}", channel.uuid, other.token);
    assert_eq!(app.post(&mixed, "").await.status(), 404);
    assert!(!app.reload_channel(&channel).await.disabled);
    // A channel of another kind cannot be unsubscribed, even with its own token.
    let hook_id = app.channel(&project).await;
    let hook = channels::find_by_id(app.db(), hook_id)
        .await
        .unwrap()
        .unwrap();
    let hook_path = format!("/unsubscribe/{}/{}", hook.uuid, hook.token);
    assert_eq!(app.post(&hook_path, "").await.status(), 404);
    assert!(
        !channels::find_by_id(app.db(), hook_id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );

    // A flip before the unsubscribe queues for both channels.
    ping(&app, &check, "/fail", "").await;
    assert_eq!(app.outbox(&check).await.len(), 2);

    // A mail client's one-click POST unsubscribes.
    let r = app
        .http
        .post(app.url(&path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let row = app.reload_channel(&channel).await;
    assert!(row.disabled);
    assert!(!app.reload_channel(&other).await.disabled);

    // What was queued for the unsubscribed address is dropped; the other channel gets its.
    let report = app.deliver().await;
    assert_eq!((report.sent, report.failed), (1, 1), "{report:?}");
    let mails = sink.mails();
    assert!(
        crate::helpers::smtp::mails_to(&mails, &address).is_empty(),
        "{mails:#?}"
    );
    assert_eq!(
        crate::helpers::smtp::mails_to(&mails, &other_address(&other)).len(),
        1
    );
    let (rows, _) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
    let dropped = rows
        .iter()
        .find(|r| r.channel_uuid == channel.uuid.to_string())
        .unwrap();
    assert_eq!(dropped.state, "failed");
    assert!(
        dropped
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("unsubscribed")),
        "{dropped:?}"
    );

    // Later flips queue nothing for it.
    ping(&app, &check, "", "").await;
    app.expect_undelivered_notifications();
    let queued = app.outbox(&check).await;
    assert_eq!(queued.len(), 3);
    assert_eq!(queued[2].channel_id, other.id);
}

fn other_address(channel: &Channel) -> String {
    let config: Value = serde_json::from_str(&channel.config).unwrap();
    config["address"].as_str().unwrap().to_string()
}

async fn a_check_name_cannot_add_headers_or_recipients(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let project = app.project().await;
    let attacker = crate::helpers::unique_address("attacker");
    let name = format!("db\r\nBcc: {attacker}\r\nX-Injected: yes");
    let check = app.named_check(&project, &name).await;
    let address = crate::helpers::unique_address("ops");
    email_channel(&app, &project, &check, &address).await;

    ping(&app, &check, "/fail", "").await;
    assert_eq!(app.deliver().await.sent, 1);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![address], "only the channel's address");
    assert_eq!(mails[0].header("Bcc"), None);
    assert_eq!(mails[0].header("X-Injected"), None);
    let subject = mails[0].header("Subject").unwrap_or_default();
    assert!(subject.starts_with("DOWN | "), "{subject}");
}

async fn a_wrong_unsubscribe_token_shows_no_form(backend: Backend) {
    let (app, _sink) = app_with_sink(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "reports").await;
    let channel = email_channel(
        &app,
        &project,
        &check,
        &crate::helpers::unique_address("reader"),
    )
    .await;
    let wrong = format!(
        "/unsubscribe/{}/{}",
        channel.uuid,
        uuid::Uuid::new_v4().simple()
    );
    let (status, page) = app.get_text(&wrong).await;
    assert_eq!(status, 404, "a wrong link is not offered a button:\n{page}");
    let unknown = format!("/unsubscribe/{}/{}", uuid::Uuid::new_v4(), channel.token);
    assert_eq!(app.get_text(&unknown).await.0, 404);
    assert!(!app.reload_channel(&channel).await.disabled);
}

async fn a_check_that_goes_quiet_is_reported_by_the_scheduler(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "daily report").await;
    let address = crate::helpers::unique_address("ops");
    email_channel(&app, &project, &check, &address).await;
    ping(&app, &check, "", "").await;
    assert_eq!(
        app.deliver().await,
        Default::default(),
        "new to up is not news"
    );

    // A day's period and an hour's grace go by without a ping.
    app.advance(86_400 + 3_600 + 1);
    app.tick().await;
    assert_eq!(app.deliver().await.sent, 1);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("DOWN | daily report")
    );
    let text = mime_part(&mails[0], "text/plain").unwrap();
    assert!(
        text.contains("daily report is DOWN: the expected ping did not arrive in time"),
        "{text}"
    );
    assert!(
        text.contains("Last ping: success at 2026-03-02 10:30:00 UTC"),
        "{text}"
    );
}

async fn an_smtp_server_that_is_down_is_retried_without_disabling(backend: Backend) {
    // Nothing listens on this port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = TestApp::spawn_with(backend, |c| {
        c.smtp_url = format!("smtp://127.0.0.1:{closed}");
        c.notify_timeout = 2;
    })
    .await;
    let project = app.project().await;
    let check = app.named_check(&project, "nightly backup").await;
    let channel = email_channel(
        &app,
        &project,
        &check,
        &crate::helpers::unique_address("ops"),
    )
    .await;

    ping(&app, &check, "/fail", "").await;
    let report = app.deliver().await;
    assert_eq!(report.retried, 1, "{report:?}");
    // The server stays down: the notification waits for its next attempt.
    app.expect_undelivered_notifications();
    let listed = notifications(&app, &project, &check).await;
    assert_eq!(listed[0]["state"], "pending");
    assert!(
        listed[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("SMTP")),
        "{listed:?}"
    );
    let row = app.reload_channel(&channel).await;
    assert!(!row.disabled, "the server's trouble is not the channel's");
}
