//! Which connection errors are worth a log line.
//!
//! A server sees many connections end badly through no fault of its own: the client
//! resets, closes mid-request, sends garbage (hyper already answered 400/431), or idles
//! past the header-read timeout. Logging those floods the log and hides real faults, so
//! [`is_client_gone`] walks an error's `source()` chain and calls them expected.

use std::error::Error as StdError;
use std::io;

/// `true` when `err` (or an error it wraps) says the client went away, misbehaved or
/// timed out; such an error is not passed to the connection-error hook.
pub(crate) fn is_client_gone(err: &(dyn StdError + 'static)) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message()
                || h.is_canceled()
                || h.is_timeout()
                || h.is_parse()
                || h.is_parse_status()
                || h.is_body_write_aborted()
            {
                return true;
            }
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::NotConnected
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::TimedOut
            ) {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(io::Error);
    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("wrapped")
        }
    }
    impl StdError for Wrap {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn resets_and_eofs_are_expected_anywhere_in_the_chain() {
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::NotConnected,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            assert!(is_client_gone(&io::Error::from(kind)), "{kind:?}");
            assert!(is_client_gone(&Wrap(io::Error::from(kind))), "{kind:?}");
        }
    }

    #[test]
    fn other_errors_are_worth_a_log_line() {
        assert!(!is_client_gone(&io::Error::from(
            io::ErrorKind::PermissionDenied
        )));
        assert!(!is_client_gone(&Wrap(io::Error::other("disk on fire"))));
    }
}
