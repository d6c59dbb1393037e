//! Which outside addresses the server may send to. Channel URLs are set by admins only, but a
//! server that posts wherever it is told can be made to reach its own network (SSRF): so
//! targets in private, loopback, link-local and other non-public ranges are refused unless
//! `DUYAN_NOTIFY_ALLOW_PRIVATE=true`. The check is made on the addresses a name resolves to
//! at the moment of sending (the HTTP client's resolver, [`Guard`]), so a name that resolves
//! to a public address when the channel is saved and to a private one later is refused too.

use std::net::{IpAddr, SocketAddr};

/// Why a URL may not be a channel's target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the URL is not a valid http(s) URL")]
    Invalid,
    #[error("the target is in a private or loopback range")]
    Private,
}

/// Checks the shape of a channel URL: http or https, a host, at most 2,000 characters, and, if
/// the host is an IP address, a public one (unless `allow_private`). Names are checked when
/// they are resolved.
pub fn check_url(url: &str, allow_private: bool) -> Result<url::Url, Refused> {
    if url.len() > 2000 {
        return Err(Refused::Invalid);
    }
    let parsed = url::Url::parse(url).map_err(|_| Refused::Invalid)?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.username().is_empty() {
        return Err(Refused::Invalid);
    }
    match parsed.host() {
        None => Err(Refused::Invalid),
        Some(url::Host::Ipv4(ip)) if !allow_private && !is_public(IpAddr::V4(ip)) => {
            Err(Refused::Private)
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && !is_public(IpAddr::V6(ip)) => {
            Err(Refused::Private)
        }
        Some(url::Host::Domain(name)) if !allow_private && is_local_name(name) => {
            Err(Refused::Private)
        }
        Some(_) => Ok(parsed),
    }
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name.ends_with(".local")
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique
/// local), link-local, carrier-grade NAT, unspecified, multicast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// The HTTP client's resolver: resolves with the system and refuses, unless allowed, names
/// that resolve to any non-public address.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow && found.iter().any(|a| !is_public(a.ip())) {
                return Err(Box::new(Refused::Private) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_targets_are_refused() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://localhost:9000/",
            "http://100.64.0.1/",
        ] {
            assert_eq!(check_url(url, false), Err(Refused::Private), "{url}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        assert!(
            check_url(
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                false
            )
            .is_ok()
        );
        assert!(check_url("https://1.1.1.1/hook", false).is_ok());
        for url in [
            "ftp://example.com/",
            "not a url",
            "http://user:pw@example.com/",
        ] {
            assert_eq!(check_url(url, false), Err(Refused::Invalid), "{url}");
        }
    }
}
