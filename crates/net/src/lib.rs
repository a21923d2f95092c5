//! Outbound requests made for users go only to public addresses (server-side request
//! forgery): a user's LLM base URL or HTTP MCP server URL must not make the server
//! reach its own loopback, the machine's private network, a cloud metadata endpoint
//! (169.254.169.254) or another user's dev server.
//!
//! Two checks, because either alone can be bypassed:
//! * [`PublicResolver`], a DNS resolver for `reqwest` that drops every non-public
//!   address of a name, so the connection goes only where the check looked (no DNS
//!   rebinding between a check and the connect);
//! * [`check_url`] for URLs whose host is an IP literal or `localhost`, which never reach a
//!   resolver.
//!
//! Clients built with [`public_client_builder`] also follow no redirects (a public
//! server could otherwise redirect to a private literal).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Whether `ip` is an address on the public internet: not loopback, private (RFC 1918,
/// unique-local), link-local, shared (CGNAT), unspecified, broadcast, multicast,
/// documentation or otherwise reserved — IPv4-mapped IPv6 addresses are judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (CGNAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (18..20).contains(&b))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // NAT64 64:ff9b::/96 could reach any IPv4 address; refused.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

/// Checks a URL before any request: `Err` says why it may not be used when its host is
/// `localhost` (or a name under it) or an IP literal that is not public. Names are
/// checked when they are resolved ([`PublicResolver`]).
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a valid URL: {e}"))?;
    let refuse = |what: &str| {
        Err(format!(
            "{url:?} points at {what}; this server lets users reach only public addresses (an admin can start it with --allow-private-networks)"
        ))
    };
    let Some(host) = parsed.host_str() else {
        return Err(format!("{url:?} has no host"));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if is_public(ip) {
            Ok(())
        } else {
            refuse("a private address")
        };
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return refuse("this machine (localhost)");
    }
    Ok(())
}

/// A DNS resolver that keeps only the public addresses of a name; a name with none is an
/// error that says so.
#[derive(Clone, Copy, Debug, Default)]
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves only to private addresses; this server lets users reach only public addresses"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A client builder for requests made for users: public addresses only, no redirects,
/// and no proxy from the environment (a proxy would resolve and reach the target itself,
/// past the resolver).
pub fn public_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(PublicResolver))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} passed as public");
        }
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} refused");
        }
    }

    #[test]
    fn urls_naming_this_machine_or_private_literals_are_refused() {
        for url in [
            "http://localhost:8080/v1",
            "http://LOCALHOST./v1",
            "http://api.localhost/v1",
            "http://127.0.0.1:11434/v1",
            "http://[::1]/mcp",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:192.168.0.1]/",
        ] {
            let e = check_url(url).unwrap_err();
            assert!(e.contains("public addresses"), "{url}: {e}");
        }
        assert!(check_url("https://api.openai.com/v1").is_ok());
        assert!(check_url("http://8.8.8.8/").is_ok());
        assert!(check_url("not a url").is_err());
    }

    #[tokio::test]
    async fn the_resolver_drops_private_addresses() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = match PublicResolver.resolve(name).await {
            Ok(_) => panic!("localhost resolved"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("only to private addresses"), "{err}");
    }

    #[tokio::test]
    async fn a_client_cannot_reach_a_loopback_server_by_name() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = public_client_builder().build().unwrap();
        let err = client
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap_err();
        let chain = format!("{err:?}");
        assert!(chain.contains("private addresses"), "{chain}");
    }
}
