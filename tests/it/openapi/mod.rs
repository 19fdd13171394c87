//! The Management API's OpenAPI document (`src/http/api/openapi.json`), kept true: its
//! paths and methods are exactly the v3 ones of `ROUTES` (`routes`), it is well formed
//! (`document`), and what the running app answers matches the schemas it documents,
//! status for status (`answers`, checked by `spec`).

mod answers;
mod document;
mod routes;
mod spec;

use overdue::http::api::openapi::DOCUMENT;
use serde_json::Value;
use std::collections::BTreeSet;

/// The keys of a path item that are operations.
const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
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
