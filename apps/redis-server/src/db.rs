//! The keyspace: string values with optional expiry, and the pub/sub channel registry.
//!
//! [`Db`] is a cheap, cloneable handle to state shared by every connection. All state sits
//! behind one mutex that is never held across an `.await`, so a command is atomic and a
//! connection that disappears mid-command cannot leave it half-done.
//!
//! # Expiry
//! A key with a deadline is gone once the runtime clock (`corio::time::Instant::now()`,
//! virtual under a paused clock) reaches the deadline:
//! 1. *Lazily*: every read checks the deadline and removes an expired key first, so a
//!    reader never sees a value at or after its deadline.
//! 2. *Actively*: a background purge task sleeps (`corio::time::sleep_until`) until the
//!    nearest deadline, removes what is due, and sleeps again. Setting a deadline earlier
//!    than the one it sleeps on wakes it ([`Notify`] keeps the wake-up if it is busy).
//!
//! Invariant: `expirations` holds exactly one `(deadline, key)` pair for every entry that
//! has a deadline, and nothing else.
//!
//! # Shutdown
//! The purge task runs until [`DbGuard`] (held by the server) is dropped.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use corio::sync::{broadcast, Notify};
use corio::time::{sleep_until, Instant};

/// A published message, shared by every subscriber that receives it.
pub type Payload = Arc<[u8]>;

/// How many published messages a slow subscriber may fall behind before it misses some.
const CHANNEL_CAPACITY: usize = 1024;

/// A handle to the shared keyspace.
///
/// # Examples
///
/// ```
/// use redis_server::db::{DbGuard, SetCondition};
///
/// corio::run(async {
///     let guard = DbGuard::new(); // spawns the purge task
///     let db = guard.db();
///     assert!(db.set(b"k".to_vec(), b"1".to_vec(), None, SetCondition::Always));
///     assert_eq!(db.incr(b"k"), Ok(2));
///     assert_eq!(db.get(b"k"), Some(b"2".to_vec()));
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Db {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the purge task: a new earliest deadline, or shutdown.
    purge: Notify,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<Vec<u8>, Entry>,
    expirations: BTreeSet<(Instant, Vec<u8>)>,
    channels: HashMap<Vec<u8>, broadcast::Sender<Payload>>,
    shut_down: bool,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
}

/// When `SET` may write (`NX`: only a new key, `XX`: only an existing key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetCondition {
    /// Always write.
    Always,
    /// Only if the key does not exist (`NX`).
    IfAbsent,
    /// Only if the key exists (`XX`).
    IfPresent,
}

/// Why `INCR` failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncrError {
    /// The value is not a base-10 64-bit integer.
    NotAnInteger,
    /// The result would not fit in 64 bits.
    Overflow,
}

/// A key's time to live (`TTL` / `PTTL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// No such key.
    Missing,
    /// The key never expires.
    Persistent,
    /// The key expires after this long.
    Remaining(Duration),
}

impl State {
    /// The live entry for `key`, removing it first if its deadline has passed.
    fn live(&mut self, key: &[u8], now: Instant) -> Option<&mut Entry> {
        let expired = match self.entries.get(key) {
            None => return None,
            Some(e) => e.expires_at.is_some_and(|at| at <= now),
        };
        if expired {
            self.remove(key);
            return None;
        }
        self.entries.get_mut(key)
    }

    fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        if let Some(at) = entry.expires_at {
            self.expirations.remove(&(at, key.to_vec()));
        }
        Some(entry)
    }

    /// Removes every key due at `now`; returns the next deadline.
    fn purge(&mut self, now: Instant) -> Option<Instant> {
        while let Some((at, _)) = self.expirations.first() {
            if *at > now {
                return Some(*at);
            }
            let (_, key) = self.expirations.pop_first().expect("just seen");
            self.entries.remove(&key);
        }
        None
    }
}

impl Db {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent (every mutation is a
        // single map call), so poisoning carries no information here.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Calls `f` with the value of `key` (`None` if missing or expired), under the lock,
    /// so the value need not be copied.
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> R {
        let mut state = self.lock();
        f(state.live(key, Instant::now()).map(|e| e.value.as_slice()))
    }

    /// The value of `key`, if present and not expired.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.get_with(key, |v| v.map(<[u8]>::to_vec))
    }

    /// Sets `key` to `value` with an optional time to live (replacing any previous one);
    /// returns whether it wrote (see [`SetCondition`]).
    pub fn set(
        &self,
        key: Vec<u8>,
        value: Vec<u8>,
        ttl: Option<Duration>,
        condition: SetCondition,
    ) -> bool {
        let now = Instant::now();
        let mut state = self.lock();
        let exists = state.live(&key, now).is_some();
        match condition {
            SetCondition::IfAbsent if exists => return false,
            SetCondition::IfPresent if !exists => return false,
            _ => {}
        }
        // A TTL too large for the clock means "never" in practice.
        let expires_at = ttl.and_then(|d| now.checked_add(d));
        state.remove(&key);
        let mut wake = false;
        if let Some(at) = expires_at {
            wake = state.expirations.first().is_none_or(|(next, _)| at < *next);
            state.expirations.insert((at, key.clone()));
        }
        state.entries.insert(key, Entry { value, expires_at });
        drop(state);
        if wake {
            self.shared.purge.notify_one();
        }
        true
    }

    /// Removes each of `keys`; returns how many existed.
    pub fn del(&self, keys: &[Vec<u8>]) -> usize {
        let now = Instant::now();
        let mut state = self.lock();
        keys.iter()
            .filter(|k| state.live(k, now).is_some() && state.remove(k).is_some())
            .count()
    }

