//! Multishot accept for [`TcpListener`](crate::net::TcpListener) on the io_uring driver.
//!
//! One `IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT` stays in the kernel for the
//! listener's life and posts a completion per connection; the descriptors queue in the
//! driver's slot until `poll_accept` takes them, one per call.
//!
//! The kernel reads `RLIMIT_NOFILE` once, when the operation is armed, so after the soft
//! limit is lowered it may still accept onto descriptor numbers at or above the new
//! limit. `poll_accept` checks each one against the current limit (`getrlimit`, one
//! syscall per connection) and, for a descriptor over it, holds the connection and
//! reports `EMFILE` as `accept(2)` would, handing it out once the limit allows: the same
//! behaviour as epoll's accept loop under descriptor exhaustion. When the kernel ends the
//! operation (an error such as `EMFILE`, reported to that caller, or its own cancel) the
//! next `poll_accept` submits a new one. Dropping the listener cancels it, and the
//! driver closes every descriptor accepted but never taken (module rules 2 and 3), so
//! none leaks.
//!
//! The peer's address is read with `getsockopt(SO_PEERNAME)`, which asks the socket the
//! way `accept(2)` does: a connection reset while it waited in the backlog is still
//! accepted with its address (its first read reports the reset), as on epoll, where
//! `getpeername` would answer `ENOTCONN` (a multishot accept cannot return addresses:
//! every completion would write the same buffer).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use corio_core::coop;
use io_uring::{opcode, types};
use parking_lot::Mutex;
use socket2::{SockAddr, Socket};

use super::{After, MultiOp, Shared, Watch};

/// The accept state of one listening socket.
pub(crate) struct UringAccept {
    shared: Arc<Shared>,
    fd: RawFd,
    /// The size of a peer address of the listener's family.
    addr_len: libc::socklen_t,
    op: Mutex<State>,
}

#[derive(Default)]
struct State {
    multi: Option<MultiOp>,
    /// Connections accepted onto descriptors over the current limit.
    held: VecDeque<Socket>,
}

/// The soft `RLIMIT_NOFILE`.
fn soft_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return u64::MAX;
    }
    lim.rlim_cur
}

/// `Ok(s)` if `s`'s descriptor is under the limit, else `Err(s)` to hold.
fn within_limit(s: Socket) -> Result<Socket, Socket> {
    use std::os::fd::AsRawFd;
    if (s.as_raw_fd() as u64) < soft_nofile() {
        Ok(s)
    } else {
        Err(s)
    }
}

impl UringAccept {
    /// Accept state for listener `fd`, bound to an address of family `ipv6` or IPv4.
    pub(crate) fn new(shared: Arc<Shared>, fd: RawFd, ipv6: bool) -> UringAccept {
        let addr_len = if ipv6 {
            std::mem::size_of::<libc::sockaddr_in6>()
        } else {
            std::mem::size_of::<libc::sockaddr_in>()
        };
        UringAccept {
            shared,
            fd,
            addr_len: addr_len as libc::socklen_t,
            op: Mutex::new(State::default()),
        }
    }

    /// The next accepted connection (non-blocking, close-on-exec) and its peer's address.
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Socket, SockAddr)>> {
        let s = ready!(self.poll_accept_socket(cx))?;
        let addr = peer_name(&s, self.addr_len)?;
        Poll::Ready(Ok((s, addr)))
    }

    fn poll_accept_socket(&self, cx: &mut Context<'_>) -> Poll<io::Result<Socket>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut guard = self.op.lock();
        let st = &mut *guard;
        if let Some(s) = st.held.pop_front() {
            coop.made_progress();
            return Poll::Ready(match within_limit(s) {
                Ok(s) => Ok(s),
                Err(s) => {
                    st.held.push_front(s);
                    Err(io::Error::from_raw_os_error(libc::EMFILE))
                }
            });
        }
        let op = &mut st.multi;
        loop {
            let multi = match op.as_mut() {
                Some(m) => m,
                None => {
                    let sqe = opcode::AcceptMulti::new(types::Fd(self.fd))
                        .flags(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
                        .build();
                    op.insert(self.shared.submit_multi(
                        sqe,
                        After::CloseResults,
                        cx.waker(),
                        Watch::accept(self.fd),
                    )?)
                }
            };
            match ready!(multi.poll_next(cx)) {
                None => *op = None, // ended: submit a new one
                Some((res, _)) => {
                    coop.made_progress();
                    if res < 0 {
                        return Poll::Ready(Err(io::Error::from_raw_os_error(-res)));
                    }
                    // SAFETY: a successful accept's result is a new descriptor that
                    // nothing else owns.
                    let s = unsafe { Socket::from_raw_fd(res) };
                    return Poll::Ready(match within_limit(s) {
                        Ok(s) => Ok(s),
                        Err(s) => {
                            st.held.push_back(s);
                            Err(io::Error::from_raw_os_error(libc::EMFILE))
                        }
                    });
                }
            }
        }
    }
}

/// The peer's address as `accept(2)` reports it (see the module docs); `len` is the
/// exact size of the family's address (`SO_PEERNAME` refuses a larger buffer).
fn peer_name(s: &Socket, len: libc::socklen_t) -> io::Result<SockAddr> {
    use std::os::fd::AsRawFd;
    let fd = s.as_raw_fd();
    // SAFETY: `try_init` hands us a zeroed `sockaddr_storage` and its length; we ask for
    // `len` bytes, no more than the storage holds, and `getsockopt` writes at most that
    // many and the written length back.
    let ((), addr) = unsafe {
        SockAddr::try_init(|storage, storage_len| {
            *storage_len = len.min(*storage_len);
            let opt = libc::SO_PEERNAME;
            if libc::getsockopt(fd, libc::SOL_SOCKET, opt, storage.cast(), storage_len) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        })
    }?;
    Ok(addr)
}

impl std::fmt::Debug for UringAccept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringAccept").field("fd", &self.fd).finish()
    }
}
