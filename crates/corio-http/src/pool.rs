//! The connection pool: idle HTTP/1.1 connections per host, one shared HTTP/2 connection
//! per host, connection limits, idle expiry.
//!
//! # Rules
//! 1. An HTTP/1.1 connection is either *leased* (one request in flight, owned by a
//!    [`Lease`]) or *idle* (in its host's list). It goes back to the idle list only when
//!    its response body was read to the end ([`Lease::release`]); a lease dropped early
//!    (body not read, an error, a timeout, a cancelled request) drops the connection, so
//!    a connection in an unknown state is never reused.
//! 2. Limits count leases: a request holds a permit of the total limit and of its host's
//!    limit while it has a leased HTTP/1.1 connection. A new connection is only made when
//!    the host has no idle one, so a host never has more connections than its limit.
//!    An HTTP/2 connection holds its permits for as long as it lives; requests on it
//!    take none (they are streams, not connections).
//! 3. An idle connection older than the idle timeout, or one the server closed, is
//!    dropped at the next checkout or by the reaper task, never handed out.
//! 4. The reaper runs only while some connection is idle (it exits when the pool is
//!    empty or dropped) and re-starts with the next idle connection.
//! 5. Until a host's first connection has told which protocol it speaks, connections to
//!    it are made one at a time: when it turns out to be HTTP/2, the requests that
//!    waited share it instead of each opening their own. Once the host is known to
//!    speak HTTP/1.1, connections are made in parallel.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use corio::sync::{OwnedSemaphorePermit, Semaphore};
use corio::time::Instant;
use hyper::client::conn::{http1, http2};

use crate::body::Body;
use crate::Error;

/// Where connections go: the pool's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The proxy connections go through (`host:port`), if any.
    pub(crate) proxy: Option<String>,
}

/// A freshly made connection, already handshaken.
pub(crate) enum Fresh {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

/// What a checkout hands out.
pub(crate) enum Checkout {
    H1(Lease),
    H2 {
        sender: http2::SendRequest<Body>,
        reused: bool,
    },
}

/// Pool settings.
#[derive(Clone, Debug)]
pub(crate) struct PoolConfig {
    /// Connections in use at once, all hosts (0: no limit).
    pub(crate) limit: usize,
    /// Connections per host (0: no limit).
    pub(crate) limit_per_host: usize,
    /// How long an idle connection is kept.
    pub(crate) idle_timeout: Duration,
    /// Idle connections kept per host.
    pub(crate) max_idle_per_host: usize,
}

pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    config: PoolConfig,
    total: Option<Arc<Semaphore>>,
    hosts: Mutex<HashMap<PoolKey, Arc<Host>>>,
    reaper_running: AtomicBool,
    opened: AtomicU64,
}

/// `Host::protocol` values.
const UNKNOWN: u8 = 0;
const HTTP1: u8 = 1;
const HTTP2: u8 = 2;

struct Host {
    limit: Option<Arc<Semaphore>>,
    /// Rule 5: held while the first connection of an `UNKNOWN` host is made.
    first_connect: Arc<corio::sync::Mutex<()>>,
    protocol: AtomicU8,
    idle: Mutex<VecDeque<Idle>>,
    h2: Mutex<Option<http2::SendRequest<Body>>>,
}

struct Idle {
    sender: http1::SendRequest<Body>,
    since: Instant,
}

/// A leased HTTP/1.1 connection (rule 1).
pub(crate) struct Lease {
    pub(crate) sender: http1::SendRequest<Body>,
    pub(crate) reused: bool,
    host: Arc<Host>,
    pool: Weak<Inner>,
    _permits: Permits,
}

