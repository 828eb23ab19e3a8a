//! PEM reading shared by the client and server builders.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::TlsError;

/// The crypto provider of every config this crate builds: `ring` (Rust, C and
/// assembly built with `cc`; no cmake, no Go, unlike `aws-lc-rs`).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    // rustls 0.23.48 marks the ring provider deprecated because it lacks the post-quantum
    // key exchange (X25519MLKEM768) that aws-lc-rs has; classical X25519/P-256 remain
    // secure today, and the cmake-free build is this project's choice
    // (docs/dependencies.md). Switching providers is this one line.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// Every certificate in `pem`; an error when there is none or one is malformed.
pub(crate) fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Config(format!("{what}: unreadable PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::Config(format!(
            "{what}: no `BEGIN CERTIFICATE` block in the PEM data"
        )));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in `pem`.
pub(crate) fn key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| TlsError::Config(format!("{what}: no usable PEM private key: {e}")))
}
