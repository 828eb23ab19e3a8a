//! The WebSocket server of `examples/websocket_chat.rs` (a library module, so the tests
//! start it in-process): async-tungstenite over corio's `futures-io` sockets.
//!
//! - `ws://HOST/echo`: every text or binary message comes back to its sender.
//! - `ws://HOST/chat`: every text message goes to every client connected to `/chat`
//!   (the sender too), prefixed with the sender's address.
//!
//! Each connection is one task. A protocol error (a malformed or unmasked frame, bad
//! UTF-8 in a text message, an oversized message) closes that connection only; a peer
//! that vanishes mid-frame ends its task at the read error or EOF. [`Server::live`]
//! counts the connection tasks alive, so tests can see them go.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_tungstenite::tungstenite::handshake::server::{Request, Response};
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::Message;
use corio::net::{TcpListener, TcpStream};
use corio::sync::broadcast;
use futures::future::{select, Either};
use futures::StreamExt;

/// The largest message accepted (1 MiB); a larger one closes its connection (1009).
pub const MAX_MESSAGE: usize = 1 << 20;

/// A running server's shared counters.
#[derive(Clone, Debug, Default)]
pub struct Server {
    live: Arc<AtomicUsize>,
}

impl Server {
    /// A server with no connection yet.
    pub fn new() -> Server {
        Server::default()
    }

    /// Connection tasks alive now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Accepts connections on `listener` until `shutdown` completes.
    ///
    /// # Errors
    /// An accept error that is not about one client (the listener is broken).
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let (chat, _) = broadcast::channel::<Arc<str>>(1024);
        let mut shutdown = pin!(shutdown);
        loop {
            let accepted = match select(pin!(listener.accept()), shutdown.as_mut()).await {
                Either::Left((res, _)) => res,
                Either::Right(_) => return Ok(()),
            };
            let (stream, peer) = match accepted {
                Ok(conn) => conn,
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(e),
            };
            let live = self.live.clone();
            live.fetch_add(1, Ordering::SeqCst);
            let chat = chat.clone();
            drop(corio::spawn(async move {
                struct Gone(Arc<AtomicUsize>);
                impl Drop for Gone {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let _gone = Gone(live);
                // A failed connection concerns its client only.
                let _ = connection(stream, peer, chat).await;
            }));
        }
    }
}

// The handshake callback's `Result<Response, ErrorResponse>` is tungstenite's signature.
#[allow(clippy::result_large_err)]
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    chat: broadcast::Sender<Arc<str>>,
) -> Result<(), async_tungstenite::tungstenite::Error> {
    let _ = stream.set_nodelay(true);
    let mut path = String::new();
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(MAX_MESSAGE);
    config.max_frame_size = Some(MAX_MESSAGE);
    let ws = async_tungstenite::accept_hdr_async_with_config(
        stream,
        |req: &Request, res: Response| {
            path = req.uri().path().to_owned();
            Ok(res)
        },
        Some(config),
    )
    .await?;
    match path.as_str() {
        "/chat" => chat_loop(ws, peer, chat).await,
        _ => echo_loop(ws).await,
    }
}

type Ws = async_tungstenite::WebSocketStream<TcpStream>;

async fn echo_loop(mut ws: Ws) -> Result<(), async_tungstenite::tungstenite::Error> {
    while let Some(msg) = ws.next().await {
        match msg? {
            m @ (Message::Text(_) | Message::Binary(_)) => ws.send(m).await?,
            // Pings are answered by tungstenite itself; a close is answered likewise.
            Message::Close(_) => break,
            _ => {}
        }
    }
    Ok(())
}

async fn chat_loop(
    ws: Ws,
    peer: SocketAddr,
    chat: broadcast::Sender<Arc<str>>,
) -> Result<(), async_tungstenite::tungstenite::Error> {
    let mut rx = chat.subscribe();
    let (mut tx, mut incoming) = ws.split();
    loop {
        match select(incoming.next(), pin!(rx.recv())).await {
            Either::Left((Some(msg), _)) => match msg? {
                Message::Text(text) => {
                    let _ = chat.send(Arc::from(format!("{peer}: {}", text.as_str())));
                }
                Message::Close(_) => break,
                _ => {}
            },
            Either::Left((None, _)) => break,
            Either::Right((Ok(line), _)) => tx.send(Message::text(line.to_string())).await?,
            // Too slow to keep up: tell the client how much it missed, and go on.
            Either::Right((Err(broadcast::RecvError::Lagged(n)), _)) => {
                tx.send(Message::text(format!("(missed {n} messages)")))
                    .await?
            }
            Either::Right((Err(broadcast::RecvError::Closed), _)) => break,
        }
    }
    Ok(())
}
