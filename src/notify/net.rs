//! Outgoing HTTP. [`Client`] is the only way a notification makes a request: it carries
//! the timeouts and the guard against private targets, and there is no other client.
//!
//! Unless the operator sets `OVERDUE_ALLOW_PRIVATE_TARGETS`, the guard refuses every
//! address [`is_private`] names, at each place a request could reach one:
//!
//! - The URL a request starts at: a private IP literal is refused before anything is
//!   sent ([`Client::request`] checks it, so no caller can forget to).
//! - Every host name, at connect time: the resolver drops private addresses and fails a
//!   name that has nothing else, so a name that pointed outside when the channel was
//!   saved and points inside now (DNS rebinding) is still refused.
//! - Every redirect hop. Up to [`MAX_REDIRECTS`] are followed, as healthchecks.io
//!   follows them; a hop to a private IP literal ends the request with an error. This
//!   check is the only one such a hop gets: the connector dials IP literals without
//!   asking the resolver. A hop to a name goes through the resolver like any other.
//!   A 307 or 308 re-sends the body and the headers (the signature among them) to the
//!   new location: that is the receiver's choice to make, as long as it stays outside.
//!
//! Replies are read up to [`REPLY_CAP`] bytes (see [`read_capped`]).

pub use super::address::is_private;
use super::address::literal;
use anyhow::Context;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Method, RequestBuilder, Response, Url};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// What a refused target reports (healthchecks.io's words).
pub const PRIVATE_TARGET: &str = "Connections to private IP addresses are not allowed";

/// Redirects followed before a request gives up.
pub const MAX_REDIRECTS: usize = 3;

/// The most of a reply that is read: replies that matter (WeCom's and ServerChan's JSON)
/// are a few hundred bytes.
pub const REPLY_CAP: usize = 64 * 1024;

/// A target the guard refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The URL names a private IP address.
    #[error("Connections to private IP addresses are not allowed")]
    Address(IpAddr),
    /// A redirect pointed to a private IP address.
    #[error("Connections to private IP addresses are not allowed (a redirect pointed to {0})")]
    Redirect(IpAddr),
    /// Every address of the name is private.
    #[error(
        "Connections to private IP addresses are not allowed ({0} resolves only to private addresses)"
    )]
    Name(String),
}

/// More redirects than [`MAX_REDIRECTS`] in a row.
#[derive(Debug, thiserror::Error)]
#[error("Stopped after {MAX_REDIRECTS} redirects")]
pub struct TooManyRedirects;

/// Which targets requests may reach.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow_private: bool,
    exempt: Vec<SocketAddr>,
}

impl Guard {
    /// The guard `OVERDUE_ALLOW_PRIVATE_TARGETS` asks for: off when it is true.
    pub fn new(allow_private: bool) -> Guard {
        Guard {
            allow_private,
            exempt: Vec::new(),
        }
    }

    /// Lets URLs naming exactly this IP address and port through while every other
    /// private target stays refused. No setting reaches it: it exists so that tests can
    /// show, against a server on loopback, what the guard refuses after the first hop.
    pub fn exempting(mut self, addr: SocketAddr) -> Guard {
        self.exempt.push(addr);
        self
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// The private IP literal a URL names, if the guard refuses it. Names pass here: the
    /// resolver checks their addresses when it connects.
    fn refused_literal(&self, url: &Url) -> Option<IpAddr> {
        if self.allow_private {
            return None;
        }
        let ip = literal(url)?;
        let port = url.port_or_known_default().unwrap_or(0);
        (is_private(ip) && !self.exempt.contains(&SocketAddr::new(ip, port))).then_some(ip)
    }

    /// Whether a request may start at `url`.
    pub fn check_start(&self, url: &Url) -> Result<(), Refused> {
        self.refused_literal(url)
            .map_or(Ok(()), |ip| Err(Refused::Address(ip)))
    }

    /// Whether to follow a redirect to `next`, after `requested` URLs (the first one
    /// included) have been requested.
    pub fn check_redirect(&self, next: &Url, requested: usize) -> Result<(), RedirectRefused> {
        if requested > MAX_REDIRECTS {
            return Err(RedirectRefused::TooMany(TooManyRedirects));
        }
        match self.refused_literal(next) {
            Some(ip) => Err(RedirectRefused::Private(Refused::Redirect(ip))),
            None => Ok(()),
        }
    }
}

/// Why a redirect is not followed.
#[derive(Debug, thiserror::Error)]
pub enum RedirectRefused {
    #[error(transparent)]
    Private(Refused),
    #[error(transparent)]
    TooMany(TooManyRedirects),
}

/// Installs the process-wide TLS crypto provider (ring). Safe to call more than once.
pub fn install_crypto_provider() {
    // Err means a provider is already installed: exactly what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client every channel sends with. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    guard: Arc<Guard>,
}

impl Client {
    /// A client with a timeout per request (connecting included) and the guard. Fails
    /// rather than hand out a client without them (when TLS cannot start, say).
    pub fn new(timeout: Duration, guard: Guard) -> anyhow::Result<Client> {
        install_crypto_provider();
        Client::from_builder(reqwest::Client::builder(), timeout, guard)
    }

