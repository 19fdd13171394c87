//! What the running app answers matches the schemas the document gives, status for
//! status, on every route.

use super::spec::{Api, Body, Spec};
use crate::helpers::{Backend, TestApp};
use overdue::domain::channel_config::ChannelKind;
use overdue::store::channels::{self, ChannelFields};
use serde_json::{Value, json};

#[tokio::test]
async fn limits_answer_as_documented() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.check_limit = 1).await;
    let api = Api {
        spec: Spec::load(),
        app: &app,
    };
    let p = app.project().await;
    let key = Some(p.api_key.as_str());
    let create = "/checks/";
    let one = Body::Json(json!({"name": "one"}));
    assert_eq!(api.post(create, create, key, one).await.0, 201);
    let two = Body::Json(json!({"name": "two"}));
    let limit = (403, json!({"error": "checks limit exceeded"}));
    assert_eq!(api.post(create, create, key, two).await, limit);
    let huge = "x".repeat(3 << 20);
    assert_eq!(api.post(create, create, key, Body::Raw(&huge)).await.0, 413);
}

on_both_backends! {
    async fn answers_match_the_documented_schemas(app) {
        // The flips of its pings queue notifications to targets that are not local: they
        // are listed through the API, not delivered.
        app.expect_undelivered_notifications();
        answers_match(&app).await;
    }
}

