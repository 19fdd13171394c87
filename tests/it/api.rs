//! The Management API as healthchecks.io clients use it.

use crate::helpers::TestApp;
use overdue::domain::channel_config::ChannelKind;
use overdue::store::channels::{self, ChannelFields};
use overdue::store::projects::CreatedProject;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends an API request with `key` in `X-Api-Key` (if any); returns status and JSON body
/// (`Value::Null` when the body is not JSON).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.http.request(method, app.url(path));
    if let Some(key) = key {
        req = req.header("X-Api-Key", key);
    }
    if let Some(body) = body {
        req = req.body(body.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    call(app, Method::GET, path, Some(key), None).await
}

async fn post(app: &TestApp, path: &str, key: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, path, Some(key), Some(body)).await
}

async fn create(app: &TestApp, p: &CreatedProject, body: Value) -> Value {
    let (status, check) = post(app, "/api/v3/checks/", &p.api_key, body).await;
    assert_eq!(status, 201, "{check}");
    check
}

async fn channel(app: &TestApp, p: &CreatedProject, name: &str) -> String {
    let fields = ChannelFields {
        kind: ChannelKind::Webhook,
        name: name.into(),
        config: "{}".into(),
        notify_up: true,
        notify_down: true,
    };
    channels::create(app.db(), p.id, &fields, app.now())
        .await
        .unwrap()
        .uuid
        .to_string()
}

fn uuid_of(check: &Value) -> String {
    check["uuid"].as_str().unwrap().to_string()
}

