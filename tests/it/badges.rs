//! Status badges and the badge URL listing, as healthchecks.io clients and READMEs use them.

use crate::helpers::TestApp;
use serde_json::{Value, json};

const SITE_ROOT: &str = "http://localhost:8000";

/// Creates a check through the API; returns its JSON.
/// The badge URLs of the project, keyed by tag.
async fn badge_urls(app: &TestApp, key: &str) -> Value {
    let r = app
        .http
        .get(app.url("/api/v3/badges/"))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["badges"].clone()
}

/// The path of an absolute badge URL, to fetch from the test server.
fn path_of(url: &Value) -> String {
    url.as_str()
        .unwrap()
        .strip_prefix(SITE_ROOT)
        .expect("URL on the site root")
        .to_string()
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A check's badge key, from its `badge_url`.
fn check_badge_key(check: &Value) -> String {
    let url = check["badge_url"].as_str().unwrap();
    url.rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".svg")
        .to_string()
}

on_both_backends! {
    async fn badges_api_lists_all_checks_and_each_tag_with_six_urls(app) {
        // arrange
        let p = app.project().await;
        app.create_check(&p, json!({"name": "a", "tags": "db prod"})).await;
        app.create_check(&p, json!({"name": "b", "tags": "web db"})).await;
        // act
        let badges = badge_urls(&app, &p.api_key_readonly).await;
        // assert
        let mut tags: Vec<&str> = badges.as_object().unwrap().keys().map(String::as_str).collect();
        tags.sort_unstable();
        assert_eq!(tags, ["*", "db", "prod", "web"]);
        for (tag, urls) in badges.as_object().unwrap() {
            let keys: Vec<&str> = urls.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["svg", "svg3", "json", "json3", "shields", "shields3"], "{tag}");
            for url in urls.as_object().unwrap().values() {
                assert!(url.as_str().unwrap().starts_with(&format!("{SITE_ROOT}/badge/")), "{url}");
            }
        }
        assert!(badges["db"]["svg"].as_str().unwrap().contains("-2/db.svg"));
        assert!(badges["db"]["svg3"].as_str().unwrap().ends_with("/db.svg"));
        assert!(!badges["db"]["svg3"].as_str().unwrap().contains("-2/"));
        // Every version has it, with the read-write key too; no key is refused.
        for version in 1..=3 {
            let r = app.http.get(app.url(&format!("/api/v{version}/badges/"))).header("X-Api-Key", &p.api_key).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(header(&r, "access-control-allow-origin"), "*");
        }
        assert_eq!(get_json(&app, "/api/v3/badges/").await, (401, json!({"error": "missing api key"})));
    }

    async fn tag_in_urls_is_percent_encoded_and_still_resolves(app) {
        let p = app.project().await;
        app.create_check(&p, json!({"name": "a", "tags": "café/x"})).await;
        let badges = badge_urls(&app, &p.api_key).await;
        let url = badges["café/x"]["json3"].as_str().unwrap();
        assert!(url.ends_with("/caf%C3%A9%2Fx.json"), "{url}");
        let (status, badge) = get_json(&app, &path_of(&badges["café/x"]["json3"])).await;
        assert_eq!((status, badge["total"].clone()), (200, json!(1)));
    }

    async fn check_in_grace_is_late_in_three_state_and_up_in_two_state(app) {
        // arrange: period 60 s, grace 60 s, pinged, then 90 s pass.
        let p = app.project().await;
        let check = app.create_check(&p, json!({"name": "a", "tags": "db", "timeout": 60, "grace": 60})).await;
        app.ping_check(&check, "").await;
        app.advance(90);
        let badges = badge_urls(&app, &p.api_key).await;
        // act and assert
        let json3 = get_json(&app, &path_of(&badges["db"]["json3"])).await;
        assert_eq!(json3, (200, json!({"status": "late", "total": 1, "grace": 1, "down": 0})));
        let json2 = get_json(&app, &path_of(&badges["db"]["json"])).await;
        assert_eq!(json2, (200, json!({"status": "up", "total": 1, "grace": 1, "down": 0})));
        let shields3 = get_json(&app, &path_of(&badges["db"]["shields3"])).await.1;
        assert_eq!(shields3, json!({"schemaVersion": 1, "label": "db", "message": "late", "color": "important"}));
        let svg3 = app.get(&path_of(&badges["db"]["svg3"])).await;
        assert_eq!(header(&svg3, "content-type"), "image/svg+xml");
        let svg3 = svg3.text().await.unwrap();
        assert!(svg3.contains("#fe7d37") && svg3.contains(">late<"), "{svg3}");
        // Past the grace time it is down in both modes.
        app.advance(60);
        assert_eq!(get_json(&app, &path_of(&badges["db"]["json"])).await.1["status"], "down");
        assert_eq!(get_json(&app, &path_of(&badges["*"]["json3"])).await.1["down"], 1);
    }

    async fn altered_signature_or_unknown_format_is_not_found(app) {
        let p = app.project().await;
        app.create_check(&p, json!({"name": "a", "tags": "db"})).await;
        let badges = badge_urls(&app, &p.api_key).await;
        let shields = path_of(&badges["db"]["shields"]);
        assert_eq!(
            get_json(&app, &shields).await,
            (200, json!({"schemaVersion": 1, "label": "db", "message": "up", "color": "success"}))
        );
        // One signature character changed: /badge/<key>/<sig>-2/db.shields
        let parts: Vec<&str> = shields.split('/').collect();
        let sig = parts[3];
        let first = sig.chars().next().unwrap();
        let altered = format!("{}{}", if first == 'A' { 'B' } else { 'A' }, &sig[1..]);
        let mut tampered = parts.clone();
        tampered[3] = &altered;
        let tampered = tampered.join("/");
        assert_eq!(app.get(&tampered).await.status(), 404);
        // A valid signature for another tag does not open this one.
        let other = shields.replace("/db.shields", "/web.shields");
        assert_eq!(app.get(&other).await.status(), 404);
        assert_eq!(app.get(&shields.replace(".shields", ".xml")).await.status(), 404);
        assert_eq!(app.get(&shields.replace(".shields", "")).await.status(), 404);
        let unknown_key = shields.replace(parts[2], &uuid::Uuid::new_v4().to_string());
        assert_eq!(app.get(&unknown_key).await.status(), 404);
        // The all-checks badge is labelled with the site name.
        let all = get_json(&app, &path_of(&badges["*"]["shields3"])).await;
        assert_eq!(all.1["label"], "Overdue");
        assert_eq!(app.get(&path_of(&badges["*"]["svg3"]).replace(".svg", ".xml")).await.status(), 404);
    }

    async fn tag_badge_counts_only_checks_with_that_exact_tag(app) {
        let p = app.project().await;
        let up = app.create_check(&p, json!({"name": "up", "tags": "prod db"})).await;
        let down = app.create_check(&p, json!({"name": "down", "tags": "dbx"})).await;
        app.create_check(&p, json!({"name": "untagged"})).await;
        app.ping_check(&up, "").await;
        app.ping_check(&down, "/fail").await;
        let badges = badge_urls(&app, &p.api_key).await;
        let db = get_json(&app, &path_of(&badges["db"]["json3"])).await.1;
        assert_eq!(db, json!({"status": "up", "total": 1, "grace": 0, "down": 0}));
        let dbx = get_json(&app, &path_of(&badges["dbx"]["json3"])).await.1;
        assert_eq!(dbx, json!({"status": "down", "total": 1, "grace": 0, "down": 1}));
        let all = get_json(&app, &path_of(&badges["*"]["json"])).await.1;
        assert_eq!(all, json!({"status": "down", "total": 3, "grace": 0, "down": 1}));
    }

    async fn new_paused_and_running_checks_count_by_their_underlying_status(app) {
        let p = app.project().await;
        app.create_check(&p, json!({"name": "new", "tags": "t"})).await;
        let paused = app.create_check(&p, json!({"name": "paused", "tags": "t"})).await;
        let running = app.create_check(&p, json!({"name": "running", "tags": "t", "timeout": 60, "grace": 600})).await;
        let r = app.http.post(app.url(&format!("/api/v3/checks/{}/pause", paused["uuid"].as_str().unwrap())))
            .header("X-Api-Key", &p.api_key).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.ping_check(&running, "").await;
        app.ping_check(&running, "/start").await;
        let badges = badge_urls(&app, &p.api_key).await;
        let t = get_json(&app, &path_of(&badges["t"]["json3"])).await.1;
        assert_eq!(t, json!({"status": "up", "total": 3, "grace": 0, "down": 0}));
        // The running check's underlying status is late once its period has passed.
        app.advance(120);
        let t = get_json(&app, &path_of(&badges["t"]["json3"])).await.1;
        assert_eq!(t, json!({"status": "late", "total": 3, "grace": 1, "down": 0}));
    }

    async fn check_badge_is_svg_and_reports_down_in_json(app) {
        // arrange
        let p = app.project().await;
        let check = app.create_check(&p, json!({"name": "Nightly <backup>"})).await;
        let key = check_badge_key(&check);
        // act
        let r = app.get(&format!("/b/2/{key}.svg")).await;
        // assert
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-type"), "image/svg+xml");
        let svg = r.text().await.unwrap();
        assert!(svg.contains("Nightly &lt;backup&gt;") && svg.contains("#4c1"), "{svg}");
        app.ping_check(&check, "/fail").await;
        let (status, badge) = get_json(&app, &format!("/b/3/{key}.json")).await;
        assert_eq!((status, badge), (200, json!({"status": "down", "total": 1, "grace": 0, "down": 1})));
        let shields = get_json(&app, &format!("/b/2/{key}.shields")).await.1;
        assert_eq!(shields, json!({"schemaVersion": 1, "label": "Nightly <backup>", "message": "down", "color": "critical"}));
        assert_eq!(app.get(&format!("/b/2/{key}.xml")).await.status(), 404);
        assert_eq!(app.get(&format!("/b/2/{}.svg", uuid::Uuid::new_v4())).await.status(), 404);
    }

    async fn check_badge_states_other_than_three_are_two_state(app) {
        let p = app.project().await;
        let check = app.create_check(&p, json!({"timeout": 60, "grace": 60})).await;
        let key = check_badge_key(&check);
        app.ping_check(&check, "").await;
        app.advance(90);
        assert_eq!(get_json(&app, &format!("/b/3/{key}.json")).await.1["status"], "late");
        assert_eq!(get_json(&app, &format!("/b/2/{key}.json")).await.1["status"], "up");
        assert_eq!(get_json(&app, &format!("/b/7/{key}.json")).await.1["status"], "up");
        // An unnamed check is labelled with its uuid.
        let shields = get_json(&app, &format!("/b/3/{key}.shields")).await.1;
        assert_eq!(shields["label"], check["uuid"]);
    }

    async fn badges_are_never_cached_and_open_to_any_origin(app) {
        let p = app.project().await;
        let check = app.create_check(&p, json!({"name": "a"})).await;
        let badges = badge_urls(&app, &p.api_key).await;
        let paths = [path_of(&badges["*"]["svg"]), format!("/b/2/{}.json", check_badge_key(&check))];
        for path in paths {
            let r = app.get(&path).await;
            assert_eq!(r.status(), 200, "{path}");
            assert_eq!(header(&r, "cache-control"), "max-age=0, no-cache, no-store, must-revalidate, private");
            assert_eq!(header(&r, "access-control-allow-origin"), "*");
        }
    }
}

