//! Channels through the API (v3): Overdue's addition for Terraform and scripts.

use crate::helpers::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("X-Api-Key", key);
    if let Some(body) = body {
        req = req.body(body.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

on_both_backends! {
    async fn channels_are_created_read_changed_and_deleted(app) {
        let p = app.project().await;
        let body = json!({
            "kind": "webhook", "name": "ops hook",
            "config": {"url_down": "https://hooks.example.com/down", "method_down": "POST",
                       "body_down": "$NAME is $STATUS", "headers_down": {"X-Token": "abc"}, "secret": "shh-very-secret"}
        });
        let (status, created) = call(&app, Method::POST, "/api/v3/channels/", &p.api_key, Some(body)).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        assert_eq!((created["kind"].clone(), created["name"].clone()), (json!("webhook"), json!("ops hook")));
        assert_eq!(created["config"]["secret"], "********", "secrets are masked");
        assert_eq!(created["config"]["headers_down"]["X-Token"], "abc");
        assert_eq!((created["notify_up"].clone(), created["notify_down"].clone()), (json!(true), json!(true)));

        let (status, listed) = call(&app, Method::GET, "/api/v3/channels/", &p.api_key, None).await;
        assert_eq!((status, listed), (200, json!({"channels": [{"id": id, "name": "ops hook", "kind": "webhook"}]})));

        // Sending back what was read keeps the secret; other fields change.
        let mut config = created["config"].clone();
        config["url_down"] = json!("https://hooks.example.com/v2/down");
        let (status, changed) = call(&app, Method::POST, &format!("/api/v3/channels/{id}"), &p.api_key,
            Some(json!({"config": config, "notify_up": false}))).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!((changed["config"]["url_down"].clone(), changed["notify_up"].clone()), (json!("https://hooks.example.com/v2/down"), json!(false)));
        let row = overdue::store::channels::find_by_uuid(app.db(), &id.parse().unwrap()).await.unwrap().unwrap();
        assert!(row.config.contains("shh-very-secret"), "the stored secret survived the round trip");

        let (status, deleted) = call(&app, Method::DELETE, &format!("/api/v3/channels/{id}"), &p.api_key, None).await;
        assert_eq!((status, deleted["id"].clone()), (200, json!(id)));
        assert_eq!(call(&app, Method::GET, &format!("/api/v3/channels/{id}"), &p.api_key, None).await.0, 404);
    }

    async fn each_kind_is_validated_with_field_errors(app) {
        let p = app.project().await;
        for (body, message) in [
            (json!({"kind": "webhook", "config": {}}), "json validation error: config needs url_down or url_up"),
            (json!({"kind": "email", "config": {"address": "nope"}}), "json validation error: config.address is not an email address"),
            (json!({"kind": "wecom", "config": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}}),
                "json validation error: config.url must be the group robot's webhook URL, with its key= parameter"),
            (json!({"kind": "serverchan", "config": {"sendkey": ""}}), "json validation error: config.sendkey must be a ServerChan SendKey (SCT… or sctp…)"),
            (json!({"kind": "email"}), "json validation error: config is required"),
            (json!({"config": {}}), "json validation error: kind is required"),
            (json!({"kind": "shell", "config": {"cmd_down": "true"}}),
                "shell channels are disabled on this server; its operator can enable them with OVERDUE_SHELL_ENABLED=true"),
        ] {
            assert_eq!(call(&app, Method::POST, "/api/v3/channels/", &p.api_key, Some(body.clone())).await, (400, json!({"error": message})), "{body}");
        }
        let (_, listed) = call(&app, Method::GET, "/api/v3/channels/", &p.api_key, None).await;
        assert_eq!(listed["channels"], json!([]));
    }

    async fn a_serverchan_channel_read_from_the_api_can_be_sent_back_with_changes(app) {
        // arrange
        let p = app.project().await;
        let body = json!({"kind": "serverchan", "name": "phone", "config": {"sendkey": "SCT123456789abcdef"}});
        let (_, created) = call(&app, Method::POST, "/api/v3/channels/", &p.api_key, Some(body)).await;
        let id = created["id"].as_str().unwrap();
        assert_eq!(created["config"]["sendkey"], "SCT1********cdef");
        // act: the config as read, sent back with another name
        let change = json!({"name": "phone 2", "config": created["config"]});
        let (status, changed) = call(&app, Method::POST, &format!("/api/v3/channels/{id}"), &p.api_key, Some(change)).await;
        // assert
        assert_eq!((status, changed["name"].clone()), (200, json!("phone 2")), "{changed}");
        let row = overdue::store::channels::find_by_uuid(app.db(), &id.parse().unwrap()).await.unwrap().unwrap();
        assert!(row.config.contains("SCT123456789abcdef"), "the stored key is kept: {}", row.config);
    }

    async fn channels_of_another_project_or_with_a_read_only_key_are_out_of_reach(app) {
        let mine = app.project().await;
        let theirs = app.project().await;
        let body = json!({"kind": "email", "name": "me", "config": {"address": "ops@example.com"}});
        let (_, created) = call(&app, Method::POST, "/api/v3/channels/", &mine.api_key, Some(body)).await;
        let id = created["id"].as_str().unwrap();
        for method in [Method::GET, Method::POST, Method::DELETE] {
            assert_eq!(call(&app, method.clone(), &format!("/api/v3/channels/{id}"), &theirs.api_key, Some(json!({}))).await.0, 403, "{method}");
            assert_eq!(call(&app, method.clone(), &format!("/api/v3/channels/{id}"), &mine.api_key_readonly, None).await.0, 401, "{method}");
        }
        let (_, listed) = call(&app, Method::GET, "/api/v3/channels/", &theirs.api_key, None).await;
        assert_eq!(listed["channels"], json!([]));
        assert!(overdue::store::channels::find_by_uuid(app.db(), &id.parse().unwrap()).await.unwrap().is_some());
        // v1 and v2 list channels but cannot create them.
        assert_eq!(call(&app, Method::POST, "/api/v1/channels/", &mine.api_key, Some(json!({}))).await.0, 405);
    }
}

#[tokio::test]
async fn shell_channels_can_be_created_where_the_operator_allows_them() {
    let app =
        TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| c.shell_enabled = true).await;
    let p = app.project().await;
    let body = json!({"kind": "shell", "name": "restart", "config": {"cmd_down": "systemctl restart app"}});
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v3/channels/",
        &p.api_key,
        Some(body),
    )
    .await;
    assert_eq!(
        (status, created["config"]["cmd_down"].clone()),
        (201, json!("systemctl restart app"))
    );
}