on_both_backends! {
    async fn keys_are_required_and_checked(app) {
        let p = app.project().await;
        assert_eq!(call(&app, Method::GET, "/api/v3/checks/", None, None).await, (401, json!({"error": "missing api key"})));
        assert_eq!(get(&app, "/api/v3/checks/", &"x".repeat(31)).await, (401, json!({"error": "missing api key"})));
        assert_eq!(get(&app, "/api/v3/checks/", &"x".repeat(32)).await, (401, json!({"error": "wrong api key"})));
        assert_eq!(get(&app, "/api/v3/checks/", &p.api_key).await, (200, json!({"checks": []})));
        // A POST body's api_key is used when the header is absent.
        let body = json!({"api_key": p.api_key, "name": "From body"});
        let (status, check) = call(&app, Method::POST, "/api/v3/checks/", None, Some(body)).await;
        assert_eq!((status, check["name"].clone()), (201, json!("From body")));
    }

    async fn create_gives_the_check_json_with_v3_and_v1_slugs(app) {
        let p = app.project().await;
        let check = create(&app, &p, json!({"name": "Backups", "timeout": 3600, "grace": 60})).await;
        assert_eq!(check["status"], "new");
        assert_eq!((check["timeout"].clone(), check["grace"].clone()), (json!(3600), json!(60)));
        assert_eq!((check["slug"].clone(), check["channels"].clone()), (json!(""), json!("")));
        let uuid = uuid_of(&check);
        assert_eq!(check["ping_url"], format!("http://localhost:8000/ping/{uuid}"));
        assert_eq!(check["update_url"], format!("http://localhost:8000/api/v3/checks/{uuid}"));
        assert_eq!(check["pause_url"], format!("http://localhost:8000/api/v3/checks/{uuid}/pause"));
        assert_eq!(check["last_ping"], Value::Null);
        assert!(check.get("schedule").is_none());
        let keys: Vec<&str> = check.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(&keys[..6], ["name", "slug", "tags", "desc", "grace", "n_pings"]);

        let (status, v1) = post(&app, "/api/v1/checks/", &p.api_key, json!({"name": "Nightly Backups"})).await;
        assert_eq!((status, v1["slug"].clone()), (201, json!("nightly-backups")));
        assert!(v1["update_url"].as_str().unwrap().contains("/api/v1/checks/"));
    }

    async fn unique_upserts_instead_of_duplicating(app) {
        let p = app.project().await;
        let first = create(&app, &p, json!({"name": "Backups"})).await;
        let (status, again) = post(&app, "/api/v3/checks/", &p.api_key, json!({"name": "Backups", "unique": ["name"], "timeout": 120})).await;
        assert_eq!(status, 200);
        assert_eq!(uuid_of(&again), uuid_of(&first));
        assert_eq!(again["timeout"], 120);
        let (_, list) = get(&app, "/api/v3/checks/", &p.api_key).await;
        assert_eq!(list["checks"].as_array().unwrap().len(), 1);
    }

    async fn schedules_and_time_zones_are_stored_and_shown(app) {
        let p = app.project().await;
        let check = create(&app, &p, json!({"schedule": "0 9 * * *", "tz": "Europe/Riga"})).await;
        assert_eq!((check["schedule"].clone(), check["tz"].clone()), (json!("0 9 * * *"), json!("Europe/Riga")));
        assert!(check.get("timeout").is_none());
        let check = create(&app, &p, json!({"schedule": "*-*-* 02:00"})).await;
        assert_eq!(check["schedule"], "*-*-* 02:00");
    }

    async fn cron_aliases_are_accepted_as_the_readme_says(app) {
        let p = app.project().await;
        for alias in ["@hourly", "@daily", "@weekly", "@monthly", "@yearly"] {
            let check = create(&app, &p, json!({"name": alias, "schedule": alias})).await;
            assert_eq!(check["schedule"], alias);
            assert!(check["next_ping"].is_null(), "a new check has no deadline yet");
        }
        let (status, body) = post(&app, "/api/v3/checks/", &p.api_key, json!({"schedule": "@reboot"})).await;
        assert_eq!((status, body["error"].clone()), (400, json!("json validation error: schedule is not a valid cron or OnCalendar expression")));
    }

    async fn channels_field_assigns_all_none_or_named(app) {
        let p = app.project().await;
        let a = channel(&app, &p, "ops").await;
        let b = channel(&app, &p, "dev").await;
        let mut both = [a.clone(), b.clone()];
        both.sort();
        let check = create(&app, &p, json!({"channels": "*"})).await;
        assert_eq!(check["channels"], both.join(","));
        let uuid = uuid_of(&check);
        let (_, check) = post(&app, &format!("/api/v3/checks/{uuid}"), &p.api_key, json!({"channels": "ops"})).await;
        assert_eq!(check["channels"], a);
        let (_, check) = post(&app, &format!("/api/v3/checks/{uuid}"), &p.api_key, json!({"channels": ""})).await;
        assert_eq!(check["channels"], "");
        let (_, list) = get(&app, "/api/v3/channels/", &p.api_key).await;
        assert_eq!(list["channels"][0], json!({"id": a, "name": "ops", "kind": "webhook"}));
    }

    async fn update_is_partial_and_recomputes_the_deadline(app) {
        let p = app.project().await;
        let check = create(&app, &p, json!({"name": "Backups", "tags": "prod", "timeout": 3600, "grace": 60})).await;
        let uuid = uuid_of(&check);
        app.get(&format!("/ping/{uuid}")).await;
        let (status, check) = post(&app, &format!("/api/v3/checks/{uuid}"), &p.api_key, json!({"timeout": 7200})).await;
        assert_eq!(status, 200);
        assert_eq!((check["name"].clone(), check["tags"].clone(), check["timeout"].clone()), (json!("Backups"), json!("prod"), json!(7200)));
        let row = overdue::store::checks::find_by_uuid(app.db(), &uuid.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(row.alert_after.unwrap(), app.now() + chrono::TimeDelta::seconds(7200 + 60));
        assert_eq!(check["next_ping"], overdue::views::time::iso_seconds(app.now() + chrono::TimeDelta::seconds(7200)));
    }

    async fn read_only_key_reads_but_never_writes(app) {
        let p = app.project().await;
        let check = create(&app, &p, json!({"name": "Backups"})).await;
        let (status, list) = get(&app, "/api/v3/checks/", &p.api_key_readonly).await;
        assert_eq!(status, 200);
        let shown = &list["checks"][0];
        for hidden in ["uuid", "ping_url", "update_url", "channels"] {
            assert!(shown.get(hidden).is_none(), "{hidden} hidden from read-only keys");
        }
        let unique_key = shown["unique_key"].as_str().unwrap().to_string();
        assert_eq!(unique_key.len(), 40);
        let (status, by_key) = get(&app, &format!("/api/v3/checks/{unique_key}"), &p.api_key_readonly).await;
        assert_eq!((status, by_key["name"].clone()), (200, json!("Backups")));
        let (status, _) = get(&app, &format!("/api/v3/checks/{unique_key}/flips/"), &p.api_key_readonly).await;
        assert_eq!(status, 200);

        let wrong = (401, json!({"error": "wrong api key"}));
        assert_eq!(post(&app, "/api/v3/checks/", &p.api_key_readonly, json!({"name": "x"})).await, wrong);
        assert_eq!(get(&app, &format!("/api/v3/checks/{}/pings/", uuid_of(&check)), &p.api_key_readonly).await, wrong);
        assert_eq!(get(&app, "/api/v3/channels/", &p.api_key_readonly).await, wrong);
        assert_eq!(call(&app, Method::DELETE, &format!("/api/v3/checks/{}", uuid_of(&check)), Some(&p.api_key_readonly), None).await, wrong);
    }

    async fn another_projects_key_is_forbidden_everywhere(app) {
        let mine = app.project().await;
        let theirs = app.project().await;
        let check = create(&app, &mine, json!({"name": "Mine"})).await;
        let uuid = uuid_of(&check);
        app.get(&format!("/ping/{uuid}")).await;
        let key = &theirs.api_key;
        for (method, path) in [
            (Method::GET, format!("/api/v3/checks/{uuid}")),
            (Method::POST, format!("/api/v3/checks/{uuid}")),
            (Method::DELETE, format!("/api/v3/checks/{uuid}")),
            (Method::POST, format!("/api/v3/checks/{uuid}/pause")),
            (Method::POST, format!("/api/v3/checks/{uuid}/resume")),
            (Method::GET, format!("/api/v3/checks/{uuid}/pings/")),
            (Method::GET, format!("/api/v3/checks/{uuid}/pings/1/body")),
            (Method::GET, format!("/api/v3/checks/{uuid}/flips/")),
        ] {
            let (status, _) = call(&app, method.clone(), &path, Some(key), None).await;
            assert_eq!(status, 403, "{method} {path}");
        }
        // Their list and their unique-key lookups never show my check.
        let (_, list) = get(&app, "/api/v3/checks/", key).await;
        assert_eq!(list["checks"], json!([]));
        let unique_key = overdue::store::checks::find_by_uuid(app.db(), &uuid.parse().unwrap()).await.unwrap().unwrap().unique_key;
        assert_eq!(get(&app, &format!("/api/v3/checks/{unique_key}"), &theirs.api_key_readonly).await.0, 404);
        let (_, row) = get(&app, &format!("/api/v3/checks/{uuid}"), &mine.api_key).await;
        assert_eq!(row["status"], "up", "nothing changed");
        assert_eq!(get(&app, &format!("/api/v3/checks/{}", uuid::Uuid::new_v4()), key).await.0, 404);
    }

    async fn pause_resume_and_delete(app) {
        let p = app.project().await;
        let check = create(&app, &p, json!({"name": "Backups"})).await;
        let uuid = uuid_of(&check);
        app.get(&format!("/ping/{uuid}")).await;
        let (status, paused) = post(&app, &format!("/api/v3/checks/{uuid}/pause"), &p.api_key, json!({})).await;
        assert_eq!((status, paused["status"].clone()), (200, json!("paused")));
        assert_eq!(post(&app, &format!("/api/v3/checks/{uuid}/pause"), &p.api_key, json!({})).await.0, 200);
        let (status, resumed) = post(&app, &format!("/api/v3/checks/{uuid}/resume"), &p.api_key, json!({})).await;
        assert_eq!((status, resumed["status"].clone(), resumed["last_ping"].clone()), (200, json!("new"), Value::Null));
        let r = app.http.post(app.url(&format!("/api/v3/checks/{uuid}/resume"))).header("X-Api-Key", &p.api_key).send().await.unwrap();
        assert_eq!(r.status(), 409);
        assert_eq!(r.text().await.unwrap(), "check is not paused");
        let (_, flips) = get(&app, &format!("/api/v3/checks/{uuid}/flips/"), &p.api_key).await;
        assert_eq!(flips["flips"].as_array().unwrap().len(), 3, "up, paused, new: {flips}");

        let (status, deleted) = call(&app, Method::DELETE, &format!("/api/v3/checks/{uuid}"), Some(&p.api_key), None).await;
        assert_eq!((status, deleted["name"].clone()), (200, json!("Backups")));
        assert_eq!(app.get_text(&format!("/ping/{uuid}")).await.0, 404);
        assert_eq!(get(&app, &format!("/api/v3/checks/{uuid}"), &p.api_key).await.0, 404);
    }

    async fn pings_list_bodies_and_durations(app) {
        let p = app.project().await;
        let uuid = uuid_of(&create(&app, &p, json!({"name": "Backups"})).await);
        app.get(&format!("/ping/{uuid}/start")).await;
        app.clock.advance(chrono::TimeDelta::milliseconds(2_345));
        app.post(&format!("/ping/{uuid}"), "hello world").await;
        let (status, pings) = get(&app, &format!("/api/v3/checks/{uuid}/pings/"), &p.api_key).await;
        assert_eq!(status, 200);
        let latest = &pings["pings"][0];
        assert_eq!((latest["type"].clone(), latest["n"].clone(), latest["method"].clone()), (json!("success"), json!(2), json!("POST")));
        assert_eq!(latest["duration"], json!(2.35));
        assert_eq!(pings["pings"][1]["type"], "start");
        assert_eq!(pings["pings"][1]["body_url"], Value::Null);
        let body_url = latest["body_url"].as_str().unwrap();
        let path = body_url.strip_prefix("http://localhost:8000").unwrap();
        let r = app.http.get(app.url(path)).header("X-Api-Key", &p.api_key).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        assert_eq!(r.text().await.unwrap(), "hello world");
        assert_eq!(get(&app, &format!("/api/v3/checks/{uuid}/pings/1/body"), &p.api_key).await.0, 404, "no body");
        assert_eq!(get(&app, &format!("/api/v3/checks/{uuid}/pings/99/body"), &p.api_key).await.0, 404);
    }

    async fn flips_filter_by_time(app) {
        let p = app.project().await;
        let uuid = uuid_of(&create(&app, &p, json!({"name": "Backups"})).await);
        app.get(&format!("/ping/{uuid}")).await;
        app.advance(7200);
        app.get(&format!("/ping/{uuid}/fail")).await;
        let (status, flips) = get(&app, &format!("/api/v3/checks/{uuid}/flips/?seconds=3600"), &p.api_key).await;
        assert_eq!(status, 200);
        let expected_ts = overdue::views::time::iso_seconds(app.now());
        assert_eq!(flips, json!({"flips": [{"timestamp": expected_ts, "up": 0}]}));
        let (_, all) = get(&app, &format!("/api/v3/checks/{uuid}/flips/"), &p.api_key).await;
        assert_eq!(all["flips"].as_array().unwrap().len(), 2);
        assert_eq!(all["flips"][1]["up"], 1);
        assert_eq!(get(&app, &format!("/api/v3/checks/{uuid}/flips/?seconds=-1"), &p.api_key).await.0, 400);
        assert_eq!(get(&app, &format!("/api/v3/checks/{uuid}/flips/?start=abc"), &p.api_key).await.0, 400);
    }

    async fn list_filters_by_tags_and_slug(app) {
        let p = app.project().await;
        create(&app, &p, json!({"name": "a", "slug": "a", "tags": "prod db"})).await;
        create(&app, &p, json!({"name": "b", "slug": "b", "tags": "prod"})).await;
        create(&app, &p, json!({"name": "c", "slug": "c", "tags": "production"})).await;
        let names = |v: Value| v["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(names(get(&app, "/api/v3/checks/?tag=prod", &p.api_key).await.1), ["a", "b"]);
        assert_eq!(names(get(&app, "/api/v3/checks/?tag=prod&tag=db", &p.api_key).await.1), ["a"]);
        assert_eq!(names(get(&app, "/api/v3/checks/?slug=c", &p.api_key).await.1), ["c"]);
    }

    async fn v1_reports_running_checks_as_started(app) {
        let p = app.project().await;
        let uuid = uuid_of(&create(&app, &p, json!({"name": "Backups"})).await);
        app.get(&format!("/ping/{uuid}")).await;
        app.get(&format!("/ping/{uuid}/start")).await;
        let (_, v1) = get(&app, &format!("/api/v1/checks/{uuid}"), &p.api_key).await;
        let (_, v3) = get(&app, &format!("/api/v3/checks/{uuid}"), &p.api_key).await;
        assert_eq!((v1["status"].clone(), v3["status"].clone(), v3["started"].clone()), (json!("started"), json!("up"), json!(true)));
    }

    async fn cors_options_and_unknown_methods(app) {
        let r = app.http.request(Method::OPTIONS, app.url("/api/v3/checks/")).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(r.headers()["access-control-allow-headers"], "X-Api-Key");
        assert_eq!(r.headers()["access-control-max-age"], "600");
        assert_eq!(r.headers()["access-control-allow-methods"], "GET, POST, OPTIONS");
        let r = app.http.put(app.url("/api/v3/checks/")).send().await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(app.get_text("/api/v3/status/").await, (200, "OK".into()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_past_the_check_limit_is_forbidden() {
    for backend in [
        crate::helpers::Backend::Sqlite,
        crate::helpers::Backend::Postgres,
    ] {
        let app = TestApp::spawn_with(backend, |c| c.check_limit = 1).await;
        let p = app.project().await;
        create(&app, &p, json!({"name": "one"})).await;
        assert_eq!(
            post(&app, "/api/v3/checks/", &p.api_key, json!({"name": "two"})).await,
            (403, json!({"error": "checks limit exceeded"}))
        );
        // An upsert of an existing check is not a new check.
        assert_eq!(
            post(
                &app,
                "/api/v3/checks/",
                &p.api_key,
                json!({"name": "one", "unique": ["name"]})
            )
            .await
            .0,
            200
        );
    }
}

/// With the default floor of 60 seconds, as healthchecks.io has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_the_field() {
    for backend in [
        crate::helpers::Backend::Sqlite,
        crate::helpers::Backend::Postgres,
    ] {
        let app = TestApp::spawn_with(backend, |c| c.min_timeout = 60).await;

        let p = app.project().await;
        let cases = [
            (
                json!({"timeout": 59}),
                "json validation error: timeout is too small",
            ),
            (
                json!({"timeout": 31_536_001}),
                "json validation error: timeout is too large",
            ),
            (
                json!({"timeout": "60"}),
                "json validation error: timeout is not a number",
            ),
            (
                json!({"name": null}),
                "json validation error: name is not a string",
            ),
            (
                json!({"schedule": "* * * *"}),
                "json validation error: schedule is not a valid cron or OnCalendar expression",
            ),
            (
                json!({"tz": "Mars/Base"}),
                "json validation error: tz is not a valid timezone",
            ),
            (
                json!({"channels": "nope"}),
                "invalid channel identifier: nope",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(
                post(&app, "/api/v3/checks/", &p.api_key, body.clone()).await,
                (400, json!({"error": message})),
                "{body}"
            );
        }
        let raw = |body: &'static str| {
            let app = &app;
            let key = p.api_key.clone();
            async move {
                let r = app
                    .http
                    .post(app.url("/api/v3/checks/"))
                    .header("X-Api-Key", key)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        assert_eq!(
            raw("[1]").await,
            (
                400,
                json!({"error": "json validation error: value is not an object"})
            )
        );
        assert_eq!(
            raw("{").await,
            (400, json!({"error": "could not parse request body"}))
        );
        let (_, list) = get(&app, "/api/v3/checks/", &p.api_key).await;
        assert_eq!(list["checks"], json!([]), "nothing was created");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_minimum_timeout_admits_fast_heartbeats() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| c.min_timeout = 5).await;
    let p = app.project().await;
    let check = create(&app, &p, json!({"timeout": 5, "grace": 5})).await;
    assert_eq!(
        (check["timeout"].clone(), check["grace"].clone()),
        (json!(5), json!(5))
    );
    let (status, body) = post(&app, "/api/v3/checks/", &p.api_key, json!({"timeout": 4})).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "json validation error: timeout is too small"})
        )
    );
}
