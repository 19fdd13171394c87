//! Every stored field has a cap. API input over it is refused with a 400 naming the field
//! and the cap; a ping's request details are cut to theirs, since a ping never fails for
//! a long header.

use super::{error_of, get, post};
use serde_json::{Value, json};

fn too_long(field: &str, max: usize) -> String {
    format!("json validation error: {field} is too long (at most {max} characters)")
}

/// `n` distinct short tags, space-separated.
fn tags(n: usize) -> String {
    (0..n)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

on_both_backends! {
    async fn check_fields_over_their_caps_are_refused_naming_field_and_cap(app) {
        let p = app.project().await;
        let cases = [
            (json!({"name": "n".repeat(101)}), too_long("name", 100)),
            (json!({"slug": "s".repeat(101)}), too_long("slug", 100)),
            (json!({"tags": "t".repeat(501)}), too_long("tags", 500)),
            (json!({"tags": tags(51)}), "json validation error: tags has too many tags (at most 50)".into()),
            (json!({"desc": "d".repeat(10_001)}), too_long("desc", 10_000)),
            (json!({"success_kw": "k".repeat(201)}), too_long("success_kw", 200)),
            (json!({"subject_fail": "k".repeat(201)}), too_long("subject_fail", 200)),
            (json!({"schedule": format!("0 0 * * *{}", " ".repeat(92))}), too_long("schedule", 100)),
            (json!({"tz": "Europe/".repeat(10)}), too_long("tz", 64)),
        ];
        for (body, message) in cases {
            assert_eq!(error_of(&post(&app, &p, "/api/v3/checks/", &body).await), (400, message.as_str()));
        }
        assert_eq!(get(&app, &p, "/api/v3/checks/").await.1, json!({"checks": []}));
    }

    async fn check_fields_at_their_caps_are_stored_whole(app) {
        let p = app.project().await;
        let tags = format!("{} {}", tags(49), "x".repeat(500 - tags(49).len() - 1));
        let body = json!({"name": "é".repeat(100), "tags": tags, "desc": "d".repeat(10_000), "failure_kw": "k".repeat(200)});
        let (status, check) = post(&app, &p, "/api/v3/checks/", &body).await;
        assert_eq!(status, 201, "{check}");
        for field in ["name", "tags", "desc", "failure_kw"] {
            assert_eq!(check[field], body[field], "{field}");
        }
    }

    async fn a_slug_derived_from_a_long_name_stays_within_the_slug_cap(app) {
        // arrange: 100 characters that each fold to four ASCII letters ("Ⅷ" is "VIII").
        let p = app.project().await;
        // act
        let (status, check) = post(&app, &p, "/api/v1/checks/", &json!({"name": "Ⅷ".repeat(100)})).await;
        // assert
        assert_eq!(status, 201, "{check}");
        let slug = check["slug"].as_str().unwrap();
        assert_eq!(slug, "viii".repeat(25));
    }

    async fn channel_fields_over_their_caps_are_refused_naming_field_and_cap(app) {
        let p = app.project().await;
        let url = "https://example.com/";
        let many: serde_json::Map<String, Value> = (0..21).map(|i| (format!("X-H{i}"), json!("v"))).collect();
        let cases = [
            (json!({"kind": "webhook", "name": "n".repeat(101), "config": {"url_down": url}}), too_long("name", 100)),
            (json!({"kind": "webhook", "config": {"url_down": url, "body_down": "b".repeat(10_001)}}),
             too_long("config.body_down", 10_000)),
            (json!({"kind": "webhook", "config": {"url_down": url, "headers_down": many}}),
             "json validation error: config.headers_down has too many headers (at most 20)".into()),
            (json!({"kind": "wecom", "config": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                    "mentions": vec!["u"; 51]}}),
             "json validation error: config.mentions has too many entries (at most 50)".into()),
        ];
        for (body, message) in cases {
            assert_eq!(error_of(&post(&app, &p, "/api/v3/channels/", &body).await), (400, message.as_str()));
        }
    }

    async fn a_project_holds_at_most_a_hundred_channels(app) {
        // arrange
        let p = app.project().await;
        for i in 0..100 {
            app.add_channel(&p, "email", &format!("c{i}"), json!({"address": "ops@example.com"})).await;
        }
        // act
        let body = json!({"kind": "email", "config": {"address": "ops@example.com"}});
        let refused = post(&app, &p, "/api/v3/channels/", &body).await;
        // assert
        assert_eq!(error_of(&refused), (403, "channels limit exceeded (at most 100 per project)"));
        assert_eq!(get(&app, &p, "/api/v3/channels/").await.1["channels"].as_array().unwrap().len(), 100);
    }

    async fn long_request_details_of_a_ping_are_cut_and_the_ping_stored(app) {
        // arrange
        let (_, check) = app.one_check().await;
        // act
        let r = app.http.post(app.url(&format!("/ping/{}", check.uuid)))
            .header("user-agent", "u".repeat(10_000))
            .header("x-forwarded-proto", "p".repeat(100_000))
            .header("x-forwarded-for", "9".repeat(100_000))
            .send().await.unwrap();
        // assert
        assert_eq!(r.status(), 200);
        let ping = app.last_ping(&check).await;
        assert_eq!(ping.ua, "u".repeat(200));
        assert_eq!(ping.scheme, "http", "only http or https is stored");
        assert_eq!(ping.remote_addr.as_deref(), Some("127.0.0.1"), "not an address: the peer's is kept");
    }

    async fn a_user_agent_that_is_not_utf8_is_stored_with_replacement_characters(app) {
        let (_, check) = app.one_check().await;
        let latin1 = reqwest::header::HeaderValue::from_bytes(b"caf\xe9/1.0").unwrap();
        let r = app.http.get(app.url(&format!("/ping/{}", check.uuid))).header("user-agent", latin1).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(app.last_ping(&check).await.ua, "caf\u{FFFD}/1.0");
    }

    async fn an_auto_provisioned_slug_over_the_cap_is_refused(app) {
        let p = app.project().await;
        let key = &p.ping_key;
        let (status, body) = app.get_text(&format!("/ping/{key}/{}?create=1", "s".repeat(101))).await;
        assert_eq!((status, body), (400, too_long("slug", 100)));
        assert_eq!(get(&app, &p, "/api/v3/checks/").await.1, json!({"checks": []}));
        assert_eq!(app.get_text(&format!("/ping/{key}/{}?create=1", "s".repeat(100))).await.0, 201);
    }
}
