//! The Management API's OpenAPI document (`src/http/api/openapi.json`), kept true: its
//! paths and methods are exactly the v3 ones of `ROUTES`, its references resolve, and
//! what the running app answers matches the schemas it documents, status for status.

use crate::helpers::TestApp;
use overdue::domain::channel_config::KINDS;
use overdue::http::api::ROUTES;
use overdue::http::api::openapi::DOCUMENT;
use overdue::store::channels::{self, ChannelFields};
use reqwest::Method;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The keys of a path item that are operations.
const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

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

/// The document's operations as (path, method) pairs.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|k| HTTP_METHODS.contains(&k.as_str()))
                .map(|m| (path.clone(), m.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Follows a local `$ref` (`#/a/b`) to what it names; anything else is returned as is.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = r
                .strip_prefix('#')
                .and_then(|p| doc.pointer(p))
                .unwrap_or_else(|| panic!("unresolved $ref {r}"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// Every `$ref` in `value`, with the JSON pointer of the object holding it.
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref") {
                out.push((at.to_string(), r.as_str().unwrap_or("").to_string()));
            }
            for (k, v) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                refs(v, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// An OpenAPI 3.0 schema as JSON Schema (2020-12): `nullable: true` becomes "or null",
/// and the OpenAPI-only `discriminator`, `example` and `xml` go.
fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(m) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        let converted = match k.as_str() {
            "nullable" | "discriminator" | "example" | "xml" => continue,
            "properties" => Value::Object(
                v.as_object()
                    .expect("properties is an object")
                    .iter()
                    .map(|(name, s)| (name.clone(), to_json_schema(s)))
                    .collect(),
            ),
            "items" | "not" => to_json_schema(v),
            "additionalProperties" if v.is_object() => to_json_schema(v),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                v.as_array()
                    .expect("a list of schemas")
                    .iter()
                    .map(to_json_schema)
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(k.clone(), converted);
    }
    if m.get("nullable") == Some(&Value::Bool(true)) {
        json!({ "anyOf": [Value::Object(out), { "type": "null" }] })
    } else {
        Value::Object(out)
    }
}

/// Whether an object fits the required keys and closed properties of a schema; used to
/// pick the `oneOf` branch whose key order is checked.
fn fits(doc: &Value, schema: &Value, instance: &Map<String, Value>) -> bool {
    let schema = resolve(doc, schema);
    let required_ok = schema["required"].as_array().is_none_or(|r| {
        r.iter()
            .all(|k| instance.contains_key(k.as_str().unwrap_or("")))
    });
    let closed_ok = schema["additionalProperties"] != json!(false)
        || schema["properties"]
            .as_object()
            .is_some_and(|p| instance.keys().all(|k| p.contains_key(k)));
    required_ok && closed_ok
}

/// Checks that the keys of every object in `instance` come in the order of its schema's
/// `properties` (the API writes its JSON key for key as healthchecks.io does).
fn check_key_order(doc: &Value, schema: &Value, instance: &Value, at: &str) {
    let schema = resolve(doc, schema);
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array)
        && let Value::Object(obj) = instance
        && let Some(branch) = branches.iter().find(|b| fits(doc, b, obj))
    {
        check_key_order(doc, branch, instance, at);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check_key_order(doc, s, instance, at);
        }
    }
    match instance {
        Value::Object(obj) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let order: Vec<&String> = props.keys().collect();
                let positions: Vec<usize> = obj
                    .keys()
                    .filter_map(|k| order.iter().position(|p| *p == k))
                    .collect();
                assert!(
                    positions.is_sorted(),
                    "{at}: keys {:?} are not in the documented order {order:?}",
                    obj.keys().collect::<Vec<_>>()
                );
                for (k, v) in obj {
                    if let Some(s) = props.get(k) {
                        check_key_order(doc, s, v, &format!("{at}.{k}"));
                    }
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for (k, v) in obj {
                    if !schema["properties"]
                        .as_object()
                        .is_some_and(|p| p.contains_key(k))
                    {
                        check_key_order(doc, extra, v, &format!("{at}.{k}"));
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check_key_order(doc, s, v, &format!("{at}[{i}]"));
                }
            }
        }
        _ => {}
    }
}

/// A request body: JSON that must match the documented request schema, or raw text
/// sent as it is (for malformed bodies).
enum Body<'a> {
    None,
    Json(Value),
    Raw(&'a str),
}

/// The document, with what it takes to check answers against it.
struct Spec {
    doc: Value,
    /// The document's component schemas, as JSON Schema.
    components: Value,
    /// (path, method, status) of every exchange checked so far.
    seen: Mutex<BTreeSet<(String, String, u16)>>,
}

impl Spec {
    fn load() -> Spec {
        let doc = document();
        let schemas: Map<String, Value> = doc["components"]["schemas"]
            .as_object()
            .expect("components.schemas")
            .iter()
            .map(|(name, s)| (name.clone(), to_json_schema(s)))
            .collect();
        Spec {
            doc,
            components: json!({ "schemas": schemas }),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    fn operation(&self, path: &str, method: &Method) -> &Value {
        let method = method.as_str().to_ascii_lowercase();
        self.doc["paths"][path]
            .get(&method)
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
    }

    /// Validates `instance` against an OpenAPI schema of the document; for an answer
    /// (`answer`), its keys must also come in the documented order.
    fn validate(&self, schema: &Value, instance: &Value, what: &str, answer: bool) {
        let mut root = to_json_schema(schema);
        if let Value::Object(m) = &mut root {
            m.insert("components".into(), self.components.clone());
        } else {
            panic!("{what}: the schema is not an object");
        }
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{what}: the documented schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: {instance} does not match the documented schema:\n{}",
            errors.join("\n")
        );
        if answer {
            check_key_order(&self.doc, schema, instance, what);
        }
    }

    /// Sends a request to `/api/v3{url}`, where `url` is `path` with its parameters
    /// filled in, and checks the answer against what the document says of `path`,
    /// `method` and the status: the status is documented, the body has a documented
    /// media type and matches its schema, or is empty where no content is documented.
    /// Returns the status and the body (JSON, or a JSON string for text).
    async fn call(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        url: &str,
        key: Option<&str>,
        body: Body<'_>,
    ) -> (u16, Value) {
        let what = format!("{method} {path} ({url})");
        let operation = self.operation(path, &method);
        let mut request = app
            .http
            .request(method.clone(), app.url(&format!("/api/v3{url}")));
        if let Some(key) = key {
            request = request.header("X-Api-Key", key);
        }
        match body {
            Body::None => {}
            Body::Json(value) => {
                let documented = resolve(&self.doc, &operation["requestBody"]);
                let schema = &documented["content"]["application/json"]["schema"];
                assert!(
                    !schema.is_null(),
                    "{what}: no JSON request body is documented"
                );
                self.validate(schema, &value, &format!("{what} request"), false);
                request = request.body(value.to_string());
            }
            Body::Raw(text) => request = request.body(text.to_string()),
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let what = format!("{what} → {status}");
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some("*"),
            "{what}: CORS as documented"
        );
        let documented = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| panic!("{what} is not a documented status: {text}"));
        let documented = resolve(&self.doc, documented);
        self.seen.lock().unwrap().insert((
            path.to_string(),
            method.as_str().to_ascii_lowercase(),
            status,
        ));
        let Some(content) = documented.get("content").and_then(Value::as_object) else {
            assert!(
                text.is_empty(),
                "{what}: documented without a body, got {text:?}"
            );
            return (status, Value::Null);
        };
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let media = content.get(essence).unwrap_or_else(|| {
            panic!(
                "{what}: content type {content_type:?} is not documented ({:?})",
                content.keys().collect::<Vec<_>>()
            )
        });
        let value = if essence == "application/json" {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {text:?}"))
        } else {
            Value::String(text)
        };
        self.validate(&media["schema"], &value, &what, true);
        (status, value)
    }

    /// The (path, method, status) of every documented 2xx answer.
    fn documented_successes(&self) -> BTreeSet<(String, String, u16)> {
        let mut out = BTreeSet::new();
        for (path, method) in documented_operations(&self.doc) {
            for status in self.doc["paths"][&path][&method]["responses"]
                .as_object()
                .unwrap()
                .keys()
            {
                let status: u16 = status.parse().unwrap();
                if (200..300).contains(&status) {
                    out.insert((path.clone(), method.clone(), status));
                }
            }
        }
        out
    }
}

#[test]
fn the_document_is_openapi_3_0_for_v3() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.0."), "{version}");
    assert_eq!(doc["servers"][0]["url"], "{site_root}/api/v3");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let scheme = &doc["components"]["securitySchemes"]["ApiKey"];
    assert_eq!(
        (&scheme["type"], &scheme["in"], &scheme["name"]),
        (&json!("apiKey"), &json!("header"), &json!("X-Api-Key"))
    );
    assert!(
        scheme["description"].as_str().unwrap().contains("api_key"),
        "the body's api_key is noted"
    );
    assert_eq!(doc["security"], json!([{ "ApiKey": [] }]));
    let description = doc["info"]["description"].as_str().unwrap();
    for mention in ["/api/v1/", "/api/v2/", "slug", "started"] {
        assert!(
            description.contains(mention),
            "info.description mentions {mention}"
        );
    }
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

#[test]
fn every_reference_resolves_and_every_schema_is_used() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(!found.is_empty());
    for (at, r) in &found {
        let target = r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or_else(|| panic!("{at}: $ref {r:?} does not resolve"));
        assert!(target.is_object(), "{at}: $ref {r} names no object");
        let holder = doc.pointer(at).unwrap().as_object().unwrap();
        assert_eq!(
            holder.len(),
            1,
            "{at}: OpenAPI 3.0 ignores the siblings of $ref"
        );
    }
    // Every component is reachable from the paths, so none is left stale.
    let mut reachable = BTreeSet::new();
    let mut queue: Vec<Value> = vec![doc["paths"].clone()];
    while let Some(value) = queue.pop() {
        let mut inner = Vec::new();
        refs(&value, "", &mut inner);
        for (_, r) in inner {
            if reachable.insert(r.clone()) {
                queue.push(doc.pointer(r.strip_prefix('#').unwrap()).unwrap().clone());
            }
        }
    }
    for kind in ["schemas", "parameters"] {
        for name in doc["components"][kind].as_object().unwrap().keys() {
            let r = format!("#/components/{kind}/{name}");
            assert!(reachable.contains(&r), "{r} is used by no path");
        }
    }
}

