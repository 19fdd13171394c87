//! The document is well formed: OpenAPI 3.0 with the API key scheme, every reference
//! resolves and every component is used, every operation declares its parameters and
//! responses, and the channel kinds are the server's.

use super::{document, documented_operations, resolve};
use overdue::domain::channel_config::ChannelKind;
use serde_json::{Value, json};
use std::collections::BTreeSet;

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
    let kinds = json!(ChannelKind::ALL);
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
