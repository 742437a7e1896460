//! Where an outbound event may go: http(s) only, no credentials in the URL, and (unless
//! `webhooks_out.allow_private_addresses`) no loopback, private, link-local or otherwise
//! internal address, checked on the URL when it is registered and on every address its name
//! resolves to when it is called, so a name that later points inside the network is refused
//! too. The client never follows a redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// Checks an endpoint URL as registered; returns it parsed, or why not.
pub fn check(url: &str, allow_private: bool) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("the scheme must be http or https, not {:?}", parsed.scheme()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("a user name or password in the URL is not supported: events are signed instead".into());
    }
    if allow_private {
        return match parsed.host() {
            Some(_) => Ok(parsed),
            None => Err("the URL names no host".into()),
        };
    }
    match parsed.host() {
        None => Err("the URL names no host".into()),
        Some(Host::Ipv4(ip)) if forbidden(IpAddr::V4(ip)) => Err(private(ip)),
        Some(Host::Ipv6(ip)) if forbidden(IpAddr::V6(ip)) => Err(private(ip)),
        Some(Host::Domain(name)) if is_local_name(name) => Err(private(name)),
        Some(_) => Ok(parsed),
    }
}

fn private(what: impl std::fmt::Display) -> String {
    format!("{what} is a loopback, private or link-local address; set webhooks_out.allow_private_addresses to allow it")
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// True for an address an outbound event must not reach by default.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(ip),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 0.0.0.0/8 ("this network") and 100.64.0.0/10 (carrier-grade NAT).
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || ip.is_unique_local() || ip.is_unicast_link_local()
}

/// A DNS resolver that drops forbidden addresses: a name resolving only to them fails to
/// connect, with a reason.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all.into_iter().filter(|a| !forbidden(a.ip())).collect();
            if allowed.is_empty() {
                return Err(private(&host).into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client events go out with.
pub fn client(allow_private: bool, timeout: std::time::Duration) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(10)))
        .user_agent(concat!("zoomsync/", env!("CARGO_PKG_VERSION")));
    if allow_private { builder.build() } else { builder.dns_resolver(Arc::new(PublicOnly)).build() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_internal_targets_unless_allowed() {
        for url in [
            "http://127.0.0.1:9/hook",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://100.64.0.1/",
        ] {
            assert!(check(url, false).is_err(), "{url} allowed");
            assert!(check(url, true).is_ok(), "{url} refused with private addresses allowed");
        }
        assert!(check("https://example.com/hooks/zoomsync", false).is_ok());
        assert!(check("https://8.8.8.8/", false).is_ok());
    }

    #[test]
    fn refuses_other_schemes_and_credentials() {
        for url in ["ftp://example.com/", "file:///etc/passwd", "https://user:pw@example.com/", "not a url", ""] {
            assert!(check(url, true).is_err(), "{url} allowed");
        }
    }
}
