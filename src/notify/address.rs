//! Which IP addresses outgoing notifications must not reach unless the operator allows
//! it: everything that is not a public unicast address on the internet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an address is one that outgoing notifications must not reach by default:
/// private, loopback, link-local, shared (carrier-grade NAT), reserved, documentation,
/// benchmarking, multicast and broadcast addresses, and IPv6 addresses that stand for
/// one of those IPv4 addresses.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    a == 0 // 0.0.0.0/8: "this network"; some systems connect 0.0.0.0 to themselves
        || v4.is_private() // 10/8, 172.16/12, 192.168/16
        || v4.is_loopback() // 127/8
        || v4.is_link_local() // 169.254/16, where cloud metadata services answer
        || (a == 100 && (b & 0xc0) == 64) // 100.64/10: carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24: IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // 198.18/15: benchmarking
        || v4.is_documentation() // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || v4.is_multicast() // 224/4
        || a >= 240 // 240/4 reserved, and the broadcast address
}

fn is_private_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(v6) {
        return is_private_v4(v4);
    }
    let s = v6.segments();
    s[..6] == [0; 6] // ::/96: unspecified, loopback and the deprecated IPv4-compatible
        || (s[0], s[1], s[2]) == (0x64, 0xff9b, 1) // 64:ff9b:1::/48: NAT64 for local use
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7: unique local
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10: link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10: site-local (deprecated, still routed inside)
        || (s[0], s[1]) == (0x2001, 0x0db8) // 2001:db8::/32: documentation
        || v6.is_multicast() // ff00::/8
}

/// The IPv4 address that an IPv6 address stands for, where a translator or tunnel would
/// carry the connection to it: IPv4-mapped (`::ffff:0:0/96`), NAT64 (`64:ff9b::/96`) and
/// 6to4 (`2002::/16`). Such an address is as private as the IPv4 address inside it, so
/// an IPv6-only host still reaches public IPv4 services through NAT64.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let o = v6.octets();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

/// The IP address a URL names literally, if it does (`http://10.0.0.1/`, `http://[::1]/`;
/// the URL parser has already turned forms like `http://0x7f.1/` into dotted quads).
pub fn literal(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, bool)]) {
        for (ip, private) in cases {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(is_private(parsed), *private, "{ip}");
        }
    }

    #[test]
    fn well_known_private_ranges_are_private_and_public_addresses_are_not() {
        check(&[
            ("10.0.0.1", true),
            ("172.16.5.4", true),
            ("192.168.1.1", true),
            ("127.0.0.1", true),
            ("169.254.169.254", true),
            ("100.64.0.1", true),
            ("100.127.255.255", true),
            ("100.63.255.255", false),
            ("100.128.0.0", false),
            ("192.0.2.1", true),
            ("255.255.255.255", true),
            ("240.0.0.1", true),
            ("224.0.0.1", true),
            ("239.255.255.255", true),
            ("223.255.255.255", false),
            ("8.8.8.8", false),
            ("1.1.1.1", false),
            ("::1", true),
            ("::", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("ff02::1", true),
            ("2001:db8::1", true),
            ("2001:4860:4860::8888", false),
        ]);
    }

    #[test]
    fn this_network_0_0_0_0_slash_8_is_private() {
        check(&[
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("0.255.255.255", true),
            ("1.0.0.0", false),
        ]);
    }

    #[test]
    fn ietf_protocol_assignments_192_0_0_0_slash_24_are_private() {
        check(&[
            ("191.255.255.255", false),
            ("192.0.0.0", true),
            ("192.0.0.170", true),
            ("192.0.0.255", true),
            ("192.0.1.0", false),
        ]);
    }

    #[test]
    fn benchmarking_198_18_0_0_slash_15_is_private() {
        check(&[
            ("198.17.255.255", false),
            ("198.18.0.0", true),
            ("198.19.255.255", true),
            ("198.20.0.0", false),
        ]);
    }

    #[test]
    fn ipv4_mapped_addresses_are_as_private_as_their_ipv4_address() {
        check(&[
            ("::ffff:127.0.0.1", true),
            ("::ffff:169.254.169.254", true),
            ("::ffff:8.8.8.8", false),
        ]);
    }

    #[test]
    fn nat64_addresses_are_as_private_as_their_ipv4_address() {
        check(&[
            ("64:ff9b::10.0.0.1", true),
            ("64:ff9b::169.254.169.254", true),
            ("64:ff9b::127.0.0.1", true),
            ("64:ff9b::8.8.8.8", false),
            // Just outside 64:ff9b::/96: an ordinary address, not a translation.
            ("64:ff9b::1:a00:1", false),
            ("64:ff9a:ffff:ffff:ffff:ffff:a00:1", false),
            // The local-use NAT64 prefix reaches whatever the local translator reaches.
            ("64:ff9b:1::8.8.8.8", true),
            ("64:ff9b:2::8.8.8.8", false),
        ]);
    }

    #[test]
    fn six_to_four_addresses_are_as_private_as_their_ipv4_address() {
        check(&[
            ("2002:a00:1::1", true),
            ("2002:a9fe:a9fe::", true),
            ("2002:7f00:1::", true),
            ("2002:808:808::1", false),
            // Either side of 2002::/16 the same bits mean nothing.
            ("2001:ffff:a00:1::", false),
            ("2003:a00:1::1", false),
        ]);
    }

    #[test]
    fn ipv4_compatible_addresses_colon_colon_slash_96_are_private() {
        check(&[
            ("::8.8.8.8", true),
            ("::10.0.0.1", true),
            ("::255.255.255.255", true),
            ("::1:0:0", false),
        ]);
    }

    #[test]
    fn site_local_fec0_slash_10_is_private() {
        check(&[
            ("fec0::1", true),
            ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            // Below it lies link-local (private too), and below that nothing special.
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ]);
    }

    #[test]
    fn unique_local_and_link_local_boundaries() {
        check(&[
            ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
            ("fc00::", true),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("fe00::", false),
            ("fe80::", true),
        ]);
    }

    #[test]
    fn literals_are_read_from_urls_in_every_spelling() {
        let ip = |u: &str| literal(&url::Url::parse(u).unwrap());
        assert_eq!(
            ip("http://127.0.0.1:9/x"),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(ip("http://0x7f.1/"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            ip("http://2852039166/"),
            Some("169.254.169.254".parse().unwrap())
        );
        assert_eq!(
            ip("http://[::ffff:a9fe:a9fe]/"),
            Some("::ffff:169.254.169.254".parse().unwrap())
        );
        assert_eq!(ip("https://example.com/"), None);
    }
}
