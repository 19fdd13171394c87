//! The Prometheus endpoint: who may scrape it, and what it exports.

use crate::helpers::TestApp;
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};

/// A check's read-only alias, as the exporter labels it.
async fn unique_key(app: &TestApp, check: &Value) -> String {
    let row = overdue::store::checks::find_by_uuid(
        app.db(),
        &check["uuid"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    row.unique_key
}

/// Scrapes with the key in the path; returns the status and body.
async fn scrape(app: &TestApp, p: &CreatedProject, key: &str) -> (u16, String) {
    app.get_text(&format!("/projects/{}/metrics/{key}", p.uuid))
        .await
}

async fn scrape_bearer(app: &TestApp, project_uuid: &str, authorization: Option<&str>) -> u16 {
    let mut req = app
        .http
        .get(app.url(&format!("/projects/{project_uuid}/metrics/")));
    if let Some(value) = authorization {
        req = req.header("Authorization", value);
    }
    req.send().await.unwrap().status().as_u16()
}

/// The value of the one sample line that starts with `series`.
fn sample(text: &str, series: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .map(|l| l[series.len() + 1..].to_string())
}

on_both_backends! {
    async fn read_only_key_scrapes_gauges_labelled_like_healthchecks(app) {
        // arrange
        let p = app.project().await;
        let check = app.create_check(&p, json!({"name": "Backups", "tags": "db prod"})).await;
        app.ping_check(&check, "").await;
        let key = unique_key(&app, &check).await;
        // act
        let r = app.get(&format!("/projects/{}/metrics/{}", p.uuid, p.api_key_readonly)).await;
        // assert
        assert_eq!(r.status(), 200);
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = r.text().await.unwrap();
        let labels = format!("{{name=\"Backups\", tags=\"db prod\", unique_key=\"{key}\"}}");
        assert!(text.contains(&format!("hc_check_up{labels} 1\n")), "{text}");
        assert!(text.contains(&format!("hc_check_started{labels} 0\n")));
        assert!(text.contains(&format!("hc_check_grace{labels} 0\n")));
        assert!(text.contains(&format!("hc_check_paused{labels} 0\n")));
        assert!(text.contains("hc_tag_up{tag=\"db\"} 1\n") && text.contains("hc_tag_up{tag=\"prod\"} 1\n"));
        assert!(text.contains("hc_checks_total 1\n"));
        assert!(text.contains("hc_checks_down_total 0\n"));
        assert!(text.contains("# HELP hc_check_up ") && text.contains("# TYPE hc_check_up gauge\n"));
        // The legacy path answers the same.
        let legacy = app.get_text(&format!("/projects/{}/checks/metrics/{}", p.uuid, p.api_key_readonly)).await;
        assert_eq!(legacy, (200, text));
    }

    async fn only_this_projects_read_only_key_is_accepted(app) {
        let p = app.project().await;
        let other = app.project().await;
        assert_eq!(scrape(&app, &p, &p.api_key).await.0, 403, "read-write key");
        assert_eq!(scrape(&app, &p, &other.api_key_readonly).await.0, 403, "another project's key");
        assert_eq!(scrape(&app, &p, &"x".repeat(32)).await.0, 403, "unknown key");
        assert_eq!(scrape(&app, &p, &"x".repeat(31)).await.0, 400, "short key");
        assert_eq!(scrape(&app, &p, &"x".repeat(33)).await.0, 400, "long key");
        let unknown_project = uuid::Uuid::new_v4().to_string();
        let (status, _) = app.get_text(&format!("/projects/{unknown_project}/metrics/{}", p.api_key_readonly)).await;
        assert_eq!(status, 403, "unknown project");
        assert_eq!(scrape(&app, &p, &p.api_key_readonly).await.0, 200);
    }

    async fn bearer_form_checks_the_key_the_same_way(app) {
        let p = app.project().await;
        let other = app.project().await;
        assert_eq!(scrape_bearer(&app, &p.uuid, Some(&format!("Bearer {}", p.api_key_readonly))).await, 200);
        assert_eq!(scrape_bearer(&app, &p.uuid, None).await, 401);
        assert_eq!(scrape_bearer(&app, &p.uuid, Some(&format!("Basic {}", p.api_key_readonly))).await, 401);
        assert_eq!(scrape_bearer(&app, &p.uuid, Some(&format!("Bearer {}", p.api_key))).await, 403);
        assert_eq!(scrape_bearer(&app, &p.uuid, Some(&format!("Bearer {}", other.api_key_readonly))).await, 403);
        assert_eq!(scrape_bearer(&app, &p.uuid, Some("Bearer short")).await, 400);
    }

    async fn added_gauges_report_ping_age_duration_and_ping_count(app) {
        // arrange: a run of 3 s, then 90 s pass; another check is never pinged.
        let p = app.project().await;
        let check = app.create_check(&p, json!({"name": "run"})).await;
        app.create_check(&p, json!({"name": "never"})).await;
        app.ping_check(&check, "/start").await;
        app.advance(3);
        app.ping_check(&check, "").await;
        app.advance(90);
        let key = unique_key(&app, &check).await;
        // act
        let (status, text) = scrape(&app, &p, &p.api_key_readonly).await;
        // assert
        assert_eq!(status, 200);
        let labels = format!("{{name=\"run\", tags=\"\", unique_key=\"{key}\"}}");
        assert_eq!(sample(&text, &format!("hc_check_last_ping_age_seconds{labels}")).as_deref(), Some("90"));
        assert_eq!(sample(&text, &format!("hc_check_last_duration_seconds{labels}")).as_deref(), Some("3"));
        assert_eq!(sample(&text, &format!("hc_check_pings_total{labels}")).as_deref(), Some("2"));
        assert!(text.contains("# TYPE hc_check_pings_total counter\n"));
        assert!(text.contains("# TYPE hc_check_last_ping_age_seconds gauge\n"));
        assert!(!text.contains("hc_check_last_ping_age_seconds{name=\"never\""), "{text}");
        assert!(!text.contains("hc_check_last_duration_seconds{name=\"never\""));
        assert!(text.contains("hc_check_pings_total{name=\"never\""));
    }

    async fn statuses_follow_the_app_clock(app) {
        // arrange
        let p = app.project().await;
        let late = app.create_check(&p, json!({"name": "late", "tags": "a", "timeout": 60, "grace": 60})).await;
        let down = app.create_check(&p, json!({"name": "down", "tags": "a b"})).await;
        let running = app.create_check(&p, json!({"name": "running", "tags": "b"})).await;
        let paused = app.create_check(&p, json!({"name": "paused", "tags": "c"})).await;
        app.ping_check(&late, "").await;
        app.ping_check(&down, "/fail").await;
        app.ping_check(&running, "/start").await;
        let r = app.http.post(app.url(&format!("/api/v3/checks/{}/pause", paused["uuid"].as_str().unwrap())))
            .header("X-Api-Key", &p.api_key).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.advance(90);
        // act
        let (_, text) = scrape(&app, &p, &p.api_key_readonly).await;
        // assert
        let value = |metric: &str, check: &Value| -> String {
            let prefix = format!("{metric}{{name=\"{}\"", check["name"].as_str().unwrap());
            let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{prefix} in {text}"));
            line.rsplit(' ').next().unwrap().to_string()
        };
        assert_eq!((value("hc_check_up", &late), value("hc_check_grace", &late)), ("1".into(), "1".into()));
        assert_eq!(value("hc_check_up", &down), "0");
        assert_eq!((value("hc_check_started", &running), value("hc_check_up", &running)), ("1".into(), "1".into()));
        assert_eq!((value("hc_check_paused", &paused), value("hc_check_up", &paused)), ("1".into(), "1".into()));
        assert_eq!(sample(&text, "hc_tag_up{tag=\"a\"}").as_deref(), Some("0"));
        assert_eq!(sample(&text, "hc_tag_up{tag=\"b\"}").as_deref(), Some("0"));
        assert_eq!(sample(&text, "hc_tag_up{tag=\"c\"}").as_deref(), Some("1"));
        assert_eq!(sample(&text, "hc_checks_total").as_deref(), Some("4"));
        assert_eq!(sample(&text, "hc_checks_down_total").as_deref(), Some("1"));
        // Past its grace time the late check is down too.
        app.advance(60);
        let (_, text) = scrape(&app, &p, &p.api_key_readonly).await;
        assert_eq!(sample(&text, "hc_checks_down_total").as_deref(), Some("2"));
    }

    async fn label_values_are_escaped(app) {
        let p = app.project().await;
        app.create_check(&p, json!({"name": "say \"hi\" \\ bye"})).await;
        let (_, text) = scrape(&app, &p, &p.api_key_readonly).await;
        assert!(text.contains("hc_check_up{name=\"say \\\"hi\\\" \\\\ bye\", tags=\"\""), "{text}");
    }
}
