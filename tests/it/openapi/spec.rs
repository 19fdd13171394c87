//! The document as a checker of answers: its OpenAPI schemas turned into JSON Schema,
//! each exchange validated against what is documented for its path, method and status,
//! and the keys of each answer in the documented order.

use super::{document, documented_operations, resolve};
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Mutex;

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
pub(super) enum Body<'a> {
    None,
    Json(Value),
    Raw(&'a str),
}

/// The document, with what it takes to check answers against it.
pub(super) struct Spec {
    doc: Value,
    /// The document's component schemas, as JSON Schema.
    components: Value,
    /// (path, method, status) of every exchange checked so far.
    pub(super) seen: Mutex<BTreeSet<(String, String, u16)>>,
}

impl Spec {
    pub(super) fn load() -> Spec {
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
    pub(super) fn documented_successes(&self) -> BTreeSet<(String, String, u16)> {
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

/// The running app, with the document its answers are checked against.
pub(super) struct Api<'a> {
    pub(super) spec: Spec,
    pub(super) app: &'a TestApp,
}

impl Api<'_> {
    pub(super) async fn get(&self, path: &str, url: &str, key: Option<&str>) -> (u16, Value) {
        let app = self.app;
        self.spec
            .call(app, Method::GET, path, url, key, Body::None)
            .await
    }

    pub(super) async fn post(
        &self,
        path: &str,
        url: &str,
        key: Option<&str>,
        body: Body<'_>,
    ) -> (u16, Value) {
        self.spec
            .call(self.app, Method::POST, path, url, key, body)
            .await
    }

    pub(super) async fn delete(&self, path: &str, url: &str, key: Option<&str>) -> (u16, Value) {
        let app = self.app;
        self.spec
            .call(app, Method::DELETE, path, url, key, Body::None)
            .await
    }
}