type Permits = (Option<OwnedSemaphorePermit>, Option<OwnedSemaphorePermit>);

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                total: (config.limit > 0).then(|| Arc::new(Semaphore::new(config.limit))),
                config,
                hosts: Mutex::new(HashMap::new()),
                reaper_running: AtomicBool::new(false),
                opened: AtomicU64::new(0),
            }),
        }
    }

    /// Connections opened so far.
    pub(crate) fn connections_opened(&self) -> u64 {
        self.inner.opened.load(Ordering::Relaxed)
    }

    /// Idle HTTP/1.1 connections right now, all hosts.
    pub(crate) fn idle_connections(&self) -> usize {
        let hosts = self.inner.hosts.lock().unwrap();
        hosts.values().map(|h| h.idle.lock().unwrap().len()).sum()
    }

    fn host(&self, key: &PoolKey) -> Arc<Host> {
        let mut hosts = self.inner.hosts.lock().unwrap();
        hosts
            .entry(key.clone())
            .or_insert_with(|| {
                let per_host = self.inner.config.limit_per_host;
                Arc::new(Host {
                    limit: (per_host > 0).then(|| Arc::new(Semaphore::new(per_host))),
                    first_connect: Arc::new(corio::sync::Mutex::new(())),
                    protocol: AtomicU8::new(UNKNOWN),
                    idle: Mutex::new(VecDeque::new()),
                    h2: Mutex::new(None),
                })
            })
            .clone()
    }

    /// A connection for `key`: the host's HTTP/2 connection, an idle HTTP/1.1 one, or a
    /// new one from `connect` (rule 2 applies while waiting for a permit).
    pub(crate) async fn checkout<F, Fut>(
        &self,
        key: &PoolKey,
        connect: F,
    ) -> Result<Checkout, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Fresh, Box<dyn FnOnce(Permits) + Send>), Error>>,
    {
        let host = self.host(key);
        if let Some(sender) = host.live_h2() {
            return Ok(Checkout::H2 {
                sender,
                reused: true,
            });
        }
        let total = match &self.inner.total {
            Some(s) => Some(s.clone().acquire_owned().await.expect("never closed")),
            None => None,
        };
        let per_host = match &host.limit {
            Some(s) => Some(s.clone().acquire_owned().await.expect("never closed")),
            None => None,
        };
        // Another request may have opened an HTTP/2 connection while we waited.
        if let Some(sender) = host.live_h2() {
            return Ok(Checkout::H2 {
                sender,
                reused: true,
            });
        }
        while let Some(mut sender) = host.pop_idle(self.inner.config.idle_timeout) {
            // The previous response is read to the end, so the connection is ready at
            // once unless the server closed it meanwhile.
            if sender.ready().await.is_ok() {
                return Ok(Checkout::H1(Lease {
                    sender,
                    reused: true,
                    host,
                    pool: Arc::downgrade(&self.inner),
                    _permits: (total, per_host),
                }));
            }
        }
        // Rule 5.
        let _first = if host.protocol.load(Ordering::Acquire) == UNKNOWN {
            let guard = host.first_connect.clone().lock_owned().await;
            if let Some(sender) = host.live_h2() {
                return Ok(Checkout::H2 {
                    sender,
                    reused: true,
                });
            }
            if let Some(mut sender) = host.pop_idle(self.inner.config.idle_timeout) {
                if sender.ready().await.is_ok() {
                    return Ok(Checkout::H1(Lease {
                        sender,
                        reused: true,
                        host,
                        pool: Arc::downgrade(&self.inner),
                        _permits: (total, per_host),
                    }));
                }
            }
            Some(guard)
        } else {
            None
        };
        let (fresh, keep_permits) = connect().await?;
        self.inner.opened.fetch_add(1, Ordering::Relaxed);
        let protocol = match fresh {
            Fresh::H1(_) => HTTP1,
            Fresh::H2(_) => HTTP2,
        };
        host.protocol.store(protocol, Ordering::Release);
        match fresh {
            Fresh::H1(sender) => Ok(Checkout::H1(Lease {
                sender,
                reused: false,
                host,
                pool: Arc::downgrade(&self.inner),
                _permits: (total, per_host),
            })),
            Fresh::H2(sender) => {
                // The HTTP/2 connection's task holds the permits while it lives.
                keep_permits((total, per_host));
                *host.h2.lock().unwrap() = Some(sender.clone());
                Ok(Checkout::H2 {
                    sender,
                    reused: false,
                })
            }
        }
    }
}

impl Host {
    fn live_h2(&self) -> Option<http2::SendRequest<Body>> {
        let mut h2 = self.h2.lock().unwrap();
        match &*h2 {
            Some(s) if !s.is_closed() => Some(s.clone()),
            Some(_) => {
                *h2 = None;
                None
            }
            None => None,
        }
    }

    /// The most recently used idle connection that is fresh and open (rule 3); expired
    /// and closed ones met on the way are dropped.
    fn pop_idle(&self, idle_timeout: Duration) -> Option<http1::SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap();
        let now = Instant::now();
        while let Some(entry) = idle.pop_back() {
            if entry.sender.is_closed()
                || now.saturating_duration_since(entry.since) >= idle_timeout
            {
                continue;
            }
            return Some(entry.sender);
        }
        None
    }

    /// Drops expired and closed idle connections; returns when the next of those that
    /// stay expires.
    fn evict(&self, idle_timeout: Duration) -> Option<Instant> {
        let mut idle = self.idle.lock().unwrap();
        let now = Instant::now();
        idle.retain(|e| {
            !e.sender.is_closed() && now.saturating_duration_since(e.since) < idle_timeout
        });
        idle.iter().map(|e| e.since + idle_timeout).min()
    }
}

impl Lease {
    /// The response body was read to the end: the connection goes back to the idle list
    /// (rule 1) and the permits are released.
    pub(crate) fn release(self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        if self.sender.is_closed() {
            return;
        }
        {
            let mut idle = self.host.idle.lock().unwrap();
            if idle.len() >= pool.config.max_idle_per_host {
                return;
            }
            idle.push_back(Idle {
                sender: self.sender,
                since: Instant::now(),
            });
        }
        start_reaper(&pool);
    }
}

/// Rule 4.
fn start_reaper(pool: &Arc<Inner>) {
    if pool.reaper_running.swap(true, Ordering::AcqRel) {
        return;
    }
    let weak = Arc::downgrade(pool);
    let first = Instant::now() + pool.config.idle_timeout;
    let spawned = corio::try_spawn(async move {
        let mut next = first;
        loop {
            // Wake when the oldest idle connection expires (a little later, never
            // earlier), so expiry is exact on virtual time.
            corio::time::sleep_until(next).await;
            let Some(pool) = weak.upgrade() else {
                return;
            };
            let hosts: Vec<Arc<Host>> = pool.hosts.lock().unwrap().values().cloned().collect();
            let soonest = hosts
                .iter()
                .filter_map(|h| h.evict(pool.config.idle_timeout))
                .min();
            if let Some(at) = soonest {
                next = at.max(Instant::now() + Duration::from_millis(1));
            } else {
                pool.reaper_running.store(false, Ordering::Release);
                // An idle connection added between the count and the store restarts it.
                let again = hosts.iter().any(|h| !h.idle.lock().unwrap().is_empty());
                if !again || pool.reaper_running.swap(true, Ordering::AcqRel) {
                    return;
                }
                next = Instant::now() + pool.config.idle_timeout;
            }
        }
    });
    if spawned.is_err() {
        pool.reaper_running.store(false, Ordering::Release);
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("config", &self.inner.config)
            .field("opened", &self.connections_opened())
            .field("idle", &self.idle_connections())
            .finish()
    }
}