#[test]
fn every_operation_declares_its_parameters_and_responses() {
    let doc = document();
    let mut operation_ids = BTreeSet::new();
    for (path, method) in documented_operations(&doc) {
        let op = &doc["paths"][&path][&method];
        let what = format!("{method} {path}");
        assert!(
            op["summary"].is_string() && op["description"].is_string(),
            "{what}: texts"
        );
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: operationId"));
        assert!(
            operation_ids.insert(id.to_string()),
            "{what}: operationId {id} is unique"
        );
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        let mut declared = BTreeSet::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&doc, p);
            let name = p["name"].as_str().unwrap().to_string();
            match p["in"].as_str().unwrap() {
                "path" => {
                    assert_eq!(
                        p["required"], true,
                        "{what}: path parameter {name} is required"
                    );
                    declared.insert(name.clone());
                }
                "query" | "header" => {}
                other => panic!("{what}: parameter {name} in {other}"),
            }
            assert!(p["schema"].is_object(), "{what}: {name} has a schema");
        }
        assert_eq!(in_template, declared, "{what}: path parameters");
        let responses = op["responses"].as_object().unwrap();
        assert!(!responses.is_empty(), "{what}: responses");
        for (status, response) in responses {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok(),
                "{what}: status {status}"
            );
            let response = resolve(&doc, response);
            assert!(
                response["description"].is_string(),
                "{what} {status}: description"
            );
        }
        // Operations with a key answer 401; the open ones say so with `security: []`.
        let open = op.get("security") == Some(&json!([]));
        assert_eq!(
            !open,
            responses.contains_key("401"),
            "{what}: 401 iff a key is needed"
        );
        if let Some(body) = op.get("requestBody") {
            let body = resolve(&doc, body);
            assert!(
                body["content"]["application/json"]["schema"].is_object(),
                "{what}: body"
            );
        }
    }
}

