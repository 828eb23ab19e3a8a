//! Happy Eyeballs (RFC 8305): connecting to a dual-stack host fast. [`HappyEyeballs`]
//! and [`lookup_host`].
//!
//! # Rules
//! 1. The resolved addresses are reordered: `interleave` addresses of the first
//!    address's family, then the families alternate (RFC 8305 §4; asyncio's
//!    `interleave`). `interleave = 0` keeps the resolver's order.
//! 2. The first attempt starts at once. The next one starts when the current newest
//!    attempt fails, or when `delay` (250 ms by default) has passed since the newest
//!    attempt started, whichever is first; earlier attempts keep running.
//! 3. The first attempt to succeed wins; every other attempt in flight is dropped, which
//!    closes its socket (cancelled).
//! 4. If every attempt fails, the error of the last one to fail is returned.
//! 5. The delay runs on the runtime's clock, so under a paused clock (tests) it is
//!    virtual time.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};

use crate::net::addr::{resolve, ToSocketAddrs};
use crate::net::{TcpSocket, TcpStream};

/// The RFC 8305 "Connection Attempt Delay" recommended default.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(250);

/// Resolves `host` (`"name:port"`, `(name, port)`, or a numeric address) to socket
/// addresses, on the blocking pool so the runtime is never blocked (asyncio's
/// `loop.getaddrinfo`, tokio's `lookup_host`).
///
/// # Errors
/// The resolver's error, unchanged, for a name that does not resolve (it never hangs
/// longer than the system resolver's own timeout); `InvalidInput` for a malformed address
/// or a name with no addresses; outside a runtime, the `NoRuntime` error naming
/// `corio::net::lookup_host`.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// let addrs: Vec<_> = corio_reactor::net::lookup_host("localhost:8080").await?.collect();
/// assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub async fn lookup_host<A: ToSocketAddrs>(
    host: A,
) -> io::Result<impl Iterator<Item = SocketAddr> + Send + 'static> {
    Ok(resolve(&host, "corio::net::lookup_host").await?.into_iter())
}

/// Connection settings for [`TcpStream::connect`]'s Happy Eyeballs (see the rules
/// above): asyncio's `happy_eyeballs_delay` and `interleave`.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::{HappyEyeballs, TcpListener};
/// use std::time::Duration;
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let stream = HappyEyeballs::new()
///     .delay(Duration::from_millis(100))
///     .interleave(1)
///     .connect(listener.local_addr()?)
///     .await?;
/// # drop(stream);
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Copy)]
pub struct HappyEyeballs {
    delay: Duration,
    interleave: usize,
}

impl HappyEyeballs {
    /// 250 ms between attempts, families interleaved one by one.
    pub fn new() -> Self {
        HappyEyeballs {
            delay: DEFAULT_DELAY,
            interleave: 1,
        }
    }

    /// The delay before the next attempt starts while the previous one is still
    /// pending (rule 2). `Duration::ZERO` starts them all at once.
    pub fn delay(&mut self, delay: Duration) -> &mut Self {
        self.delay = delay;
        self
    }

    /// How many addresses of the first family come before the families alternate
    /// (rule 1); 0 keeps the resolver's order.
    pub fn interleave(&mut self, count: usize) -> &mut Self {
        self.interleave = count;
        self
    }

    /// Resolves `addr` and connects (rules 1-5).
    ///
    /// # Errors
    /// As for [`TcpStream::connect`].
    ///
    /// # Cancel safety
    /// Dropping the future closes every socket being connected.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<TcpStream> {
        const NAME: &str = "corio::net::TcpStream::connect";
        crate::reactor::ReactorHandle::current(NAME)?;
        let addrs = interleave(resolve(&addr, NAME).await?, self.interleave);
        race(addrs, self.delay, NAME, |a| async move {
            TcpSocket::new_for(&a)?.connect(a).await
        })
        .await
    }
}

