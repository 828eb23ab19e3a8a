//! [`Target`]: a parsed `http://` or `https://` URL, and redirect `Location` resolution.

use hyper::Uri;

use crate::Error;

/// `http` or `https`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A request URL, split into what connecting and the request line need.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) scheme: Scheme,
    /// The host without IPv6 brackets (for DNS, TCP and the TLS server name).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `host[:port]` as written for the `Host` header (brackets kept).
    pub(crate) authority: String,
    /// The origin-form request target: `/path?query`.
    pub(crate) path_and_query: String,
    /// The whole URL without the fragment.
    pub(crate) url: String,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target, Error> {
        let bad = |reason: &str| Error::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let without_fragment = url.split('#').next().unwrap_or(url);
        let uri: Uri = without_fragment
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(_) => return Err(bad("only http:// and https:// URLs are supported")),
            None => return Err(bad("no scheme (expected http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let raw_host = authority.host();
        let host = match raw_host.strip_prefix('[') {
            // A bracketed host must be exactly an IPv6 literal.
            Some(inner) => match inner.strip_suffix(']') {
                Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => v6.to_ascii_lowercase(),
                _ => return Err(bad("invalid IPv6 address in brackets")),
            },
            None if raw_host.contains(['[', ']']) => {
                return Err(bad("brackets are only allowed around an IPv6 address"))
            }
            None => raw_host.to_ascii_lowercase(),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let default_port = match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let port = authority.port_u16().unwrap_or(default_port);
        let authority = match authority.port_u16() {
            Some(p) if p != default_port => format!("{raw_host}:{p}"),
            _ => raw_host.to_owned(),
        };
        let path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        let path_and_query = if path_and_query.starts_with('/') {
            path_and_query.to_owned()
        } else {
            format!("/{path_and_query}")
        };
        Ok(Target {
            url: format!("{}://{authority}{path_and_query}", scheme.as_str()),
            scheme,
            host,
            port,
            authority,
            path_and_query,
        })
    }

    /// The absolute URL a `Location` header value points to, relative to this one.
    pub(crate) fn resolve(&self, location: &str) -> String {
        let location = location.trim();
        let has_scheme = location.split_once("://").is_some_and(|(s, _)| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        if has_scheme {
            location.to_owned()
        } else if let Some(rest) = location.strip_prefix("//") {
            format!("{}://{rest}", self.scheme.as_str())
        } else if location.starts_with('/') {
            format!("{}://{}{location}", self.scheme.as_str(), self.authority)
        } else if location.starts_with('?') {
            let path = self.path_and_query.split('?').next().unwrap_or("/");
            format!(
                "{}://{}{path}{location}",
                self.scheme.as_str(),
                self.authority
            )
        } else {
            let path = self.path_and_query.split('?').next().unwrap_or("/");
            let dir = &path[..=path.rfind('/').unwrap_or(0)];
            format!(
                "{}://{}{dir}{location}",
                self.scheme.as_str(),
                self.authority
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_parts() {
        let t = Target::parse("https://Example.com/a/b?q=1#frag").unwrap();
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!((t.host.as_str(), t.port), ("example.com", 443));
        assert_eq!(t.path_and_query, "/a/b?q=1");
        assert_eq!(t.url, "https://Example.com/a/b?q=1");
        let t = Target::parse("http://[::1]:8080").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert_eq!(t.authority, "[::1]:8080");
        assert_eq!(t.path_and_query, "/");
        let t = Target::parse("http://h:80/x").unwrap();
        assert_eq!(t.authority, "h");
    }

    #[test]
    fn rejects_what_cannot_be_fetched() {
        for url in [
            "ftp://h/",
            "h/path",
            "http:///x",
            "not a url",
            "http://u:p@h/",
        ] {
            let err = Target::parse(url).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{url}: {err}");
            assert!(err.to_string().contains(url), "{err}");
        }
    }

    #[test]
    fn resolves_locations() {
        let t = Target::parse("https://h:8443/a/b?q=1").unwrap();
        assert_eq!(t.resolve("http://other/x"), "http://other/x");
        assert_eq!(t.resolve("//cdn/x"), "https://cdn/x");
        assert_eq!(t.resolve("/root"), "https://h:8443/root");
        assert_eq!(t.resolve("c"), "https://h:8443/a/c");
        assert_eq!(t.resolve("?p=2"), "https://h:8443/a/b?p=2");
    }
}
