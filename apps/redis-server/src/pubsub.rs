//! One connection's pub/sub subscriptions: the channels it listens to, and a future that
//! yields the next message from any of them.
//!
//! Each subscription is a stream over its channel's broadcast receiver, polled in place
//! (never re-created), so a wake-up registered by a pending receive is never lost.
//! Unsubscribing drops the stream, and with it the receiver, at once: a `PUBLISH` right
//! after `UNSUBSCRIBE` no longer counts this connection.
//!
//! A subscriber that falls more than the channel capacity behind misses the oldest
//! messages (Redis would disconnect it instead); [`Subscriptions::next`] skips the gap.

use std::fmt;
use std::future::poll_fn;
use std::task::Poll;

use corio::sync::broadcast::{self, RecvError};
use futures::stream::{self, BoxStream, StreamExt};

use super::db::{Db, Payload};

/// A message delivered to a subscriber: the channel and the payload.
pub type Message = (Vec<u8>, Payload);

/// One channel's receiver, as a stream polled in place.
type Feed = BoxStream<'static, Result<Payload, RecvError>>;

/// The channels one connection subscribes to.
///
/// # Examples
///
/// ```
/// use redis_server::{db::DbGuard, pubsub::Subscriptions};
///
/// corio::run(async {
///     let guard = DbGuard::new();
///     let db = guard.db();
///     let mut subs = Subscriptions::new(db.clone());
///     assert!(subs.subscribe(b"news"));
///     assert_eq!(db.publish(b"news", b"hi".as_slice().into()), 1);
///     let (channel, payload) = subs.next().await;
///     assert_eq!((&channel[..], &payload[..]), (&b"news"[..], &b"hi"[..]));
///     assert!(subs.unsubscribe(b"news"));
///     assert_eq!(db.publish(b"news", b"again".as_slice().into()), 0);
/// });
/// ```
pub struct Subscriptions {
    db: Db,
    /// In subscription order (Redis lists channels in that order on `UNSUBSCRIBE`).
    subs: Vec<(Vec<u8>, Feed)>,
    /// Where the next poll starts, so a busy channel cannot starve the others.
    start: usize,
}

impl Subscriptions {
    /// No subscriptions yet.
    pub fn new(db: Db) -> Self {
        Subscriptions {
            db,
            subs: Vec::new(),
            start: 0,
        }
    }

    /// Subscribes to `channel`; returns `false` if already subscribed.
    pub fn subscribe(&mut self, channel: &[u8]) -> bool {
        if self.subs.iter().any(|(c, _)| c == channel) {
            return false;
        }
        let rx = self.db.subscribe(channel);
        let messages = stream::unfold(rx, |mut rx: broadcast::Receiver<Payload>| async move {
            let next = rx.recv().await;
            Some((next, rx))
        });
        self.subs.push((channel.to_vec(), messages.boxed()));
        true
    }

    /// Unsubscribes from `channel`; returns `false` if not subscribed.
    pub fn unsubscribe(&mut self, channel: &[u8]) -> bool {
        let Some(i) = self.subs.iter().position(|(c, _)| c == channel) else {
            return false;
        };
        drop(self.subs.remove(i));
        self.db.release_channel(channel);
        true
    }

    /// The channels, in subscription order.
    pub fn channels(&self) -> Vec<Vec<u8>> {
        self.subs.iter().map(|(c, _)| c.clone()).collect()
    }

    /// How many channels.
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// Whether there are no subscriptions (the connection is not in subscribe mode).
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// The next message on any subscribed channel; pending forever with none.
    ///
    /// # Cancel safety
    /// Cancel-safe: a message is taken from its channel only in the poll that returns it.
    pub async fn next(&mut self) -> Message {
        poll_fn(|cx| {
            let n = self.subs.len();
            for k in 0..n {
                let i = (self.start + k) % n;
                let (channel, messages) = &mut self.subs[i];
                loop {
                    match messages.poll_next_unpin(cx) {
                        Poll::Ready(Some(Ok(payload))) => {
                            self.start = (i + 1) % n;
                            return Poll::Ready((channel.clone(), payload));
                        }
                        // Missed some (slow subscriber): the next receive has the oldest
                        // message still buffered.
                        Poll::Ready(Some(Err(RecvError::Lagged(_)))) => continue,
                        // Closed cannot happen while we hold a receiver (the registry
                        // keeps the sender while any receiver lives); treat it as silence.
                        Poll::Ready(Some(Err(RecvError::Closed)) | None) | Poll::Pending => break,
                    }
                }
            }
            Poll::Pending
        })
        .await
    }
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        for (channel, messages) in std::mem::take(&mut self.subs) {
            drop(messages);
            self.db.release_channel(&channel);
        }
    }
}

impl fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriptions")
            .field("channels", &self.subs.len())
            .finish_non_exhaustive()
    }
}
