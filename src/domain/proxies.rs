//! Which peers may speak for the client. Behind a reverse proxy every request comes from
//! the proxy, which says who the client was in `X-Forwarded-For` and how it connected in
//! `X-Forwarded-Proto`. Anyone can send those headers, so they are believed only from
//! the proxies the operator names (`OVERDUE_TRUSTED_PROXIES`), and the address shown to
//! users is the nearest hop that is not one of them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A network in CIDR notation (`10.0.0.0/8`, `::1`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let base: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network (such as 10.0.0.0/8)"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Network {
            base: base.to_canonical(),
            prefix,
        })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The proxies whose forwarding headers are believed; empty believes none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma- or space-separated list of addresses and networks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split([',', ' '])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// nearest `X-Forwarded-For` hop that is not itself a trusted proxy (hops further
    /// left were written by the client and prove nothing). An unreadable hop ends the
    /// walk at the last address known to be good.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let Some(header) = forwarded_for else {
            return client;
        };
        for hop in header.rsplit(',') {
            match parse_hop(hop.trim()) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }

    /// How the client connected: `https` only when a trusted proxy says so.
    pub fn scheme(&self, peer: IpAddr, forwarded_proto: Option<&str>) -> &'static str {
        match forwarded_proto {
            Some(proto) if self.trusts(peer) && proto.trim().eq_ignore_ascii_case("https") => {
                "https"
            }
            _ => "http",
        }
    }
}

/// One `X-Forwarded-For` entry: an address, or an IPv4 address with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = hop.rsplit_once(':')?;
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn none_trusted() -> TrustedProxies {
        TrustedProxies::default()
    }

    fn loopback() -> TrustedProxies {
        "127.0.0.0/8, ::1".parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses_and_nothing_else() {
        let net: Network = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.255.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        let one: Network = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
    }

    #[test]
    fn bad_networks_say_what_is_wrong() {
        assert!(
            "10.0.0.0/33"
                .parse::<Network>()
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(
            "proxy.local"
                .parse::<TrustedProxies>()
                .unwrap_err()
                .contains("not an IP address")
        );
        assert_eq!(
            "".parse::<TrustedProxies>().unwrap(),
            TrustedProxies::default()
        );
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let trusted = loopback();
        let peer = ip("203.0.113.5");
        assert_eq!(trusted.client_ip(peer, Some("1.1.1.1")), peer);
        assert_eq!(trusted.scheme(peer, Some("https")), "http");
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("127.0.0.1"), Some("1.1.1.1")),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() {
        let trusted: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        let proxy = ip("127.0.0.1");
        // The client wrote 6.6.6.6 itself; the proxy appended who really connected.
        assert_eq!(
            trusted.client_ip(proxy, Some("6.6.6.6, 1.1.1.1")),
            ip("1.1.1.1")
        );
        // Two proxies in a row are skipped.
        assert_eq!(
            trusted.client_ip(proxy, Some("1.1.1.1, 10.0.0.4")),
            ip("1.1.1.1")
        );
        assert_eq!(
            trusted.client_ip(proxy, Some(" 1.1.1.1:1234 ")),
            ip("1.1.1.1")
        );
        assert_eq!(
            trusted.client_ip(proxy, Some("::ffff:1.1.1.1")),
            ip("::ffff:1.1.1.1")
        );
        assert_eq!(
            trusted.client_ip(proxy, Some("2001:db8::1")),
            ip("2001:db8::1")
        );
        assert_eq!(trusted.client_ip(proxy, Some("garbage")), proxy);
        assert_eq!(
            trusted.client_ip(ip("::ffff:127.0.0.1"), Some("1.1.1.1")),
            ip("1.1.1.1")
        );
        assert_eq!(
            none_trusted().client_ip(ip("::ffff:1.1.1.1"), None),
            ip("1.1.1.1")
        );
        assert_eq!(trusted.client_ip(proxy, None), proxy);
        assert_eq!(trusted.scheme(proxy, Some("HTTPS")), "https");
        assert_eq!(trusted.scheme(proxy, Some(&"x".repeat(400_000))), "http");
    }
}
