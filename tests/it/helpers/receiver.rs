//! A real HTTP server on 127.0.0.1 that plays a notification target (a webhook receiver,
//! the WeCom API, ServerChan): it records every request and answers as the test says.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Request {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_string())
    }

    /// The body as form fields.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// One answer: status, headers, body, and an optional delay before answering.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    /// A status and a body of text.
    pub fn text(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            body: body.into(),
            ..Answer::status(status)
        }
    }

    pub fn json(body: serde_json::Value) -> Answer {
        Answer::text(200, body.to_string())
    }

    pub fn slow(delay: Duration) -> Answer {
        Answer {
            delay,
            ..Answer::status(200)
        }
    }

    /// A redirect (301, 302, 307, 308…) to `location`.
    pub fn redirect(status: u16, location: &str) -> Answer {
        Answer {
            headers: vec![("location".into(), location.into())],
            ..Answer::status(status)
        }
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    /// Answers used in order; when empty, `fallback` answers.
    script: VecDeque<Answer>,
    fallback: Option<Answer>,
}

#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// Starts a receiver that answers 200 with an empty body until told otherwise.
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .fallback(record)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, inner }
    }

    /// The address the receiver listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.base.trim_start_matches("http://").parse().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers every request (after any scripted ones) with `answer`.
    pub fn always(&self, answer: Answer) {
        self.inner.lock().unwrap().fallback = Some(answer);
    }

    /// Answers the next requests with these, in order.
    pub fn then(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.lock().unwrap().script.extend(answers);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn count(&self) -> usize {
        self.inner.lock().unwrap().requests.len()
    }
}

async fn record(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = {
        let mut inner = inner.lock().unwrap();
        inner.requests.push(Request {
            method: method.to_string(),
            uri: uri.to_string(),
            headers,
            body: body.to_vec(),
        });
        inner
            .script
            .pop_front()
            .or_else(|| inner.fallback.clone())
            .unwrap_or(Answer::status(200))
    };
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let mut response = (StatusCode::from_u16(answer.status).unwrap(), answer.body).into_response();
    for (name, value) in answer.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    response
}
