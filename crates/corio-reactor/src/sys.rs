//! Thin, checked wrappers over the Linux system calls the reactor uses.
//!
//! Every function here returns `io::Error::last_os_error()` unchanged on failure, so
//! callers see the OS's error kind and code.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Turns a `-1` return into the OS error.
pub(crate) fn cvt<T: PartialEq + From<i8>>(ret: T) -> io::Result<T> {
    if ret == T::from(-1) {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// A new epoll instance (close-on-exec).
pub(crate) fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with a valid flag.
    let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A new non-blocking, close-on-exec eventfd with counter 0.
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with valid flags.
    let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds 1 to an eventfd's counter (errors are ignored: a full counter is still readable).
pub(crate) fn eventfd_signal(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: `one` is a valid 8-byte buffer for the duration of the call.
    let _ = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

/// Resets an eventfd's counter to 0 (no-op when it already is).
pub(crate) fn eventfd_drain(fd: RawFd) {
    let mut buf: u64 = 0;
    // SAFETY: `buf` is a valid, writable 8-byte buffer for the duration of the call.
    let _ = unsafe { libc::read(fd, (&mut buf as *mut u64).cast(), 8) };
}

/// `epoll_ctl(op, fd)` with `events` and the user data `data`.
pub(crate) fn epoll_ctl(
    epoll: RawFd,
    op: i32,
    fd: RawFd,
    events: u32,
    data: u64,
) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: data };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    cvt(unsafe { libc::epoll_ctl(epoll, op, fd, &mut ev) })?;
    Ok(())
}

/// Waits for events, filling `events` (its length is its capacity); returns how many.
///
/// A sub-millisecond timeout is rounded up so that a short wait does not become a busy
/// loop; `None` waits forever.
pub(crate) fn epoll_wait(
    epoll: RawFd,
    events: &mut [libc::epoll_event],
    timeout: Option<Duration>,
) -> io::Result<usize> {
    let ms: i32 = match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_millis() + u128::from(t.subsec_nanos() % 1_000_000 != 0);
            ms.min(i32::MAX as u128) as i32
        }
    };
    let cap = events.len().min(i32::MAX as usize) as i32;
    // SAFETY: `events` is a valid, writable buffer of `cap` epoll_event structs.
    let n = cvt(unsafe { libc::epoll_wait(epoll, events.as_mut_ptr(), cap, ms) })?;
    Ok(n as usize)
}

/// Sets `O_NONBLOCK` on `fd`.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL on any fd number is safe; failure is reported as -1.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: F_SETFL with flags read above plus O_NONBLOCK.
        cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    }
    Ok(())
}

/// `send(fd, buf, flags | MSG_NOSIGNAL)`: a write that never raises SIGPIPE.
pub(crate) fn send(fd: &impl AsRawFd, buf: &[u8], flags: i32) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the duration of the call.
    let n = cvt(unsafe {
        libc::send(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            flags | libc::MSG_NOSIGNAL,
        )
    })?;
    Ok(n as usize)
}

/// `sendmsg` of several buffers with `MSG_NOSIGNAL`: a vectored write without SIGPIPE.
pub(crate) fn send_vectored(fd: &impl AsRawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is a valid "no address, no control data" header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is ABI-compatible with `iovec` on Unix (documented by std).
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
    // SAFETY: `msg` points at `bufs`, which stays borrowed (and valid) during the call;
    // the kernel only reads through `msg_iov`.
    let n = cvt(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })?;
    Ok(n as usize)
}

/// `recv(fd, buf, flags)`.
pub(crate) fn recv(fd: &impl AsRawFd, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the duration of the call.
    let n = cvt(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })?;
    Ok(n as usize)
}

/// `recv(fd, buf, flags)` into possibly uninitialised memory: on `Ok(n)` the kernel has
/// written (so initialised) the first `n <= buf.len()` bytes of `buf`.
pub(crate) fn recv_uninit(
    fd: &impl AsRawFd,
    buf: &mut [std::mem::MaybeUninit<u8>],
    flags: i32,
) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the duration of the call;
    // `recv` only writes to it (never reads), so its being uninitialised is fine.
    let n = cvt(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })?;
    Ok(n as usize)
}

/// `setsockopt(IPPROTO_TCP, TCP_INQ, 1)` (Linux 4.18+): from then on [`recv_inq`] can
/// report how many bytes are left in the socket's receive queue after each read.
pub(crate) fn set_tcp_inq(fd: &impl AsRawFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a valid `c_int` for the duration of the call; the kernel only reads
    // `size_of::<c_int>()` bytes of it.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INQ,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// `recvmsg` into `buf` on a TCP socket with `TCP_INQ` on ([`set_tcp_inq`]): the byte
/// count read and, from the `TCP_CM_INQ` control message, how many bytes were still
/// queued after it (`None` if the kernel sent no such message).
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes for the duration of the call (it may be
/// uninitialised: the kernel only writes to it).
unsafe fn recv_inq_raw(fd: RawFd, buf: *mut u8, len: usize) -> io::Result<(usize, Option<usize>)> {
    let mut iov = libc::iovec {
        iov_base: buf.cast(),
        iov_len: len,
    };
    // Room for one `cmsghdr` + `c_int` (CMSG_SPACE(4) is 24 bytes on 64-bit Linux), with
    // the alignment `cmsghdr` needs.
    let mut control = [0u64; 4];
    // SAFETY: an all-zero msghdr is a valid "no address, no control data" header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at `iov` (which points at the caller's `buf`, valid for `len`
    // bytes of writes by this function's contract) and at `control`; all outlive the call.
    let n = cvt(unsafe { libc::recvmsg(fd, &mut msg, 0) })? as usize;
    let mut inq = None;
    // SAFETY: `msg` was filled in by a successful `recvmsg`; the CMSG_* macros walk the
    // `msg_controllen` bytes of `control` the kernel wrote, and each header they return
    // lies inside `control`.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::IPPROTO_TCP && (*cmsg).cmsg_type == libc::TCP_CM_INQ {
                let left = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>());
                inq = usize::try_from(left).ok();
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n, inq))
}

/// [`recv_inq_raw`] into an initialised buffer.
pub(crate) fn recv_inq(fd: &impl AsRawFd, buf: &mut [u8]) -> io::Result<(usize, Option<usize>)> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the duration of the call.
    unsafe { recv_inq_raw(fd.as_raw_fd(), buf.as_mut_ptr(), buf.len()) }
}

/// [`recv_inq_raw`] into possibly uninitialised memory: on `Ok((n, _))` the kernel has
/// written (so initialised) the first `n <= buf.len()` bytes of `buf`.
pub(crate) fn recv_inq_uninit(
    fd: &impl AsRawFd,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> io::Result<(usize, Option<usize>)> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the duration of the call;
    // `recvmsg` only writes to it, so its being uninitialised is fine.
    unsafe { recv_inq_raw(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) }
}

/// `shutdown(fd, how)`.
pub(crate) fn shutdown(fd: &impl AsRawFd, how: std::net::Shutdown) -> io::Result<()> {
    let how = match how {
        std::net::Shutdown::Read => libc::SHUT_RD,
        std::net::Shutdown::Write => libc::SHUT_WR,
        std::net::Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: `shutdown` takes a descriptor number and a constant; no memory is passed.
    cvt(unsafe { libc::shutdown(fd.as_raw_fd(), how) })?;
    Ok(())
}