#[test]
fn channel_kinds_are_the_codes() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let kinds = json!(KINDS);
    for at in [
        "/ChannelSummary/properties/kind/enum",
        "/Channel/properties/kind/enum",
        "/ChannelCreate/properties/kind/enum",
        "/ChannelUpdate/properties/kind/enum",
    ] {
        assert_eq!(schemas.pointer(at), Some(&kinds), "{at}");
    }
    // One config schema per kind, titled with it, for requests and for answers.
    for at in [
        "/Channel/properties/config/oneOf",
        "/ChannelCreate/properties/config/oneOf",
        "/ChannelUpdate/properties/config/oneOf",
    ] {
        let titles: Vec<&Value> = schemas
            .pointer(at)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{at}"))
            .iter()
            .map(|s| &resolve(&doc, s)["title"])
            .collect();
        assert_eq!(json!(titles), kinds, "{at}");
    }
}

#[tokio::test]
async fn the_document_is_served_at_v3_only() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
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
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
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

/// The running app, with the document its answers are checked against.
struct Api<'a> {
    spec: Spec,
    app: &'a TestApp,
}

impl Api<'_> {
    async fn get(&self, path: &str, url: &str, key: Option<&str>) -> (u16, Value) {
        let app = self.app;
        self.spec
            .call(app, Method::GET, path, url, key, Body::None)
            .await
    }

    async fn post(&self, path: &str, url: &str, key: Option<&str>, body: Body<'_>) -> (u16, Value) {
        self.spec
            .call(self.app, Method::POST, path, url, key, body)
            .await
    }

    async fn delete(&self, path: &str, url: &str, key: Option<&str>) -> (u16, Value) {
        let app = self.app;
        self.spec
            .call(app, Method::DELETE, path, url, key, Body::None)
            .await
    }
}

#[tokio::test]
async fn limits_answer_as_documented() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| c.check_limit = 1).await;
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
        kind: "webhook".into(),
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