    fn from_builder(
        builder: reqwest::ClientBuilder,
        timeout: Duration,
        guard: Guard,
    ) -> anyhow::Result<Client> {
        let guard = Arc::new(guard);
        let policy_guard = guard.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            match policy_guard.check_redirect(attempt.url(), attempt.previous().len()) {
                Ok(()) => attempt.follow(),
                Err(RedirectRefused::Private(refused)) => attempt.error(refused),
                Err(RedirectRefused::TooMany(e)) => attempt.error(e),
            }
        });
        let mut builder = builder
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(policy)
            .user_agent(concat!("Overdue/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if !guard.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let http = builder
            .build()
            .context("the HTTP client for notifications could not be built")?;
        Ok(Client { http, guard })
    }

    /// Starts a request, or refuses its target.
    pub fn request(&self, method: Method, url: Url) -> Result<RequestBuilder, Refused> {
        self.guard.check_start(&url)?;
        Ok(self.http.request(method, url))
    }

    pub fn post(&self, url: Url) -> Result<RequestBuilder, Refused> {
        self.request(Method::POST, url)
    }
}

/// Sends a request. One that cannot even be built (a header value with a line break in
/// it, say) would fail the same way every time: it fails for good, saying why.
pub async fn send(request: RequestBuilder) -> Result<Response, super::SendError> {
    let (client, request) = request.build_split();
    let request = request.map_err(|e| {
        super::SendError::Final(format!(
            "The request could not be built: {}",
            super::error_chain(&e)
        ))
    })?;
    client
        .execute(request)
        .await
        .map_err(|e| super::SendError::from_request(&e))
}

/// A reply body, read up to a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capped {
    pub bytes: Vec<u8>,
    /// Whether the reply went on past the cap (the rest was not read).
    pub truncated: bool,
}

/// Reads at most `cap` bytes of a reply, chunk by chunk, and stops there: a reply of any
/// size costs at most `cap` bytes of memory.
pub async fn read_capped(mut response: Response, cap: usize) -> Result<Capped, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(bytes.len());
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Capped {
                bytes,
                truncated: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Capped {
        bytes,
        truncated: false,
    })
}

/// Resolves names and drops private addresses, so a name that points inside the network
/// fails at connect time, not only when the channel was saved.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(Refused::Name(host)) as Box<_>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// How long a name may take to resolve when a channel is saved.
pub const SAVE_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Refuses, when a channel is saved, a target that can only be private: a private IP
/// literal, or a name all of whose addresses are private (`localhost`). A name that does
/// not resolve, or not within [`SAVE_LOOKUP_TIMEOUT`], is accepted: it may exist by the
/// time it is used, and the guard checks it again at every send.
pub async fn check_before_saving(url: &Url, guard: &Guard) -> Result<(), Refused> {
    if guard.allow_private {
        return Ok(());
    }
    guard.check_start(url)?;
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(0);
    let lookup = tokio::time::timeout(SAVE_LOOKUP_TIMEOUT, tokio::net::lookup_host((name, port)));
    let addrs: Vec<IpAddr> = match lookup.await {
        Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
        Ok(Err(_)) | Err(_) => return Ok(()),
    };
    name_verdict(name, &addrs)
}

/// A resolved name is refused when it has addresses and every one is private.
pub fn name_verdict(name: &str, addrs: &[IpAddr]) -> Result<(), Refused> {
    if !addrs.is_empty() && addrs.iter().all(|ip| is_private(*ip)) {
        Err(Refused::Name(name.to_string()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod tests;
