//! NUL characters (`\u0000`) never reach the store: PostgreSQL refuses them in text
//! (error 22021), SQLite would keep them, so both refuse them alike with a 400 that says
//! why. Ping bodies are bytes and keep every byte, NUL included.

use super::{error_of, get, post};
use serde_json::{Value, json};

/// Every text field of a check that the Management API accepts.
const CHECK_TEXT_FIELDS: [&str; 12] = [
    "name",
    "slug",
    "tags",
    "desc",
    "schedule",
    "tz",
    "subject",
    "subject_fail",
    "start_kw",
    "success_kw",
    "failure_kw",
    "channels",
];

fn nul_message(field: &str) -> String {
    format!("json validation error: {field} must not contain NUL characters (\\u0000)")
}

on_both_backends! {
    async fn nul_in_a_check_text_field_is_refused_on_create_and_update_in_every_version(app) {
        // arrange
        let p = app.project().await;
        let existing = app.create_check(&p, json!({"name": "existing"})).await;
        let uuid = existing["uuid"].as_str().unwrap();
        for field in CHECK_TEXT_FIELDS {
            let body = json!({ field: "a\u{0}b" });
            for version in 1..=3 {
                // act
                let created = post(&app, &p, &format!("/api/v{version}/checks/"), &body).await;
                let updated = post(&app, &p, &format!("/api/v{version}/checks/{uuid}"), &body).await;
                // assert
                assert_eq!(error_of(&created), (400, nul_message(field).as_str()), "create v{version}");
                assert_eq!(error_of(&updated), (400, nul_message(field).as_str()), "update v{version}");
            }
        }
        let (_, list) = get(&app, &p, "/api/v3/checks/").await;
        let names: Vec<&Value> = list["checks"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
        assert_eq!(names, [&json!("existing")], "nothing was created or changed");
    }

    async fn nul_in_list_filters_finds_nothing_instead_of_failing(app) {
        let p = app.project().await;
        app.create_check(&p, json!({"name": "a", "tags": "prod"})).await;
        assert_eq!(get(&app, &p, "/api/v3/checks/?tag=%00&slug=%00").await, (200, json!({"checks": []})));
        assert_eq!(get(&app, &p, "/api/v3/checks/?slug=a%00").await, (200, json!({"checks": []})));
    }

    async fn nul_in_a_channel_name_or_setting_is_refused_on_create_and_update(app) {
        // arrange
        let p = app.project().await;
        let hook = |config: Value| json!({"kind": "webhook", "name": "hook", "config": config});
        let (status, channel) = post(&app, &p, "/api/v3/channels/", &hook(json!({"url_down": "https://example.com/"}))).await;
        assert_eq!(status, 201);
        let id = channel["id"].as_str().unwrap();
        let cases = [
            (json!({"kind": "webhook", "name": "a\u{0}", "config": {"url_down": "https://example.com/"}}),
             "json validation error: name must not contain NUL characters (\\u0000)"),
            (hook(json!({"url_down": "https://example.com/\u{0}"})),
             "json validation error: config.url_down must not contain NUL characters (\\u0000)"),
            (hook(json!({"url_down": "https://example.com/", "body_down": "\u{0}"})),
             "json validation error: config.body_down must not contain NUL characters (\\u0000)"),
            (hook(json!({"url_down": "https://example.com/", "secret": "s\u{0}"})),
             "json validation error: config.secret must not contain NUL characters (\\u0000)"),
            (hook(json!({"url_down": "https://example.com/", "headers_down": {"X-A": "\u{0}"}})),
             "json validation error: config.headers_down.X-A must be one line of at most 1000 bytes, without NUL"),
            (json!({"kind": "email", "config": {"address": "ops\u{0}@example.com"}}),
             "json validation error: config.address must not contain NUL characters (\\u0000)"),
            (json!({"kind": "wecom", "config": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "mentions": ["a\u{0}"]}}),
             "json validation error: config.mentions: an entry must not contain NUL characters (\\u0000)"),
            (json!({"kind": "serverchan", "config": {"sendkey": "SCT\u{0}"}}),
             "json validation error: config.sendkey must not contain NUL characters (\\u0000)"),
        ];
        for (body, message) in cases {
            // act
            let created = post(&app, &p, "/api/v3/channels/", &body).await;
            let updated = post(&app, &p, &format!("/api/v3/channels/{id}"), &body).await;
            // assert
            assert_eq!(error_of(&created), (400, message), "create {body}");
            assert_eq!(error_of(&updated), (400, message), "update {body}");
        }
        let (_, list) = get(&app, &p, "/api/v3/channels/").await;
        assert_eq!(list["channels"].as_array().unwrap().len(), 1, "nothing was created");
        assert_eq!(list["channels"][0]["name"], "hook", "nothing was changed");
    }

    async fn nul_in_the_settings_of_an_auto_provisioned_check_is_refused(app) {
        let p = app.project().await;
        let key = &p.ping_key;
        for (query, field) in [("tz=UTC%00", "tz"), ("schedule=0+*+*+*+*%00", "schedule"), ("channels=%00", "channels")] {
            let (status, body) = app.get_text(&format!("/ping/{key}/nightly?create=1&{query}")).await;
            assert_eq!((status, body.as_str()), (400, nul_message(field).as_str()), "{query}");
        }
        assert_eq!(get(&app, &p, "/api/v3/checks/").await.1, json!({"checks": []}), "no check was created");
    }

    async fn ping_bodies_keep_their_nul_bytes(app) {
        // arrange
        let (_, check) = app.one_check().await;
        let body = b"before\0after\0".to_vec();
        // act
        let r = app.post(&format!("/ping/{}", check.uuid), body.clone()).await;
        // assert
        assert_eq!(r.status(), 200);
        assert_eq!(app.last_ping(&check).await.body.as_deref(), Some(&body[..]));
    }
}
