//! [`TlsError`]: why a handshake or a configuration failed, with the cause named.

use std::fmt;
use std::io;
use std::time::Duration;

use rustls::{AlertDescription, CertificateError};

/// Why a TLS handshake, a TLS configuration or a TLS stream failed.
///
/// The certificate problems users meet most (an expired certificate, a certificate for
/// another host name, a certificate signed by an authority the client does not trust)
/// each have their own variant, so code can match on them and the message names them.
///
/// Converts into [`io::Error`] (kind `TimedOut` for [`TlsError::HandshakeTimeout`],
/// the original kind for [`TlsError::Io`], `InvalidData` otherwise) with this error as
/// its source, and back with [`TlsError::from_io`].
///
/// # Examples
///
/// ```
/// use corio_tls::TlsError;
/// use std::time::Duration;
///
/// let e = TlsError::HandshakeTimeout(Duration::from_secs(10));
/// assert_eq!(e.to_string(), "tls handshake timed out after 10s");
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// assert!(matches!(TlsError::from_io(io), TlsError::HandshakeTimeout(_)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// The name given for SNI and certificate checks is neither a DNS name nor an IP
    /// address.
    InvalidServerName(String),
    /// The handshake did not finish within the handshake timeout (on corio's clock).
    HandshakeTimeout(Duration),
    /// The peer's certificate expired (its `notAfter` is in the past).
    CertificateExpired(CertificateError),
    /// The peer's certificate is not valid yet (its `notBefore` is in the future).
    CertificateNotYetValid(CertificateError),
    /// The peer's certificate is valid, but not for the host name that was asked for.
    WrongHostName(CertificateError),
    /// The peer's certificate chain does not lead to a trusted root: an unknown or
    /// self-signed certificate authority.
    UnknownIssuer,
    /// Another certificate problem (bad encoding, bad signature, revoked, wrong purpose).
    BadCertificate(CertificateError),
    /// The peer aborted with a fatal TLS alert (for example a server that requires a
    /// client certificate and got none, or one it does not trust).
    AlertReceived(AlertDescription),
    /// The configuration is unusable: unreadable PEM, no trusted roots, a key that does
    /// not match the certificate.
    Config(String),
    /// Any other TLS protocol error.
    Protocol(rustls::Error),
    /// The transport failed (connection refused, reset, closed mid-handshake).
    Io(io::Error),
}

impl TlsError {
    /// Classifies a `rustls` error.
    pub fn from_rustls(err: rustls::Error) -> TlsError {
        match err {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    TlsError::CertificateExpired(cert)
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    TlsError::CertificateNotYetValid(cert)
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => TlsError::WrongHostName(cert),
                CertificateError::UnknownIssuer => TlsError::UnknownIssuer,
                other => TlsError::BadCertificate(other),
            },
            rustls::Error::AlertReceived(alert) => TlsError::AlertReceived(alert),
            other => TlsError::Protocol(other),
        }
    }

    /// Recovers the TLS cause of an I/O error from a TLS stream (or one made by
    /// `From<TlsError> for io::Error`); an error with no TLS cause becomes
    /// [`TlsError::Io`].
    pub fn from_io(err: io::Error) -> TlsError {
        if err
            .get_ref()
            .is_some_and(|inner| inner.is::<TlsError>() || inner.is::<rustls::Error>())
        {
            let inner = err.into_inner().expect("checked above");
            return match inner.downcast::<TlsError>() {
                Ok(tls) => *tls,
                Err(inner) => match inner.downcast::<rustls::Error>() {
                    Ok(rustls) => TlsError::from_rustls(*rustls),
                    Err(_) => unreachable!("checked above"),
                },
            };
        }
        TlsError::Io(err)
    }

    /// Whether this is a problem with the peer's certificate (expired, not yet valid,
    /// wrong host name, unknown issuer or another defect).
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            TlsError::CertificateExpired(_)
                | TlsError::CertificateNotYetValid(_)
                | TlsError::WrongHostName(_)
                | TlsError::UnknownIssuer
                | TlsError::BadCertificate(_)
        )
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::InvalidServerName(name) => {
                write!(f, "invalid tls server name {name:?}: not a DNS name or IP address")
            }
            TlsError::HandshakeTimeout(d) => write!(f, "tls handshake timed out after {d:?}"),
            TlsError::CertificateExpired(e) => {
                write!(f, "tls certificate expired: the peer's certificate is past its notAfter date ({e})")
            }
            TlsError::CertificateNotYetValid(e) => {
                write!(f, "tls certificate not yet valid: the peer's certificate is before its notBefore date ({e})")
            }
            TlsError::WrongHostName(e) => {
                write!(f, "tls certificate is for another host name ({e})")
            }
            TlsError::UnknownIssuer => f.write_str(
                "tls certificate signed by an unknown certificate authority (no trusted root; add the CA with add_root_pem)",
            ),
            TlsError::BadCertificate(e) => write!(f, "bad tls certificate: {e}"),
            TlsError::AlertReceived(alert) => {
                write!(f, "the tls peer aborted with a fatal alert: {alert:?}")
            }
            TlsError::Config(msg) => write!(f, "tls configuration error: {msg}"),
            TlsError::Protocol(e) => write!(f, "tls protocol error: {e}"),
            TlsError::Io(e) => write!(f, "tls transport error: {e}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::Protocol(e) => Some(e),
            TlsError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TlsError> for io::Error {
    fn from(err: TlsError) -> io::Error {
        match err {
            TlsError::Io(e) => e,
            TlsError::HandshakeTimeout(_) => io::Error::new(io::ErrorKind::TimedOut, err),
            TlsError::InvalidServerName(_) | TlsError::Config(_) => {
                io::Error::new(io::ErrorKind::InvalidInput, err)
            }
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

impl From<rustls::Error> for TlsError {
    fn from(err: rustls::Error) -> TlsError {
        TlsError::from_rustls(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_are_classified() {
        let expired =
            TlsError::from_rustls(rustls::Error::InvalidCertificate(CertificateError::Expired));
        assert!(matches!(expired, TlsError::CertificateExpired(_)));
        assert!(expired.to_string().contains("expired"));
        assert!(expired.is_certificate_error());
        let name = TlsError::from_rustls(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName,
        ));
        assert!(matches!(name, TlsError::WrongHostName(_)));
        assert!(name.to_string().contains("another host name"));
        let ca = TlsError::from_rustls(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert!(ca.to_string().contains("unknown certificate authority"));
        let alert = TlsError::from_rustls(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert!(matches!(
            alert,
            TlsError::AlertReceived(AlertDescription::CertificateRequired)
        ));
        assert!(!alert.is_certificate_error());
    }

    #[test]
    fn io_round_trip_keeps_the_cause() {
        let io: io::Error = TlsError::UnknownIssuer.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(TlsError::from_io(io), TlsError::UnknownIssuer));
        // What futures-rustls returns: a rustls::Error inside an io::Error.
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::Expired),
        );
        assert!(matches!(
            TlsError::from_io(io),
            TlsError::CertificateExpired(_)
        ));
        let plain = io::Error::from(io::ErrorKind::ConnectionReset);
        match TlsError::from_io(plain) {
            TlsError::Io(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
    }
}
