//! An encoded NUL (`%00`) in any path parameter names nothing: 404, never a 5xx from a
//! database that refuses the text. The API routes come from the router's own table, so a
//! route added later is covered without touching this file.

use crate::helpers::{Backend, TestApp};
use overdue::http::api::ROUTES;
use reqwest::Method;

/// Every path with a parameter, each parameter replaced by `%00`, with every method.
fn api_paths_with_nul() -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for route in ROUTES.iter().filter(|r| r.path.contains('{')) {
        let mut path = String::new();
        let mut rest = route.path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            path.push_str(&rest[..open]);
            path.push_str("%00");
            rest = &rest[close..];
        }
        path.push_str(rest);
        for version in route.versions.clone() {
            for method in route.methods {
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                out.push((method, format!("/api/v{version}{path}")));
            }
        }
    }
    out
}

async fn status(app: &TestApp, method: Method, path: &str, key: Option<&str>) -> u16 {
    let mut req = app.http.request(method, app.url(path));
    if let Some(key) = key {
        req = req
            .header("X-Api-Key", key)
            .header("Authorization", format!("Bearer {key}"));
    }
    req.send().await.unwrap().status().as_u16()
}

async fn encoded_nul_in_any_path_parameter_is_not_found(backend: Backend) {
    // arrange: real keys and objects, so only the NUL can make a path name nothing.
    let app = TestApp::spawn(backend).await;
    let (p, check) = app.one_check().await;
    let channel = app
        .add_channel(
            &p,
            "email",
            "ops",
            serde_json::json!({"address": "ops@example.com"}),
        )
        .await;
    let (ping_key, ro_key) = (&p.ping_key, &p.api_key_readonly);
    let mut cases: Vec<(Method, String, Option<&str>)> = api_paths_with_nul()
        .into_iter()
        .map(|(method, path)| (method, path, Some(p.api_key.as_str())))
        .collect();
    let get = |path: String| (Method::GET, path, None);
    let post = |path: String| (Method::POST, path, None);
    cases.extend([
        get("/b/2/%00.svg".into()),
        get("/b/3/%00.json".into()),
        get(format!("/b/2/{}%00.svg", check.badge_key)),
        get("/badge/%00/x.svg".into()),
        get("/badge/%00/sig/tag.shields".into()),
        get("/unsubscribe/%00/x".into()),
        post("/unsubscribe/%00/x".into()),
        get(format!("/unsubscribe/{}/%00", channel.uuid)),
        post(format!("/unsubscribe/{}/%00", channel.uuid)),
        get(format!("/projects/%00/metrics/{ro_key}")),
        get(format!("/projects/%00/checks/metrics/{ro_key}")),
        (
            Method::GET,
            "/projects/%00/metrics/".into(),
            Some(ro_key.as_str()),
        ),
        get("/ping/%00".into()),
        post("/ping/%00/start".into()),
        get(format!("/ping/{}/%00", check.uuid)),
        get(format!("/ping/{ping_key}/%00")),
        get(format!("/ping/{ping_key}/%00?create=1")),
        get("/ping/%00/nightly".into()),
        get(format!("/ping/{ping_key}/nightly%00/fail")),
        get(format!("/ping/%00{ping_key}/nightly/fail")),
    ]);
    for (method, path, key) in cases {
        // act
        let got = status(&app, method.clone(), &path, key).await;
        // assert
        assert_eq!(got, 404, "{method} {path}");
    }
}

on_both_backends!(fn(Backend): encoded_nul_in_any_path_parameter_is_not_found);
