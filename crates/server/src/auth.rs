//! Credentials → user. The only place a user's identity is decided.

use crate::config::Mode;
use arranger_domain::UserId;
use arranger_store::{Principal, StoreError, User, UserDirectory};
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The id (and directory name) of the implicit user of single-user mode.
pub const SINGLE_USER_ID: &str = "local";

/// Name of the login cookie (HttpOnly, SameSite=Strict).
pub const COOKIE_NAME: &str = "arranger_token";

/// WebSocket subprotocol prefix carrying a token, for browsers that cannot set headers.
pub const SUBPROTOCOL_PREFIX: &str = "bearer.";

/// Decides who a token belongs to.
#[derive(Clone)]
pub enum Authenticator {
    /// Single-user mode: one token, compared by hash.
    Single {
        /// SHA-256 of the token.
        token_hash: [u8; 32],
    },
    /// Multi-user mode: the user directory.
    Multi {
        /// The directory.
        directory: Arc<dyn UserDirectory>,
    },
}

/// A token found in a request, and whether it came in a subprotocol.
pub struct Presented {
    /// The token.
    pub token: String,
    /// The full subprotocol value, if the token came that way.
    pub subprotocol: Option<String>,
}

/// Finds a token: `Authorization: Bearer`, then the login cookie, then a `bearer.<token>`
/// WebSocket subprotocol.
pub fn presented_token(headers: &HeaderMap) -> Option<Presented> {
    if let Some(v) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
    {
        return Some(Presented {
            token: t.trim().to_owned(),
            subprotocol: None,
        });
    }
    for v in headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for part in v.split(';') {
            if let Some((k, val)) = part.trim().split_once('=')
                && k == COOKIE_NAME
                && !val.is_empty()
            {
                return Some(Presented {
                    token: val.to_owned(),
                    subprotocol: None,
                });
            }
        }
    }
    for v in headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for proto in v.split(',') {
            let proto = proto.trim();
            if let Some(t) = proto.strip_prefix(SUBPROTOCOL_PREFIX) {
                return Some(Presented {
                    token: t.to_owned(),
                    subprotocol: Some(proto.to_owned()),
                });
            }
        }
    }
    None
}

fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl Authenticator {
    /// The authenticator for a mode.
    pub fn new(mode: &Mode, directory: Option<Arc<dyn UserDirectory>>) -> Result<Self, StoreError> {
        match (mode, directory) {
            (Mode::SingleUser { token, .. }, _) => Ok(Authenticator::Single {
                token_hash: sha256(token),
            }),
            (Mode::MultiUser, Some(directory)) => Ok(Authenticator::Multi { directory }),
            (Mode::MultiUser, None) => Err(StoreError::Invalid(
                "multi-user mode needs a user directory".into(),
            )),
        }
    }

    /// The user the token proves, if it is valid now. Blocking in multi-user mode
    /// (a directory lookup): call from a blocking thread or accept a short SQLite read.
    pub fn authenticate(&self, token: &str) -> Result<Option<(User, Option<String>)>, StoreError> {
        match self {
            Authenticator::Single { token_hash } => {
                // Comparing fixed-size hashes: the time taken says nothing about the token.
                if sha256(token) == *token_hash {
                    Ok(Some((single_user(), None)))
                } else {
                    Ok(None)
                }
            }
            Authenticator::Multi { directory } => Ok(directory
                .authenticate(token)?
                .map(|Principal { user, token_id }| (user, Some(token_id)))),
        }
    }
}

/// The implicit user of single-user mode.
pub fn single_user() -> User {
    User {
        id: UserId::new(SINGLE_USER_ID),
        name: SINGLE_USER_ID.to_owned(),
        is_admin: true,
        disabled: false,
        created_at: 0,
    }
}

/// Whether a `Host` header names this server: an IP literal, `localhost`, or a
/// configured name. Any other name may be a DNS-rebinding attack.
pub fn host_allowed(host: &str, allowed_hosts: &[String]) -> bool {
    let name = strip_port(host);
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>().is_ok()
        || bare.eq_ignore_ascii_case("localhost")
        || allowed_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(bare) || h.eq_ignore_ascii_case(host))
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // [v6]:port
        return match host.find(']') {
            Some(i) => &host[..=i],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
}

/// Whether a browser `Origin` may use this server: same origin as the `Host` it asked
/// for, or explicitly allowed. Requests without an `Origin` (non-browser clients) pass.
pub fn origin_allowed(
    origin: Option<&str>,
    host: Option<&str>,
    allowed_origins: &[String],
) -> bool {
    let Some(origin) = origin else { return true };
    if allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/') == origin)
    {
        return true;
    }
    let Some(host) = host else { return false };
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!(rest, Some(h) if h.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let none: Vec<String> = vec![];
        assert!(host_allowed("127.0.0.1:7878", &none));
        assert!(host_allowed("localhost:7878", &none));
        assert!(host_allowed("[::1]:7878", &none));
        assert!(host_allowed("10.1.2.3", &none));
        assert!(!host_allowed("evil.example:7878", &none));
        assert!(!host_allowed("localhost.evil.example", &none));
        assert!(host_allowed(
            "arranger.corp:443",
            &["arranger.corp".to_owned()]
        ));
    }

    #[test]
    fn origins() {
        let none: Vec<String> = vec![];
        assert!(origin_allowed(None, Some("127.0.0.1:1"), &none));
        assert!(origin_allowed(
            Some("http://127.0.0.1:1"),
            Some("127.0.0.1:1"),
            &none
        ));
        assert!(!origin_allowed(
            Some("http://evil.example"),
            Some("127.0.0.1:1"),
            &none
        ));
        assert!(!origin_allowed(Some("null"), Some("127.0.0.1:1"), &none));
        assert!(origin_allowed(
            Some("https://ui.corp"),
            Some("127.0.0.1:1"),
            &["https://ui.corp/".to_owned()]
        ));
    }

    #[test]
    fn tokens_are_found_in_all_three_places() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(presented_token(&h).unwrap().token, "abc");
        let mut h = HeaderMap::new();
        h.insert("cookie", "x=1; arranger_token=def; y=2".parse().unwrap());
        assert_eq!(presented_token(&h).unwrap().token, "def");
        let mut h = HeaderMap::new();
        h.insert(
            "sec-websocket-protocol",
            "jsonrpc, bearer.ghi".parse().unwrap(),
        );
        let p = presented_token(&h).unwrap();
        assert_eq!(p.token, "ghi");
        assert_eq!(p.subprotocol.as_deref(), Some("bearer.ghi"));
        assert!(presented_token(&HeaderMap::new()).is_none());
    }
}
