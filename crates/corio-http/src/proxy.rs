//! [`Proxy`]: HTTP proxies, from the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `NO_PROXY`) or given explicitly.

use std::fmt;

use crate::url::{Scheme, Target};
use crate::Error;

/// Which proxy each request goes through.
///
/// `http://` URLs are sent to the proxy as absolute-form requests; `https://` URLs go
/// through a `CONNECT` tunnel, with TLS end to end between the client and the server.
/// Proxy credentials in the proxy URL (`http://user:pass@proxy:3128`) are sent as
/// `Proxy-Authorization: Basic`.
///
/// # Examples
///
/// ```
/// use corio_http::Proxy;
///
/// let vars = [("HTTPS_PROXY", "http://proxy.internal:3128"), ("NO_PROXY", "localhost,.corp")];
/// let proxy = Proxy::from_vars(|name| {
///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
/// })
/// .unwrap();
/// assert_eq!(proxy.proxy_for("https://example.com/").as_deref(), Some("proxy.internal:3128"));
/// assert_eq!(proxy.proxy_for("https://git.corp/").as_deref(), None);
/// assert_eq!(proxy.proxy_for("http://example.com/").as_deref(), None); // no HTTP_PROXY
/// ```
#[derive(Clone, Default)]
pub struct Proxy {
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    no_proxy: Vec<NoProxy>,
    no_proxy_all: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct ProxyUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic <base64>` when the URL had credentials.
    pub(crate) authorization: Option<String>,
}

impl ProxyUrl {
    pub(crate) fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn parse(url: &str) -> Result<ProxyUrl, Error> {
        let bad = |reason: &str| Error::Proxy {
            proxy: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(bad("only http:// proxies are supported")),
            None => url,
        };
        let rest = rest.split('/').next().unwrap_or(rest);
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None => 80,
        };
        Ok(ProxyUrl {
            host: host.to_ascii_lowercase(),
            port,
            authorization: userinfo.map(|u| format!("Basic {}", base64(u.as_bytes()))),
        })
    }
}

#[derive(Clone, Debug)]
struct NoProxy {
    /// Lowercase, without a leading `.`.
    host: String,
    port: Option<u16>,
}

impl Proxy {
    /// No proxy at all.
    pub fn none() -> Proxy {
        Proxy::default()
    }

    /// The proxies named by the environment, like curl, requests and aiohttp's
    /// `trust_env=True`: `HTTPS_PROXY` for `https://` URLs, `HTTP_PROXY` for `http://`
    /// (the lowercase names too; `ALL_PROXY` for both when the specific one is unset),
    /// except for hosts in `NO_PROXY` (comma-separated host names, domain suffixes like
    /// `.example.com`, IP addresses, `host:port`, or `*` for everything).
    ///
    /// # Errors
    /// [`Error::Proxy`] when a variable holds an unusable proxy URL.
    pub fn from_env() -> Result<Proxy, Error> {
        Proxy::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables read through `get`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Proxy, Error> {
        let var = |upper: &str| {
            get(upper)
                .or_else(|| get(&upper.to_ascii_lowercase()))
                .filter(|v| !v.trim().is_empty())
        };
        let all = var("ALL_PROXY");
        let parse = |v: Option<String>| v.map(|v| ProxyUrl::parse(v.trim())).transpose();
        let mut proxy = Proxy {
            https: parse(var("HTTPS_PROXY").or_else(|| all.clone()))?,
            http: parse(var("HTTP_PROXY").or(all))?,
            ..Proxy::default()
        };
        if let Some(list) = var("NO_PROXY") {
            proxy = proxy.no_proxy(&list);
        }
        Ok(proxy)
    }

    /// Every request through the proxy at `url` (`http://[user:pass@]host:port`).
    ///
    /// # Errors
    /// [`Error::Proxy`] for an unusable URL.
    pub fn all(url: &str) -> Result<Proxy, Error> {
        let p = ProxyUrl::parse(url)?;
        Ok(Proxy {
            http: Some(p.clone()),
            https: Some(p),
            ..Proxy::default()
        })
    }

    /// Adds `NO_PROXY`-style exceptions (comma-separated).
    #[must_use = "no_proxy returns the changed proxy configuration"]
    pub fn no_proxy(mut self, list: &str) -> Proxy {
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                self.no_proxy_all = true;
                continue;
            }
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let (host, port) = match entry.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') || h.ends_with(']') => (h, p.parse().ok()),
                _ => (entry, None),
            };
            self.no_proxy.push(NoProxy {
                host: host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_ascii_lowercase(),
                port,
            });
        }
        self
    }

    /// The proxy (`host:port`) a request to `url` would use, `None` for a direct
    /// connection (or an invalid URL).
    pub fn proxy_for(&self, url: &str) -> Option<String> {
        let target = Target::parse(url).ok()?;
        self.route(&target).map(ProxyUrl::addr)
    }

    pub(crate) fn route(&self, target: &Target) -> Option<&ProxyUrl> {
        let proxy = match target.scheme {
            Scheme::Http => self.http.as_ref(),
            Scheme::Https => self.https.as_ref(),
        }?;
        if self.no_proxy_all {
            return None;
        }
        let excluded = self.no_proxy.iter().any(|n| {
            let host_matches = target.host == n.host
                || (target.host.len() > n.host.len()
                    && target.host.ends_with(&n.host)
                    && target.host.as_bytes()[target.host.len() - n.host.len() - 1] == b'.');
            host_matches && n.port.is_none_or(|p| p == target.port)
        });
        (!excluded).then_some(proxy)
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print credentials.
        f.debug_struct("Proxy")
            .field("http", &self.http.as_ref().map(ProxyUrl::addr))
            .field("https", &self.https.as_ref().map(ProxyUrl::addr))
            .field(
                "no_proxy",
                &self.no_proxy.iter().map(|n| &n.host).collect::<Vec<_>>(),
            )
            .field("no_proxy_all", &self.no_proxy_all)
            .finish()
    }
}

