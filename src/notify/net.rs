//! Outgoing HTTP: one client for every channel, with TLS on rustls and ring, and a guard
//! that refuses private, loopback and link-local targets at connect time unless the
//! operator allows them.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// What a refused target reports, for the channel's last error.
pub const PRIVATE_TARGET: &str = "Connections to private IP addresses are not allowed";

/// Installs the process-wide TLS crypto provider (ring). Safe to call more than once.
pub fn install_crypto_provider() {
    // Err means a provider is already installed: exactly what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether an address is one that outgoing notifications must not reach by default.
pub fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // carrier-grade NAT
                || v4.octets()[0] >= 240
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link-local
        }
    }
}

/// Resolves names and drops private addresses, so a name that points inside the network
/// fails at connect time, not only when the channel was saved.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(Iterator::collect::<Vec<_>>)
            })
            .await
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)??;
            let public: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                return Err(PRIVATE_TARGET.into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The client every HTTP channel uses: no automatic redirects beyond three, a timeout
/// per request, and the private-address guard unless `allow_private`.
pub fn client(timeout: Duration, allow_private: bool) -> reqwest::Client {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("Overdue/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    // Building fails only if the TLS backend cannot start, which install_crypto_provider
    // rules out; fall back to a default client rather than take the process down.
    builder.build().unwrap_or_default()
}

/// Refuses a URL whose host is a private IP literal (names are checked by the resolver).
pub fn check_target(url: &reqwest::Url, allow_private: bool) -> Result<(), &'static str> {
    if allow_private {
        return Ok(());
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    match literal {
        Some(ip) if is_private(ip) => Err(PRIVATE_TARGET),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_private() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ip_literal_targets_are_checked_before_connecting() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/x").unwrap();
        assert_eq!(check_target(&url, false), Err(PRIVATE_TARGET));
        assert_eq!(check_target(&url, true), Ok(()));
        let url = reqwest::Url::parse("http://[::1]/x").unwrap();
        assert_eq!(check_target(&url, false), Err(PRIVATE_TARGET));
        let url = reqwest::Url::parse("https://example.com/x").unwrap();
        assert_eq!(check_target(&url, false), Ok(()));
    }
}
