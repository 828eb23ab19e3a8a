//! `accept` when the process is out of descriptors fails with EMFILE, and the listener
//! keeps working once descriptors are free. Own test binary: it lowers RLIMIT_NOFILE.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use corio_reactor::net::TcpListener;

fn set_soft_limit(n: libc::rlim_t) -> libc::rlim_t {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let old = lim.rlim_cur;
    lim.rlim_cur = n;
    // SAFETY: `lim` is a valid rlimit; lowering the soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    old
}

fn lowest_free_fd() -> libc::rlim_t {
    // SAFETY: dup of stdin; the new fd is closed at once.
    let fd = unsafe { libc::dup(0) };
    assert!(fd >= 0);
    // SAFETY: `fd` was just returned by dup and is ours.
    unsafe { libc::close(fd) };
    fd as libc::rlim_t
}

#[test]
fn accept_reports_emfile_and_recovers() {
    support::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Blocking std clients: the handshake completes in the kernel's backlog.
        let _c1 = std::net::TcpStream::connect(addr).unwrap();
        let _c2 = std::net::TcpStream::connect(addr).unwrap();

        let old = set_soft_limit(lowest_free_fd());
        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        // Still out of descriptors: still EMFILE, not a hang.
        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE));

        set_soft_limit(old);
        let (s1, _) = listener.accept().await.unwrap();
        let (s2, _) = listener.accept().await.unwrap();
        assert_eq!(s1.peer_addr().unwrap(), _c1.local_addr().unwrap());
        assert_eq!(s2.peer_addr().unwrap(), _c2.local_addr().unwrap());
    });
}
