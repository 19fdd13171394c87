//! The unsubscribe link of alert emails (`List-Unsubscribe`). Opening it shows a button,
//! so a mail scanner that follows links does not unsubscribe anyone; a POST (the button,
//! or a mail client's one-click unsubscribe) disables the email channel.

use crate::domain::channel_config::ChannelKind;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::channels;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/unsubscribe/{uuid}/{token}",
        get(confirm).post(unsubscribe),
    )
}

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Overdue: unsubscribe</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto;">"#;

/// The link's channel and token, if they can be one: a uuid and 32 lowercase hex digits.
/// Anything else is not a link Overdue made, and is never looked up.
fn parse_link(uuid: &str, token: &str) -> Option<(Uuid, String)> {
    let uuid = uuid.parse().ok()?;
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    (token.len() == 32 && token.bytes().all(hex)).then(|| (uuid, token.to_string()))
}

async fn confirm(
    State(app): State<AppState>,
    Path((uuid, token)): Path<(String, String)>,
) -> Response {
    let Some((uuid, token)) = parse_link(&uuid, &token) else {
        return not_valid();
    };
    match channels::find_by_uuid(&app.db, &uuid).await {
        Ok(Some(c)) if c.kind == ChannelKind::Email && !c.token.is_empty() && c.token == token => {
            form().into_response()
        }
        Ok(_) => not_valid(),
        Err(e) => unavailable(e),
    }
}

fn not_valid() -> Response {
    let page = format!(
        "{PAGE}<h1>Link not valid</h1><p>This unsubscribe link is wrong or the channel no longer exists.</p></body></html>"
    );
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

fn unavailable(e: StoreError) -> Response {
    tracing::error!(error = %e, "unsubscribe failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Could not unsubscribe right now; please try again in a minute.",
    )
        .into_response()
}

fn form() -> Html<String> {
    Html(format!(
        "{PAGE}<h1>Stop these emails?</h1>\
         <p>This stops Overdue's alerts to this address for the project that sent them. \
         The project's members can turn them on again.</p>\
         <form method=\"post\"><button type=\"submit\">Unsubscribe</button></form></body></html>"
    ))
}

async fn unsubscribe(
    State(app): State<AppState>,
    Path((uuid, token)): Path<(String, String)>,
) -> Response {
    let Some((uuid, token)) = parse_link(&uuid, &token) else {
        return not_valid();
    };
    match channels::unsubscribe(&app.db, &uuid.to_string(), &token).await {
        Ok(true) => Html(format!("{PAGE}<h1>Unsubscribed</h1><p>No more alerts will be sent to this address.</p></body></html>")).into_response(),
        Ok(false) => not_valid(),
        Err(e) => unavailable(e),
    }
}
