//! What leaves the server for a webhook: redirects are followed only where the guard
//! allows each hop, and a request that cannot be built fails at once, saying why.

use crate::helpers::receiver::{Answer, Receiver};
use crate::helpers::{Backend, TestApp};
use overdue::jobs::notifier::{Notifier, TickReport};
use overdue::notify::net::{Client, Guard};
use overdue::state::AppState;
use overdue::store::channels::Channel;
use overdue::store::checks::Check;
use overdue::store::outbox::{self, Notification};
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    fn(Backend):
    a_redirect_to_a_private_address_is_refused_and_nothing_reaches_it,
    redirects_are_followed_up_to_three_hops_where_private_targets_are_allowed,
    a_check_name_that_cannot_go_in_a_header_fails_at_once_and_says_why,
);

/// A signed POST webhook to `url`, assigned to `check`.
async fn webhook(
    app: &TestApp,
    project: &CreatedProject,
    check: &Check,
    url: &str,
    extra: Value,
) -> Channel {
    let mut config = json!({
        "url_down": url,
        "method_down": "POST",
        "body_down": "{\"check\": $NAME_JSON, \"status\": \"$STATUS\"}",
        "headers_down": {"Content-Type": "application/json", "X-Token": "t0ken"},
        "secret": "whsec-test",
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    let channel = app.add_channel(project, "webhook", "hook", config).await;
    app.assign(check, &channel).await;
    channel
}

async fn latest(app: &TestApp, check: &Check) -> Notification {
    let (rows, _) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
    rows.into_iter().next().expect("a notification")
}

async fn fail(app: &TestApp, check: &Check) {
    let r = app.get(&format!("/ping/{}/fail", check.uuid)).await;
    assert_eq!(r.status(), 200);
}

/// One delivery round with the guard on, except for `entry`, the receiver the channel
/// points at (it listens on loopback, as every test server does).
async fn deliver_guarded(app: &TestApp, entry: &Receiver) -> TickReport {
    let guard = Guard::new(false).exempting(entry.addr());
    let mut state: AppState = app.state.clone();
    state.senders.http = Client::new(Duration::from_secs(5), guard).unwrap();
    Notifier::new(&state).unwrap().tick().await.unwrap()
}

async fn a_redirect_to_a_private_address_is_refused_and_nothing_reaches_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let inside = Receiver::start().await; // plays 169.254.169.254: a private address
    let entry = Receiver::start().await;
    // 307: a followed redirect would re-send the body and the signature.
    entry.always(Answer::redirect(307, &inside.url("/latest/meta-data/")));
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    let channel = webhook(&app, &project, &check, &entry.url("/hook"), json!({})).await;

    fail(&app, &check).await;
    let report = deliver_guarded(&app, &entry).await;

    assert_eq!(
        (report.sent, report.failed, report.retried),
        (0, 1, 0),
        "{report:?}"
    );
    assert_eq!(entry.count(), 1, "the first hop is allowed");
    assert_eq!(
        inside.count(),
        0,
        "no request reached the redirect's target"
    );
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "failed");
    assert_eq!(
        n.last_error.as_deref(),
        Some(
            "Connections to private IP addresses are not allowed (a redirect pointed to 127.0.0.1)"
        )
    );
    let row = app.reload_channel(&channel).await;
    assert!(
        row.disabled,
        "a receiver that sends us inside is a broken channel"
    );
}

async fn redirects_are_followed_up_to_three_hops_where_private_targets_are_allowed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await; // private targets allowed, as on an intranet
    let moved = Receiver::start().await;
    let entry = Receiver::start().await;
    entry.then([Answer::redirect(308, &moved.url("/new-hook"))]);
    let project = app.project().await;
    let check = app.named_check(&project, "nightly db").await;
    webhook(&app, &project, &check, &entry.url("/hook"), json!({})).await;

    fail(&app, &check).await;
    assert_eq!(app.deliver().await.sent, 1);
    let requests = moved.requests();
    assert_eq!(requests.len(), 1, "the redirect was followed");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].json()["check"], "nightly db");

    // A receiver that redirects to itself is given up on after three redirects.
    let looping = Receiver::start().await;
    looping.always(Answer::redirect(302, &looping.url("/again")));
    let check = app.named_check(&project, "loop").await;
    webhook(&app, &project, &check, &looping.url("/hook"), json!({})).await;
    fail(&app, &check).await;
    assert_eq!(app.deliver().await.retried, 1);
    assert_eq!(looping.count(), 4, "the first request and three redirects");
    let n = latest(&app, &check).await;
    assert_eq!(n.last_error.as_deref(), Some("Stopped after 3 redirects"));
    app.expect_undelivered_notifications();
}

async fn a_check_name_that_cannot_go_in_a_header_fails_at_once_and_says_why(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::start().await;
    let project = app.project().await;
    let check = app
        .named_check(&project, "nightly db\r\nX-Injected: yes")
        .await;
    let channel = webhook(
        &app,
        &project,
        &check,
        &receiver.url("/hook"),
        json!({"headers_down": {"X-Check": "$NAME"}}),
    )
    .await;

    fail(&app, &check).await;
    let report = app.deliver().await;
    assert_eq!(
        (report.sent, report.failed, report.retried),
        (0, 1, 0),
        "{report:?}"
    );
    assert_eq!(receiver.count(), 0);
    let n = latest(&app, &check).await;
    assert_eq!((n.state.as_str(), n.attempts), ("failed", 1));
    let error = n.last_error.unwrap_or_default();
    assert!(error.contains("X-Check header cannot be sent"), "{error}");
    assert!(error.contains("line break"), "{error}");

    // Not retried, and the channel still serves checks with ordinary names.
    app.advance(3600);
    assert_eq!(app.deliver().await, TickReport::default());
    assert!(!app.reload_channel(&channel).await.disabled);
    let other = app.named_check(&project, "api").await;
    app.assign(&other, &channel).await;
    fail(&app, &other).await;
    assert_eq!(app.deliver().await.sent, 1);
    assert_eq!(
        receiver.requests()[0].header("x-check").as_deref(),
        Some("api")
    );
}
