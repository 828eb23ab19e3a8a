//! corio-http's own parsers: request URLs and redirect `Location` resolution
//! (`crates/corio-http/src/url.rs`) and proxy settings (`proxy.rs`: proxy URLs with
//! credentials, `NO_PROXY` lists), included by path with a stand-in for the crate's
//! `Error` (the two files use only its `InvalidUrl` and `Proxy` variants). corio-hyper
//! parses nothing itself (hyper does), so it has no target.
//!
//! Properties: no input panics; a parsed URL has a host and an origin-form path, and its
//! normalised form parses back to the same parts; every proxy decision is a host:port.

#![no_main]
#![allow(dead_code, unreachable_pub)]

use libfuzzer_sys::fuzz_target;

/// The variants of `corio_http::Error` the included files construct.
#[derive(Debug)]
enum Error {
    InvalidUrl { url: String, reason: String },
    Proxy { proxy: String, reason: String },
}

#[path = "../../crates/corio-http/src/url.rs"]
mod url;

#[path = "../../crates/corio-http/src/proxy.rs"]
mod proxy;

fuzz_target!(|data: &[u8]| {
    // Fields separated by 0xff (never part of UTF-8): URL, Location, HTTP_PROXY,
    // HTTPS_PROXY, NO_PROXY.
    let fields: Vec<String> = data
        .split(|&b| b == 0xff)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize| fields.get(i).cloned().unwrap_or_default();
    let raw = field(0);

    if let Ok(target) = url::Target::parse(&raw) {
        assert!(target.path_and_query.starts_with('/'));
        // Found by this target and fixed in url.rs (docs/reliability.md, "Fuzzing"; the
        // reproducers are in the corpus): a bracket inside a host
        // (`http://example[fe80::1]:8080`) and an empty bracketed host (`https://[]`).
        // A parsed host is never empty and has its IPv6 brackets removed.
        assert!(!target.host.is_empty(), "{raw:?}: empty host");
        assert!(
            !target.host.contains(['[', ']']),
            "{raw:?}: host {:?}",
            target.host
        );
        let again = url::Target::parse(&target.url).unwrap_or_else(|e| {
            panic!("{raw:?} normalised to {:?}, which fails: {e:?}", target.url)
        });
        assert_eq!(
            (
                again.scheme,
                &again.host,
                again.port,
                &again.authority,
                &again.path_and_query
            ),
            (
                target.scheme,
                &target.host,
                target.port,
                &target.authority,
                &target.path_and_query
            )
        );
        let _ = target.resolve(&field(1));
    }

    let vars = [("HTTP_PROXY", 2), ("HTTPS_PROXY", 3), ("NO_PROXY", 4)];
    let got = proxy::Proxy::from_vars(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|&(_, i)| field(i))
            .filter(|v| !v.is_empty())
    });
    if let Ok(proxy) = got {
        if let Some(addr) = proxy.proxy_for(&raw) {
            assert!(
                addr.rsplit_once(':')
                    .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()),
                "{addr:?}"
            );
        }
    }
});
