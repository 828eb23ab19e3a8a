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
            /// Receives the next message; `None` once every sender is gone (or after
            /// [`close`](Self::close)) and the buffer is empty.
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
            /// be received.
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