on_both_backends!(
    fn(Backend):
    private_targets_are_refused_when_a_channel_is_saved,
    private_targets_are_accepted_when_the_operator_allows_them,
);

const ALLOW_HINT: &str = "this server does not send notifications to private addresses (its operator can allow them with OVERDUE_ALLOW_PRIVATE_TARGETS=true)";

async fn private_targets_are_refused_when_a_channel_is_saved(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.allow_private_targets = false).await;
    let p = app.project().await;
    let hook = |field: &str, url: &str| json!({"kind": "webhook", "config": {field: url}});
    for (body, why) in [
        (
            hook("url_down", "http://10.0.0.1/hook"),
            "config.url_down: 10.0.0.1 is a private address",
        ),
        (
            hook("url_up", "http://[::1]:8080/up"),
            "config.url_up: ::1 is a private address",
        ),
        (
            hook("url_down", "http://0x7f.1/"),
            "config.url_down: 127.0.0.1 is a private address",
        ),
        (
            hook("url_down", "http://localhost:9/hook"),
            "config.url_down: localhost resolves only to private addresses",
        ),
        (
            json!({"kind": "wecom", "config": {"url": "http://169.254.169.254/cgi-bin/webhook/send?key=secret-key"}}),
            "config.url: 169.254.169.254 is a private address",
        ),
    ] {
        let (status, answer) = call(
            &app,
            Method::POST,
            "/api/v3/channels/",
            &p.api_key,
            Some(body.clone()),
        )
        .await;
        let expected = format!("json validation error: {why}, and {ALLOW_HINT}");
        assert_eq!(
            (status, answer),
            (400, json!({"error": expected})),
            "{body}"
        );
    }
    let (_, listed) = call(&app, Method::GET, "/api/v3/channels/", &p.api_key, None).await;
    assert_eq!(listed["channels"], json!([]), "nothing was saved");

    // A public address is accepted (an IP literal is not even looked up), and changing it
    // to a private one is refused, leaving the stored URL as it was.
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v3/channels/",
        &p.api_key,
        Some(hook("url_down", "http://93.184.215.14/hook")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, answer) = call(&app, Method::POST, &format!("/api/v3/channels/{id}"), &p.api_key,
        Some(json!({"config": {"url_down": "http://93.184.215.14/hook", "url_up": "http://192.168.1.10/up"}}))).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["error"],
        format!(
            "json validation error: config.url_up: 192.168.1.10 is a private address, and {ALLOW_HINT}"
        )
    );
    let (_, shown) = call(
        &app,
        Method::GET,
        &format!("/api/v3/channels/{id}"),
        &p.api_key,
        None,
    )
    .await;
    assert_eq!(
        (
            shown["config"]["url_down"].clone(),
            shown["config"]["url_up"].clone()
        ),
        (json!("http://93.184.215.14/hook"), json!(""))
    );
    // A change that leaves the targets alone is not held up by them.
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v3/channels/{id}"),
        &p.api_key,
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(status, 200);
}

async fn private_targets_are_accepted_when_the_operator_allows_them(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.allow_private_targets = true).await;
    let p = app.project().await;
    for url in ["http://10.0.0.1/hook", "http://localhost:9/hook"] {
        let body = json!({"kind": "webhook", "config": {"url_down": url}});
        let (status, created) = call(
            &app,
            Method::POST,
            "/api/v3/channels/",
            &p.api_key,
            Some(body),
        )
        .await;
        assert_eq!(
            (status, created["config"]["url_down"].clone()),
            (201, json!(url))
        );
    }
}