mod secret {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    use overdue::state::AppState;
    use sha2::Sha256;

    /// A signature any holder of one badge URL could compute: keyed by the badge key
    /// the URL shows.
    fn forged(badge_key: &str, tag: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(badge_key.as_bytes()).unwrap();
        mac.update(tag.as_bytes());
        let mut sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        sig.truncate(8);
        sig
    }

    on_both_backends! {
        async fn badge_urls_are_signed_with_the_server_secret_not_the_badge_key(app) {
            let p = app.project().await;
            app.create_check(&p, json!({"name": "a", "tags": "db"})).await;
            let badges = badge_urls(&app, &p.api_key).await;
            let real = path_of(&badges["db"]["svg3"]);
            assert_eq!(app.get(&real).await.status(), 200);
            // /badge/<badge key>/<sig>/db.svg
            let badge_key = real.split('/').nth(2).unwrap().to_string();

            for (sig, file) in [(forged(&badge_key, "db"), "db.svg"), (forged(&badge_key, "*"), "x")] {
                let path = if file == "x" {
                    format!("/badge/{badge_key}/{sig}.svg")
                } else {
                    format!("/badge/{badge_key}/{sig}/{file}")
                };
                assert_eq!(app.get(&path).await.status(), 404, "{path}");
            }

            // Another process (or a restart) on the same database signs alike.
            let config = (*app.state.config).clone();
            let other = AppState::new(app.db().clone(), config, app.state.clock.clone()).unwrap();
            assert_eq!(other.secret_key().await.unwrap(), app.state.secret_key().await.unwrap());
        }

        async fn an_operator_secret_signs_instead_of_the_stored_one(app) {
            let mut config = (*app.state.config).clone();
            config.secret_key = "operator-chosen-secret".into();
            let with_secret = AppState::new(app.db().clone(), config, app.state.clock.clone()).unwrap();
            assert_eq!(with_secret.secret_key().await.unwrap(), "operator-chosen-secret");
            assert_ne!(app.state.secret_key().await.unwrap(), "operator-chosen-secret");
        }
    }
}