/// Standard base64 with padding (RFC 4648), for `Proxy-Authorization: Basic`.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn env_vars_and_no_proxy() {
        let vars = [
            ("http_proxy", "http://user:pw@127.0.0.1:3128"),
            ("HTTPS_PROXY", "proxy:8080"),
            ("no_proxy", "example.com, 10.0.0.1,internal:8443"),
        ];
        let p = Proxy::from_vars(|n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        assert_eq!(
            p.proxy_for("http://a.test/").as_deref(),
            Some("127.0.0.1:3128")
        );
        assert_eq!(
            p.proxy_for("https://a.test/").as_deref(),
            Some("proxy:8080")
        );
        assert_eq!(p.proxy_for("https://example.com/"), None);
        assert_eq!(p.proxy_for("https://www.example.com/"), None);
        assert_eq!(
            p.proxy_for("https://notexample.com/").as_deref(),
            Some("proxy:8080")
        );
        assert_eq!(p.proxy_for("http://10.0.0.1/"), None);
        assert_eq!(p.proxy_for("https://internal:8443/"), None);
        assert_eq!(
            p.proxy_for("https://internal/").as_deref(),
            Some("proxy:8080")
        );
        assert_eq!(
            p.http.as_ref().unwrap().authorization.as_deref(),
            Some("Basic dXNlcjpwdw==")
        );
        assert!(!format!("{p:?}").contains("pw"));
        let star = Proxy::all("http://p:1").unwrap().no_proxy("*");
        assert_eq!(star.proxy_for("http://x/"), None);
        assert!(matches!(
            Proxy::all("socks5://p:1"),
            Err(Error::Proxy { .. })
        ));
        assert!(Proxy::from_vars(|_| None)
            .unwrap()
            .proxy_for("http://x/")
            .is_none());
    }
}
