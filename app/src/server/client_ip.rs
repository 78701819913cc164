//! The client's address behind reverse proxies.
//!
//! Only a peer listed in `SECRYN_TRUSTED_PROXIES` is believed about who its client is. Its
//! `Forwarded` (RFC 7239) or `X-Forwarded-For` header is read from the right: each proxy
//! appends the address it saw, so the rightmost address that is not itself a trusted proxy
//! is the first one nobody trusted wrote — the client. Addresses to its left could have been
//! typed by the client and are never used. A request from any other peer is that peer.

use http::HeaderMap;
use std::net::IpAddr;

/// One trusted address or CIDR range, such as `10.0.0.0/8` or `::1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Reads `ADDR` or `ADDR/PREFIX`; `None` for anything else.
    pub fn parse(text: &str) -> Option<IpRange> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpRange { addr, prefix })
    }

    /// True when `ip` lies in this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.prefix),
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

/// The configured trusted proxies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

impl TrustedProxies {
    /// Reads a comma-separated list; the error names the first entry that is not an address
    /// or range.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut out = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            out.push(IpRange::parse(item).ok_or_else(|| item.chars().take(64).collect::<String>())?);
        }
        Ok(TrustedProxies(out))
    }

    /// True when `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client's address for a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        // The chain the proxies wrote, nearest last; `Forwarded` wins when both are present.
        let chain = forwarded_for(headers).unwrap_or_else(|| x_forwarded_for(headers));
        // Bounded: a header is at most what hyper accepts, and only the tail is looked at.
        let mut client = peer;
        for addr in chain.into_iter().rev().take(32) {
            let Some(addr) = addr else { return client };
            client = canonical(addr);
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// The `for=` addresses of every `Forwarded` header, in order (`None` for an entry that is
/// not an address, such as `unknown` or an obfuscated name); `None` without the header.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let values: Vec<&str> = headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()).collect();
    if values.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for element in values.iter().flat_map(|v| v.split(',')) {
        let node = element
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
            .map(|(_, v)| v.trim().trim_matches('"'));
        if let Some(node) = node {
            out.push(parse_node(node));
        }
    }
    Some(out)
}

/// An RFC 7239 node: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]` or `[2001:db8::1]:8080`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse().ok().or_else(|| node.rsplit_once(':')?.0.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4))
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| parse_node(a.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let r = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(r.contains(ip("10.1.200.3")));
        assert!(!r.contains(ip("10.2.0.1")));
        assert!(r.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped counts as IPv4");
        assert!(IpRange::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(IpRange::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        assert!(IpRange::parse("10.0.0.0/33").is_none());
        assert!(IpRange::parse("proxy.local").is_none());
        assert_eq!(TrustedProxies::parse("127.0.0.1, nope").unwrap_err(), "nope");
        assert_eq!(TrustedProxies::parse(" ").unwrap(), TrustedProxies::default());
    }

    #[test]
    fn only_trusted_peers_are_believed_and_the_rightmost_untrusted_address_wins() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let xff = |v: &str| headers(&[("x-forwarded-for", v)]);
        // A stranger's header is ignored.
        assert_eq!(trusted.client(ip("198.51.100.7"), &xff("1.2.3.4")), ip("198.51.100.7"));
        // Nobody trusted: the peer, whatever it says.
        assert_eq!(TrustedProxies::default().client(ip("127.0.0.1"), &xff("1.2.3.4")), ip("127.0.0.1"));
        // One proxy.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff("203.0.113.5")), ip("203.0.113.5"));
        // A spoofed left part is skipped: the client sent "6.6.6.6", the proxy appended the truth.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff("6.6.6.6, 203.0.113.5")), ip("203.0.113.5"));
        // Two proxies: the inner one is trusted too.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff("203.0.113.5, 10.0.0.2")), ip("203.0.113.5"));
        // Several headers read as one list.
        let two = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.5")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &two), ip("203.0.113.5"));
        // Garbage where the client should be: stop at the last trusted hop.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff("203.0.113.5, garbage")), ip("127.0.0.1"));
        // No header at all: the proxy itself.
        assert_eq!(trusted.client(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_header_is_read_and_preferred() {
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        let h = headers(&[
            ("forwarded", "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https"),
            ("x-forwarded-for", "1.1.1.1"),
        ]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &h), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "For=192.0.2.60:8080;by=203.0.113.43")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &h), ip("192.0.2.60"));
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }
}
