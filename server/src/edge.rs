//! What sits between the network and the application, for running behind a reverse proxy
//! and being operated:
//!
//! - **The client's address.** Behind a proxy every connection comes from the proxy, so the
//!   sign-in limiter would count all clients as one. For a connection from a trusted proxy
//!   (`--trusted-proxies`), the client is the rightmost address of `X-Forwarded-For` that is not
//!   itself a trusted proxy: everything left of it could have been written by the client. A
//!   connection from anywhere else is taken as it is, whatever its headers say.
//! - **A request id** on every request: taken from a trusted proxy's `X-Request-Id` (so the
//!   proxy's log and ours name the same id), else made here; sent back as `X-Request-Id` and
//!   carried by every log line of the request.
//! - **An access log line** per request at `info` (target `duyan::access`): method, path
//!   without the query string (tokens travel there), status, duration, client.
//! - **`/metrics` for a scraper**: with `DUYAN_METRICS_TOKEN` set, `Authorization: Bearer
//!   <that token>` is enough, so Prometheus needs no admin account. Admins' own tokens keep
//!   working through the normal route.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::metrics::Metrics;

/// The client's address as [`layer`] established it; the `ClientAddr` extractor reads it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// A network (`10.0.0.0/8`) or one address (`127.0.0.1`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    address: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Net {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        let (address, prefix) = match value.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (value, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{value}` is not an address or a network"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{value}`: the prefix must be 0 to {max}"))?,
            None => max,
        };
        Ok(Self { address, prefix })
    }
}

impl Net {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.address), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `::ffff:10.0.0.1` is `10.0.0.1` (a dual-stack listener reports IPv4 peers that way).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<Net>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client behind a connection from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        // Every header line, in order, then each comma-separated entry, right to left.
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for entry in entries.iter().rev() {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                // Garbage: nothing further left can be trusted either.
                break;
            };
            client = canonical(ip);
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// What the edge layer needs.
pub struct Edge {
    pub trusted: TrustedProxies,
    /// `DUYAN_METRICS_TOKEN`: a scraper presenting it may read `/metrics`.
    pub metrics_token: Option<String>,
    pub metrics: Arc<Metrics>,
}

/// Wraps the application in the edge layer.
pub fn layer(router: Router, edge: Edge) -> Router {
    router.layer(axum::middleware::from_fn_with_state(Arc::new(edge), handle))
}

/// Longest request id taken from a proxy.
const MAX_REQUEST_ID: usize = 64;

async fn handle(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let client = peer.map(|peer| edge.trusted.client(peer, request.headers()));
    if let Some(client) = client {
        request.extensions_mut().insert(ClientIp(client));
    }
    let from_proxy = peer.is_some_and(|peer| edge.trusted.trusts(peer));
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            from_proxy
                && !id.is_empty()
                && id.len() <= MAX_REQUEST_ID
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %id);
    let started = Instant::now();
    let mut response = if path == "/metrics" && scraper(&edge, request.headers()) {
        (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            edge.metrics.render(),
        )
            .into_response()
    } else {
        next.run(request).instrument(span.clone()).await
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        let client = client.map(|c| c.to_string()).unwrap_or_default();
        tracing::info!(target: "duyan::access", %method, %path, status, ms = format_args!("{ms:.1}"), %client, "request");
    });
    response
}

/// Whether the request carries the metrics token (compared in constant time).
fn scraper(edge: &Edge, headers: &HeaderMap) -> bool {
    let Some(expected) = edge.metrics_token.as_deref() else {
        return false;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net: Net = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.1.2.3")));
        assert!(net.contains(ip("::ffff:10.1.2.3")));
        assert!(!net.contains(ip("11.0.0.1")));
        let one: Net = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        assert!("0.0.0.0/0".parse::<Net>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["", "10.0.0.0/33", "x", "10.0.0.0/a"] {
            assert!(bad.parse::<Net>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_up_to_the_first_stranger() {
        let trusted = TrustedProxies(vec![
            "127.0.0.1".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]);
        // Not from a proxy: the header is ignored.
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])),
            ip("203.0.113.9")
        );
        // From the proxy: the address it saw.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &headers(&["198.51.100.1"])),
            ip("198.51.100.1")
        );
        // A client's forged entries stand left of the real one and are not reached.
        assert_eq!(
            trusted.client(
                ip("127.0.0.1"),
                &headers(&["1.2.3.4, 198.51.100.1", "10.0.0.5"])
            ),
            ip("198.51.100.1")
        );
        // No header: the proxy itself.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &headers(&[])),
            ip("127.0.0.1")
        );
        // Garbage stops the walk at the last good entry.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &headers(&["nonsense, 10.0.0.7"])),
            ip("10.0.0.7")
        );
    }
}
