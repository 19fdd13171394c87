//! The document covers the routes: its paths and methods are exactly the v3 routes, it
//! is served at v3 only, and the methods it leaves out answer 405.

use super::{HTTP_METHODS, document, documented_operations};
use crate::helpers::{Backend, TestApp};
use overdue::http::api::ROUTES;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// The v3 routes as (path, lowercase method) pairs.
fn v3_routes() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .filter(|r| r.versions.contains(&3))
        .flat_map(|r| {
            r.methods
                .iter()
                .map(|m| (r.path.to_string(), m.to_ascii_lowercase()))
        })
        .collect()
}

#[test]
fn paths_and_methods_are_exactly_the_v3_routes() {
    let doc = document();
    let routes = v3_routes();
    let documented = documented_operations(&doc);
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
    // A path item holds nothing but operations, parameters and texts.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for key in item.as_object().unwrap().keys() {
            assert!(
                HTTP_METHODS.contains(&key.as_str())
                    || ["summary", "description", "parameters", "servers"].contains(&key.as_str()),
                "{path}: unexpected key {key}"
            );
        }
    }
}

#[tokio::test]
async fn the_document_is_served_at_v3_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app.get("/api/v3/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let served: Value = r.json().await.expect("served as JSON");
    assert_eq!(served, document());
    for version in [1, 2] {
        let (status, _) = app.get_text(&format!("/api/v{version}/openapi.json")).await;
        assert_eq!(status, 404, "v{version}");
    }
}

/// Each path answers the methods it does not document with 405, as documented.
#[tokio::test]
async fn other_methods_are_not_allowed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document();
    let documented = &doc["components"]["responses"]["MethodNotAllowed"];
    assert!(documented.is_object() && documented.get("content").is_none());
    let id = uuid::Uuid::new_v4().to_string();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let allowed: BTreeSet<String> = item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| HTTP_METHODS.contains(&k.as_str()))
            .map(|k| k.to_ascii_uppercase())
            .collect();
        let url = path
            .replace("{code}", &id)
            .replace("{uuid}", &id)
            .replace("{n}", "1");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if item.get(method.as_str().to_ascii_lowercase()).is_some() {
                continue;
            }
            let r = app
                .http
                .request(method.clone(), app.url(&format!("/api/v3{url}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 405, "{method} {path}");
            // Both headers list the path's methods; OPTIONS (and HEAD with GET) aside.
            for header in ["allow", "access-control-allow-methods"] {
                let listed: BTreeSet<String> = r.headers()[header]
                    .to_str()
                    .unwrap()
                    .split(',')
                    .map(|m| m.trim().to_string())
                    .filter(|m| m != "OPTIONS" && m != "HEAD")
                    .collect();
                assert_eq!(listed, allowed, "{method} {path}: {header}");
            }
            assert_eq!(r.text().await.unwrap(), "", "{method} {path}: empty body");
        }
    }
}
