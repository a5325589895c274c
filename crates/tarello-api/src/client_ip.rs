//! The client's address. It is the socket's peer, unless that peer is a
//! configured trusted proxy: then `X-Forwarded-For` is read from the right,
//! skipping trusted hops, and the first untrusted address is the client.
//! With no trusted proxies (the default) the header is ignored, so a
//! spoofed `X-Forwarded-For` cannot dodge or reset a limit.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a = s.parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|c| format!("{}/{}", c.addr, c.prefix))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// The configured trusted proxies (empty: trust no header).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Comma- or space-separated addresses or CIDR blocks.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut out = Vec::new();
        for part in text
            .split([',', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            out.push(
                Cidr::parse(part)
                    .ok_or_else(|| format!("`{part}` is not an IP address or CIDR block"))?,
            );
        }
        Ok(TrustedProxies(out))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client address for a request from `peer` with these
    /// `X-Forwarded-For` header values.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return ip,
                // A malformed hop: stop trusting the chain here.
                Err(_) => return peer,
            }
        }
        peer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    // proves: ACC-5
    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9"),
            "spoofed header ignored"
        );
        let lb = TrustedProxies::parse("10.0.0.0/8, 192.168.1.5").unwrap();
        assert_eq!(
            lb.client(ip("10.1.2.3"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // A client-supplied left part is not believed: the rightmost untrusted hop wins.
        assert_eq!(
            lb.client(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.7, 10.9.9.9"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            lb.client(ip("10.1.2.3"), &["junk, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            lb.client(ip("10.1.2.3"), &["198.51.100.7, junk"]),
            ip("10.1.2.3")
        );
        assert_eq!(lb.client(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        assert_eq!(
            lb.client(ip("203.0.113.9"), &["198.51.100.7"]),
            ip("203.0.113.9"),
            "untrusted peer"
        );
        assert_eq!(
            lb.client(ip("::ffff:192.168.1.5"), &["198.51.100.8"]),
            ip("198.51.100.8")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("example.com").is_err());
        let v6 = TrustedProxies::parse("fd00::/8").unwrap();
        assert_eq!(
            v6.client(ip("fd12::1"), &["2001:db8::1"]),
            ip("2001:db8::1")
        );
    }
}
