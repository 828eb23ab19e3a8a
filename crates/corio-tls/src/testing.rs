//! A certificate authority generated at run time, for tests, examples and local
//! development servers (feature `testing`; uses `rcgen`).
//!
//! Nothing here touches the disk unless asked ([`TestCert::write`]); keys are fresh
//! ECDSA P-256 keys on every run.
//!
//! # Examples
//!
//! ```
//! use corio_tls::testing::TestCa;
//!
//! let ca = TestCa::new("My Test CA");
//! let server = ca.issue(&["localhost", "127.0.0.1"]);
//! assert!(server.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
//! let expired = ca.issue_expired(&["localhost"]);
//! let client = ca.issue_client("alice");
//! # drop((expired, client));
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// A self-signed certificate authority that issues server and client certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct TestCert {
    /// The certificate (leaf only).
    pub cert_pem: String,
    /// The PKCS#8 private key.
    pub key_pem: String,
}

impl TestCa {
    /// A new CA whose certificate's common name is `name`.
    ///
    /// # Panics
    /// If key generation fails (the system random source is unavailable).
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("rcgen: generate the CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("rcgen: self-sign the CA");
        TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA certificate, PEM (what clients add to their trusted roots).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `names` (DNS names or IP addresses), valid from 1975 to
    /// 4096.
    ///
    /// # Panics
    /// On a name that is neither a DNS name nor an IP address.
    pub fn issue(&self, names: &[&str]) -> TestCert {
        let cn = names.first().copied().unwrap_or("server");
        self.issue_inner(names, cn, ExtendedKeyUsagePurpose::ServerAuth, None)
    }

    /// A server certificate for `names` that expired on 2020-01-01.
    ///
    /// # Panics
    /// As [`issue`](Self::issue).
    pub fn issue_expired(&self, names: &[&str]) -> TestCert {
        let cn = names.first().copied().unwrap_or("server");
        self.issue_inner(
            names,
            cn,
            ExtendedKeyUsagePurpose::ServerAuth,
            Some((2019, 2020)),
        )
    }

    /// A client certificate (for mutual TLS) whose common name is `name`.
    pub fn issue_client(&self, name: &str) -> TestCert {
        self.issue_inner(&[], name, ExtendedKeyUsagePurpose::ClientAuth, None)
    }

    fn issue_inner(
        &self,
        names: &[&str],
        common_name: &str,
        usage: ExtendedKeyUsagePurpose,
        years: Option<(i32, i32)>,
    ) -> TestCert {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone())
            .unwrap_or_else(|e| panic!("rcgen: bad certificate name in {names:?}: {e}"));
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        if let Some((from, to)) = years {
            params.not_before = date_time_ymd(from, 1, 1);
            params.not_after = date_time_ymd(to, 1, 1);
        }
        let key = KeyPair::generate().expect("rcgen: generate a key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("rcgen: sign the certificate");
        TestCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

impl TestCert {
    /// Writes `<stem>.crt` and `<stem>.key` into `dir` (for openssl, curl or nginx) and
    /// returns their paths.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn write(&self, dir: &Path, stem: &str) -> io::Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        std::fs::write(&cert, &self.cert_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl fmt::Debug for TestCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCert").finish_non_exhaustive()
    }
}