    /// How many of `keys` exist (a key named twice counts twice, as in Redis).
    pub fn exists(&self, keys: &[Vec<u8>]) -> usize {
        let now = Instant::now();
        let mut state = self.lock();
        keys.iter().filter(|k| state.live(k, now).is_some()).count()
    }

    /// Adds one to the integer stored at `key` (a missing key counts as 0), keeping its
    /// time to live; returns the new value.
    ///
    /// # Errors
    /// [`IncrError`] if the value is not an integer or the result would overflow; the
    /// value is left unchanged.
    pub fn incr(&self, key: &[u8]) -> Result<i64, IncrError> {
        let now = Instant::now();
        let mut state = self.lock();
        let Some(entry) = state.live(key, now) else {
            state.entries.insert(
                key.to_vec(),
                Entry {
                    value: b"1".to_vec(),
                    expires_at: None,
                },
            );
            return Ok(1);
        };
        let n = parse_i64(&entry.value).ok_or(IncrError::NotAnInteger)?;
        let n = n.checked_add(1).ok_or(IncrError::Overflow)?;
        entry.value = n.to_string().into_bytes();
        Ok(n)
    }

    /// The time to live of `key`.
    pub fn ttl(&self, key: &[u8]) -> Ttl {
        let now = Instant::now();
        let mut state = self.lock();
        match state.live(key, now) {
            None => Ttl::Missing,
            Some(Entry {
                expires_at: None, ..
            }) => Ttl::Persistent,
            Some(Entry {
                expires_at: Some(at),
                ..
            }) => Ttl::Remaining(at.duration_since(now)),
        }
    }

    /// How many keys are stored, counting expired keys the purge task has not removed
    /// yet (as Redis' `DBSIZE` does).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no key is stored (see [`len`](Self::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `message` to every subscriber of `channel`; returns how many there are.
    pub fn publish(&self, channel: &[u8], message: Payload) -> usize {
        let state = self.lock();
        state
            .channels
            .get(channel)
            .and_then(|tx| tx.send(message).ok())
            .unwrap_or(0)
    }

    /// A receiver of every message published to `channel` from now on.
    pub fn subscribe(&self, channel: &[u8]) -> broadcast::Receiver<Payload> {
        let mut state = self.lock();
        if let Some(tx) = state.channels.get(channel) {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(CHANNEL_CAPACITY);
        state.channels.insert(channel.to_vec(), tx);
        rx
    }

    /// Forgets `channel` if it has no subscriber left (call after dropping a receiver).
    pub fn release_channel(&self, channel: &[u8]) {
        let mut state = self.lock();
        if state
            .channels
            .get(channel)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            state.channels.remove(channel);
        }
    }

    fn shut_down(&self) {
        self.lock().shut_down = true;
        self.shared.purge.notify_one();
    }
}

/// Parses a Redis integer: optional `-`, decimal digits, no `+`, blanks or leading zeros.
pub(crate) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(bytes).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
        || s == "-0"
    {
        return None;
    }
    s.parse().ok()
}

/// Owns the keyspace's purge task: creating it spawns the task, dropping it stops it.
/// Connections use [`Db`] handles from [`db`](Self::db).
#[derive(Debug)]
#[must_use = "dropping the guard stops expiring keys in the background"]
pub struct DbGuard {
    db: Db,
}

impl DbGuard {
    /// A new, empty keyspace; spawns its purge task on the current runtime.
    ///
    /// # Panics
    /// Outside a corio runtime.
    pub fn new() -> Self {
        let db = Db {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                purge: Notify::new(),
            }),
        };
        drop(corio::spawn(purge_expired(db.clone())));
        DbGuard { db }
    }

    /// A handle to the keyspace.
    pub fn db(&self) -> Db {
        self.db.clone()
    }
}

impl Default for DbGuard {
    fn default() -> Self {
        DbGuard::new()
    }
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        self.db.shut_down();
    }
}

/// The purge task: removes due keys, then sleeps until the next deadline or a wake-up.
async fn purge_expired(db: Db) {
    loop {
        let next = {
            let mut state = db.lock();
            if state.shut_down {
                return;
            }
            state.purge(Instant::now())
        };
        // A `notify_one` between the unlock and `notified()` leaves a permit, so an
        // earlier deadline set meanwhile is not missed.
        match next {
            Some(at) => {
                corio::select! {
                    _ = sleep_until(at) => {},
                    _ = db.shared.purge.notified() => {},
                }
            }
            None => db.shared.purge.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_i64, DbGuard, SetCondition};
    use std::time::Duration;

    #[test]
    fn reads_expire_lazily_at_the_deadline() {
        let rt = corio::Runtime::builder()
            .current_thread()
            .start_paused(true)
            .build()
            .unwrap();
        let clock = rt.handle().clock().clone();
        rt.block_on(async {
            let guard = DbGuard::new();
            let db = guard.db();
            let ttl = Some(Duration::from_millis(10));
            db.set(b"k".to_vec(), b"v".to_vec(), ttl, SetCondition::Always);
            clock.advance(Duration::from_millis(9)).unwrap();
            assert_eq!(db.get(b"k"), Some(b"v".to_vec()));
            clock.advance(Duration::from_millis(1)).unwrap();
            // No `.await` since: the purge task has not run; the read expires the key.
            assert_eq!(db.len(), 1);
            assert_eq!(db.get(b"k"), None);
            assert_eq!(db.len(), 0);
        });
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            "",
            "-",
            "+1",
            " 1",
            "01",
            "-0",
            "1.5",
            "9223372036854775808",
            "x",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