/// Drives every route through its answers, each checked by `Spec::call`.
async fn answers_match(app: &TestApp) {
    use Body::{Json, None as Empty, Raw};
    let api = Api {
        spec: Spec::load(),
        app,
    };
    let p = app.project().await;
    let theirs = app.project().await;
    let rw = Some(p.api_key.as_str());
    let ro = Some(p.api_key_readonly.as_str());
    let other = Some(theirs.api_key.as_str());

    // Channels, one of each kind the server allows, and one whose config is unreadable.
    let (channels, channel, test) = ("/channels/", "/channels/{uuid}", "/channels/{uuid}/test");
    let hook = json!({
        "kind": "webhook", "name": "ops hook",
        "config": {"url_down": "https://hooks.example.com/down", "method_down": "POST",
                   "body_down": "down", "headers_down": {"X-Token": "abc"},
                   "secret": "shh-very-secret"},
    });
    let (status, hook) = api.post(channels, channels, rw, Json(hook)).await;
    assert_eq!(status, 201);
    let hook_url = format!("/channels/{}", hook["id"].as_str().unwrap());
    for (kind, config) in [
        ("email", json!({"address": "ops@example.com"})),
        (
            "wecom",
            json!({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh12345678", "mentions": ["@all"]}),
        ),
        ("serverchan", json!({"sendkey": "SCT1234567890abcdef"})),
    ] {
        let body = json!({"kind": kind, "name": kind, "config": config, "notify_up": false});
        assert_eq!(
            api.post(channels, channels, rw, Json(body)).await.0,
            201,
            "{kind}"
        );
    }
    let shell = json!({"kind": "shell", "config": {"cmd_down": "true"}});
    assert_eq!(api.post(channels, channels, rw, Json(shell)).await.0, 400);
    let bad = json!({"kind": "email", "config": {"address": "nope"}}).to_string();
    assert_eq!(api.post(channels, channels, rw, Raw(&bad)).await.0, 400);
    let fields = ChannelFields {
        kind: ChannelKind::Webhook,
        name: "legacy".into(),
        config: "{}".into(),
        notify_up: true,
        notify_down: true,
    };
    let legacy = channels::create(app.db(), p.id, &fields, app.now())
        .await
        .unwrap()
        .uuid;
    let legacy_url = format!("/channels/{legacy}");
    let (status, shown) = api.get(channel, &legacy_url, rw).await;
    assert_eq!((status, &shown["config"]), (200, &Value::Null));

    assert_eq!(api.get(channel, &hook_url, rw).await.0, 200);
    let mut config = hook["config"].clone();
    config["url_up"] = json!("https://hooks.example.com/up");
    let change = json!({"config": config, "notify_up": false, "name": "ops"});
    let (status, changed) = api.post(channel, &hook_url, rw, Json(change)).await;
    assert_eq!(
        (status, &changed["config"]["secret"]),
        (200, &json!("********"))
    );
    let (status, listed) = api.get(channels, channels, rw).await;
    assert_eq!(
        (status, listed["channels"].as_array().unwrap().len()),
        (200, 5)
    );
    assert_eq!(api.get(channel, &hook_url, ro).await.0, 401);
    assert_eq!(api.get(channel, &hook_url, other).await.0, 403);
    assert_eq!(api.delete(channel, &hook_url, other).await.0, 403);
    let unknown = format!("/channels/{}", uuid::Uuid::new_v4());
    assert_eq!(api.get(channel, &unknown, rw).await.0, 404);
    let rename = Json(json!({"name": "x"}));
    assert_eq!(api.post(channel, &unknown, rw, rename).await.0, 404);

    // Checks: a simple one on every channel, a cron one on one channel, an upsert.
    let (checks, check) = ("/checks/", "/checks/{code}");
    let backups = json!({
        "name": "Backups", "slug": "backups", "tags": "prod db", "desc": "Nightly dump",
        "timeout": 3600, "grace": 60, "channels": "*",
    });
    let (status, backups) = api.post(checks, checks, rw, Json(backups)).await;
    assert_eq!(status, 201);
    let uuid = backups["uuid"].as_str().unwrap().to_string();
    let check_url = format!("/checks/{uuid}");
    let nightly = json!({
        "name": "Nightly", "schedule": "0 3 * * *", "tz": "Europe/Riga", "channels": "ops",
        "success_kw": "OK", "subject_fail": "FAILED", "methods": "",
    });
    let (status, nightly) = api.post(checks, checks, rw, Json(nightly)).await;
    assert_eq!(status, 201);
    let nightly_url = format!("/checks/{}", nightly["uuid"].as_str().unwrap());
    let upsert = json!({"name": "Backups", "unique": ["name"], "grace": 120});
    let (status, again) = api.post(checks, checks, rw, Json(upsert)).await;
    assert_eq!((status, &again["uuid"]), (200, &json!(uuid)));
    let update = json!({"desc": "Database dump", "manual_resume": false, "filter_body": true});
    assert_eq!(api.post(check, &check_url, rw, Json(update)).await.0, 200);

    // Pings: a run with a rid and a body, an exit status, a log line.
    let rid = uuid::Uuid::new_v4();
    app.get(&format!("/ping/{uuid}/start?rid={rid}")).await;
    app.clock.advance(chrono::TimeDelta::milliseconds(2_345));
    app.post(&format!("/ping/{uuid}?rid={rid}"), "all done")
        .await;
    let (status, shown) = api.get(check, &check_url, rw).await;
    assert!(
        status == 200 && shown.get("last_duration").is_some(),
        "{shown}"
    );
    app.advance(60);
    app.get(&format!("/ping/{uuid}/3")).await;
    app.post(&format!("/ping/{uuid}/log"), "a line").await;
    let (pings, body) = ("/checks/{code}/pings/", "/checks/{code}/pings/{n}/body");
    let pings_url = format!("/checks/{uuid}/pings/");
    let (status, list) = api.get(pings, &pings_url, rw).await;
    let list = list["pings"].as_array().unwrap().clone();
    assert_eq!((status, list.len()), (200, 4));
    assert!(list.iter().any(|p| p.get("exitstatus").is_some()));
    assert!(list.iter().any(|p| p.get("duration").is_some()));
    let body_url = list[0]["body_url"]
        .as_str()
        .expect("the log line has a body");
    let body_url = body_url.split("/api/v3").nth(1).unwrap();
    assert_eq!(api.get(body, body_url, rw).await, (200, json!("a line")));
    let missing = format!("/checks/{uuid}/pings/99/body");
    assert_eq!(api.get(body, &missing, rw).await.0, 404);
    assert_eq!(api.get(pings, &pings_url, ro).await.0, 401);

    // Notifications queued by those flips, and test notifications: an email goes to the
    // log (no SMTP server), a webhook to a closed local port fails, an unreadable config
    // is the server's fault.
    let notifications = format!("/checks/{uuid}/notifications/");
    let (status, list) = api
        .get("/checks/{code}/notifications/", &notifications, rw)
        .await;
    assert!(
        status == 200 && !list["notifications"].as_array().unwrap().is_empty(),
        "{list}"
    );
    let email = listed["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "email");
    let email_test = format!("/channels/{}/test", email.unwrap()["id"].as_str().unwrap());
    assert_eq!(
        api.post(test, &email_test, rw, Empty).await,
        (200, json!({"ok": true}))
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = json!({"kind": "webhook", "config": {
        "url_down": format!("http://{closed}/down"), "url_up": format!("http://{closed}/up"),
    }});
    let (status, dead) = api.post(channels, channels, rw, Json(dead)).await;
    assert_eq!(status, 201);
    let dead_test = format!("/channels/{}/test", dead["id"].as_str().unwrap());
    assert_eq!(api.post(test, &dead_test, rw, Json(json!({}))).await.0, 502);
    assert_eq!(
        api.post(test, &format!("{legacy_url}/test"), rw, Empty)
            .await
            .0,
        500
    );
    assert_eq!(api.post(test, &dead_test, other, Empty).await.0, 403);
    assert_eq!(api.post(test, &dead_test, ro, Empty).await.0, 401);
    assert_eq!(
        api.post(test, &format!("{unknown}/test"), rw, Empty)
            .await
            .0,
        404
    );

    // Reads with either key, by uuid and by unique key, filtered.
    assert_eq!(api.get(check, &check_url, rw).await.0, 200);
    let (status, list) = api.get(checks, "/checks/?tag=prod&tag=db", ro).await;
    assert_eq!((status, list["checks"].as_array().unwrap().len()), (200, 1));
    let unique_key = list["checks"][0]["unique_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.get(check, &format!("/checks/{unique_key}"), ro).await.0,
        200
    );
    let (status, list) = api.get(checks, checks, rw).await;
    assert_eq!((status, list["checks"].as_array().unwrap().len()), (200, 2));
    let (status, list) = api.get(checks, "/checks/?slug=backups", rw).await;
    assert_eq!((status, list["checks"].as_array().unwrap().len()), (200, 1));

    // Flips, with either key, filtered, and a bad filter.
    let flips = "/checks/{code}/flips/";
    let flips_url = format!("/checks/{uuid}/flips/");
    let (status, list) = api.get(flips, &flips_url, rw).await;
    assert!(
        status == 200 && !list["flips"].as_array().unwrap().is_empty(),
        "{list}"
    );
    let window = format!("/checks/{unique_key}/flips/?seconds=3600&start=0&end=10000000000");
    assert_eq!(api.get(flips, &window, ro).await.0, 200);
    assert_eq!(
        api.get(flips, &format!("{flips_url}?seconds=-1"), rw)
            .await
            .0,
        400
    );

    // Badges, with either key: `*` first, then the tags in order.
    for key in [rw, ro] {
        let (status, badges) = api.get("/badges/", "/badges/", key).await;
        let tags: Vec<&str> = badges["badges"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!((status, tags), (200, vec!["*", "db", "prod"]));
    }

    // Pause (the key in the body), resume, resume again.
    let (pause, resume) = ("/checks/{code}/pause", "/checks/{code}/resume");
    let (pause_url, resume_url) = (format!("{check_url}/pause"), format!("{check_url}/resume"));
    let key_in_body = Json(json!({"api_key": p.api_key}));
    let (status, paused) = api.post(pause, &pause_url, None, key_in_body).await;
    assert_eq!((status, &paused["status"]), (200, &json!("paused")));
    assert_eq!(api.post(resume, &resume_url, rw, Empty).await.0, 200);
    let not_paused = (409, json!("check is not paused"));
    assert_eq!(api.post(resume, &resume_url, rw, Empty).await, not_paused);
    assert_eq!(api.post(pause, &pause_url, rw, Raw("[]")).await.0, 400);

    // Errors.
    let missing_key = (401, json!({"error": "missing api key"}));
    assert_eq!(api.get(checks, checks, None).await, missing_key);
    let wrong = "x".repeat(32);
    let wrong_key = (401, json!({"error": "wrong api key"}));
    assert_eq!(api.get(checks, checks, Some(&wrong)).await, wrong_key);
    let x = Json(json!({"name": "x"}));
    assert_eq!(api.post(checks, checks, ro, x).await, wrong_key);
    assert_eq!(api.post(checks, checks, rw, Raw("{")).await.0, 400);
    assert_eq!(
        api.post(checks, checks, rw, Raw(r#"{"timeout": "60"}"#))
            .await
            .0,
        400
    );
    let nope = Raw(r#"{"channels": "nope"}"#);
    assert_eq!(api.post(check, &check_url, rw, nope).await.0, 400);
    let nowhere = format!("/checks/{}", uuid::Uuid::new_v4());
    assert_eq!(api.get(check, &nowhere, rw).await.0, 404);
    assert_eq!(api.delete(check, &nowhere, rw).await.0, 404);
    assert_eq!(api.get(check, &check_url, other).await.0, 403);
    assert_eq!(api.post(pause, &pause_url, other, Empty).await.0, 403);
    assert_eq!(api.get(flips, &flips_url, other).await.0, 403);

    // Deletes, and the open endpoints.
    assert_eq!(api.delete(check, &nightly_url, rw).await.0, 200);
    assert_eq!(api.delete(channel, &hook_url, rw).await.0, 200);
    assert_eq!(
        api.get("/status/", "/status/", None).await,
        (200, json!("OK"))
    );
    assert_eq!(api.get("/openapi.json", "/openapi.json", None).await.0, 200);

    // Every documented success was seen and checked.
    let seen = api.spec.seen.lock().unwrap().clone();
    let documented = api.spec.documented_successes();
    let unchecked: Vec<_> = documented.difference(&seen).collect();
    assert!(
        unchecked.is_empty(),
        "documented successes never checked: {unchecked:?}"
    );
}
