//! What users send is bounded and fit to store: NUL characters are refused before they
//! reach either database, every stored field has a cap (refused when API input is
//! longer, cut when it is a ping's request detail), and every list answers with a
//! bounded number of items. The caps are in the README's "Limits and timeouts" section.

use crate::helpers::TestApp;
use overdue::store::projects::CreatedProject;
use reqwest::Method;
use serde_json::Value;

mod caps;
mod lists;
mod nul;
mod paths;

/// Sends an API request with the project's read-write key; status and JSON body
/// (`Value::Null` when the body is not JSON).
async fn call(
    app: &TestApp,
    p: &CreatedProject,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("X-Api-Key", &p.api_key);
    if let Some(body) = body {
        req = req.body(body.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, p: &CreatedProject, path: &str, body: &Value) -> (u16, Value) {
    call(app, p, Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, p: &CreatedProject, path: &str) -> (u16, Value) {
    call(app, p, Method::GET, path, None).await
}

/// The `error` of an API answer.
fn error_of(answer: &(u16, Value)) -> (u16, &str) {
    (answer.0, answer.1["error"].as_str().unwrap_or(""))
}
