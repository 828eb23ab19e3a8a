//! The receiving half, the same for both flavours: one macro defines `Receiver` and
//! `UnboundedReceiver` over the shared [`Chan`](super::chan::Chan), so the two cannot
//! drift apart.

/// Defines a receiver type `$name` holding `chan: Arc<Chan<T>>`.
macro_rules! receiver {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<T> {
            chan: crate::loom::Arc<super::chan::Chan<T>>,
        }

        impl<T> $name<T> {
            /// Receives the next message; `None` once the buffer is empty and every
            /// sender is gone — or, after [`close`](Self::close), once the buffer is
            /// empty and no send admitted before the close (a reserved permit
            /// included) is still outstanding.
            ///
            /// # Cancel safety
            /// Cancel-safe: a message is taken only when the future completes.
            pub async fn recv(&mut self) -> Option<T> {
                std::future::poll_fn(|cx| {
                    // SAFETY: `&mut self`: this is the channel's only receiver.
                    unsafe { self.chan.poll_recv(cx) }
                })
                .await
            }

            /// Receives up to `limit` messages into `buffer` (appended), waiting for at
            /// least one; returns how many. Returns 0 at once when `limit` is 0, and 0
            /// when the channel has ended as [`recv`](Self::recv) returns `None`.
            ///
            /// # Cancel safety
            /// Cancel-safe: messages are taken only when the future completes.
            ///
            /// # Examples
            ///
            /// ```
            /// use corio_sync::mpsc;
            ///
            /// futures::executor::block_on(async {
            ///     let (tx, mut rx) = mpsc::unbounded_channel();
            ///     for i in 0..5 {
            ///         tx.send(i).unwrap();
            ///     }
            ///     drop(tx);
            ///     let mut buf = Vec::new();
            ///     assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
            ///     assert_eq!(rx.recv_many(&mut buf, 3).await, 2);
            ///     assert_eq!(rx.recv_many(&mut buf, 3).await, 0); // ended
            ///     assert_eq!(buf, [0, 1, 2, 3, 4]);
            /// });
            /// ```
            pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                std::future::poll_fn(|cx| self.poll_recv_many(cx, buffer, limit)).await
            }

            /// Polls for up to `limit` messages (see [`recv_many`](Self::recv_many)).
            pub fn poll_recv_many(
                &mut self,
                cx: &mut std::task::Context<'_>,
                buffer: &mut Vec<T>,
                limit: usize,
            ) -> std::task::Poll<usize> {
                // SAFETY: `&mut self`: this is the channel's only receiver.
                unsafe { self.chan.poll_recv_many(cx, buffer, limit) }
            }

            /// [`recv`](Self::recv) from synchronous code, blocking the thread.
            ///
            /// # Panics
            /// When called from inside a runtime task (it would stall the thread
            /// driving it), as tokio's does.
            #[track_caller]
            pub fn blocking_recv(&mut self) -> Option<T> {
                crate::blocking::block_on(
                    concat!("mpsc::", stringify!($name), "::blocking_recv"),
                    self.recv(),
                )
            }

            /// [`recv_many`](Self::recv_many) from synchronous code, blocking the
            /// thread.
            ///
            /// # Panics
            /// As [`blocking_recv`](Self::blocking_recv).
            #[track_caller]
            pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                crate::blocking::block_on(
                    concat!("mpsc::", stringify!($name), "::blocking_recv_many"),
                    self.recv_many(buffer, limit),
                )
            }

            /// Whether every sender is gone or the channel was closed (messages may
            /// still be buffered).
            pub fn is_closed(&self) -> bool {
                self.chan.sender_count() == 0 || self.chan.is_rx_closed()
            }

            /// Receives a message if one is buffered now.
            ///
            /// # Errors
            /// [`TryRecvError::Empty`](super::TryRecvError::Empty), or
            /// [`TryRecvError::Disconnected`](super::TryRecvError::Disconnected) when
            /// empty and every sender is gone.
            pub fn try_recv(&mut self) -> Result<T, super::error::TryRecvError> {
                // SAFETY: `&mut self`: this is the channel's only receiver.
                unsafe { self.chan.try_recv() }
            }

            /// Polls for the next message (the `Stream` implementation uses it).
            pub fn poll_recv(
                &mut self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<T>> {
                // SAFETY: `&mut self`: this is the channel's only receiver.
                unsafe { self.chan.poll_recv(cx) }
            }

            /// Closes the channel: sends fail from now on; buffered messages can still
            /// be received, and so can the sends of permits reserved before the close
            /// ([`recv`](Self::recv) returns `None` only after them).
            pub fn close(&mut self) {
                self.chan.close_rx();
            }

            /// Messages buffered right now.
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// Whether no message is buffered.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Live senders.
            pub fn sender_count(&self) -> usize {
                self.chan.sender_count()
            }
        }

        impl<T> futures_core::Stream for $name<T> {
            type Item = T;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<T>> {
                // SAFETY: `&mut self`: this is the channel's only receiver.
                unsafe { self.get_mut().chan.poll_recv(cx) }
            }
        }

        impl<T> Drop for $name<T> {
            fn drop(&mut self) {
                self.chan.close_rx();
                // SAFETY: the only receiver, being dropped.
                unsafe { self.chan.drain() };
            }
        }

        impl<T> std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.len())
                    .finish()
            }
        }
    };
}

pub(super) use receiver;