impl Default for HappyEyeballs {
    fn default() -> Self {
        HappyEyeballs::new()
    }
}

impl fmt::Debug for HappyEyeballs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HappyEyeballs")
            .field("delay", &self.delay)
            .field("interleave", &self.interleave)
            .finish()
    }
}

/// Rule 1.
pub(crate) fn interleave(addrs: Vec<SocketAddr>, first_count: usize) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    if first_count == 0 {
        return addrs;
    }
    let first_v6 = first.is_ipv6();
    let (mut same, mut other): (Vec<_>, Vec<_>) =
        addrs.into_iter().partition(|a| a.is_ipv6() == first_v6);
    let rest = same.split_off(first_count.min(same.len()));
    let mut out = same;
    let (mut a, mut b) = (rest.into_iter(), other.drain(..));
    loop {
        match (b.next(), a.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

type Attempt<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

/// Rules 2-4 over `addrs`, connecting each with `connect`.
pub(crate) async fn race<T, F, Fut>(
    addrs: Vec<SocketAddr>,
    delay: Duration,
    function: &'static str,
    mut connect: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>> + Send + 'static,
{
    let mut pending = addrs.into_iter().peekable();
    let mut attempts: FuturesUnordered<Attempt<T>> = FuturesUnordered::new();
    let mut timer: Option<Pin<Box<dyn Future<Output = ()> + Send>>> = None;
    let mut last_error = None;
    // Starts the next attempt and (if another one is left) its delay timer.
    let mut start_next = |attempts: &mut FuturesUnordered<Attempt<T>>,
                          timer: &mut Option<Pin<Box<dyn Future<Output = ()> + Send>>>|
     -> io::Result<bool> {
        let Some(addr) = pending.next() else {
            *timer = None;
            return Ok(false);
        };
        attempts.push(Box::pin(connect(addr)));
        *timer = match pending.peek() {
            Some(_) => {
                let deadline = corio_core::context::now() + delay;
                Some(
                    corio_core::context::try_sleep_until(function, deadline)
                        .map_err(io::Error::other)?,
                )
            }
            None => None,
        };
        Ok(true)
    };
    poll_fn(|cx| loop {
        match attempts.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(stream))) => return Poll::Ready(Ok(stream)),
            Poll::Ready(Some(Err(e))) => {
                last_error = Some(e);
                // Rule 2: a failure starts the next attempt at once.
                start_next(&mut attempts, &mut timer)?;
                continue;
            }
            Poll::Ready(None) => {
                // Nothing in flight: start one, or report the last failure (rule 4).
                if !start_next(&mut attempts, &mut timer)? {
                    return Poll::Ready(Err(last_error.take().unwrap_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "could not resolve to any address",
                        )
                    })));
                }
                continue;
            }
            Poll::Pending => {}
        }
        if let Some(t) = timer.as_mut() {
            if t.poll_unpin(cx).is_ready() {
                start_next(&mut attempts, &mut timer)?;
                continue;
            }
        }
        return Poll::Pending;
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::interleave;
    use std::net::SocketAddr;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn families_alternate_after_the_first_count() {
        let v6 = [a("[::1]:1"), a("[::1]:2"), a("[::1]:3")];
        let v4 = [a("127.0.0.1:1"), a("127.0.0.1:2")];
        let input = vec![v6[0], v6[1], v6[2], v4[0], v4[1]];
        assert_eq!(
            interleave(input.clone(), 1),
            [v6[0], v4[0], v6[1], v4[1], v6[2]]
        );
        assert_eq!(
            interleave(input.clone(), 2),
            [v6[0], v6[1], v4[0], v6[2], v4[1]]
        );
        assert_eq!(interleave(input.clone(), 0), input);
        assert_eq!(interleave(vec![v4[0], v4[1]], 1), [v4[0], v4[1]]);
        assert!(interleave(vec![], 1).is_empty());
    }
}
