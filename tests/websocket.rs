//! The WebSocket server of `examples/websocket_chat.rs` against real clients: Python's
//! `websockets` package (10 000 messages over 100 connections, each checked), our corio
//! client (async-tungstenite over futures-io), tokio-tungstenite on corio's sockets
//! through the `tokio-io` feature, and hostile peers: a malformed frame, a peer that
//! vanishes mid-frame. In CI (`CI` set) a missing Python `websockets` fails the test.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use async_tungstenite::tungstenite::Message;
use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use corio_examples::ws::Server;
use futures::{AsyncReadExt, AsyncWriteExt, SinkExt, StreamExt};

/// A bound on every wait, so a bug fails the test instead of hanging it.
const LIMIT: Duration = Duration::from_secs(60);

fn with_server<F, Fut>(body: F)
where
    F: FnOnce(SocketAddr, Server) -> Fut,
    Fut: Future<Output = ()>,
{
    corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::new();
        let stop = Arc::new(Event::new());
        let (s2, stop2) = (server.clone(), stop.clone());
        let task = corio::spawn(async move { s2.serve(listener, stop2.wait()).await });
        corio::timeout(LIMIT, body(addr, server))
            .await
            .expect("the test body hung");
        stop.set();
        task.await.unwrap().unwrap();
    });
}

/// The venv's Python with `websockets` (made by `.ci/run`), or `$CORIO_TEST_PYTHON`.
fn python() -> Option<PathBuf> {
    let py = std::env::var_os("CORIO_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py-venv/bin/python")
        });
    let ok = Command::new(&py)
        .args(["-c", "import websockets"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} with the websockets package is missing (.ci/run creates it)",
            py.display()
        );
        eprintln!("SKIPPED: no Python with websockets at {}", py.display());
        return None;
    }
    Some(py)
}

const PY_CLIENT: &str = r#"
import asyncio, sys, websockets

async def one(uri, i):
    async with websockets.connect(uri, max_size=None) as ws:
        for j in range(100):
            msg = f"{i}:{j}:" + "x" * (j * 37 % 3000)
            if j % 2:
                msg = msg.encode()
            await ws.send(msg)
            got = await ws.recv()
            assert got == msg, (i, j, got[:40], msg[:40])
    return 100

async def main():
    done = await asyncio.gather(*(one(sys.argv[1], i) for i in range(100)))
    print(sum(done))

asyncio.run(main())
"#;

#[test]
fn python_websockets_10000_messages_over_100_connections() {
    let Some(py) = python() else { return };
    with_server(|addr, server| async move {
        let url = format!("ws://{addr}/echo");
        let out = corio::to_thread(move || {
            Command::new(py)
                .args(["-c", PY_CLIENT, &url])
                .output()
                .expect("run python")
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "python: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout.trim(), "10000", "messages echoed and checked");
        wait_live(&server, 0).await;
    });
}

/// Waits until exactly `n` connection tasks are alive.
async fn wait_live(server: &Server, n: usize) {
    while server.live() != n {
        corio::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn corio_clients_chat_and_echo() {
    with_server(|addr, server| async move {
        let chat = format!("ws://{addr}/chat");
        let (mut a, _) =
            async_tungstenite::client_async(&chat, TcpStream::connect(addr).await.unwrap())
                .await
                .unwrap();
        let (mut b, _) =
            async_tungstenite::client_async(&chat, TcpStream::connect(addr).await.unwrap())
                .await
                .unwrap();
        wait_live(&server, 2).await;
        a.send(Message::text("hello from a")).await.unwrap();
        let local_a = "127.0.0.1:";
        for ws in [&mut a, &mut b] {
            let got = ws.next().await.unwrap().unwrap().into_text().unwrap();
            assert!(
                got.starts_with(local_a) && got.ends_with(": hello from a"),
                "{got}"
            );
        }
        a.close(None).await.unwrap();
        b.close(None).await.unwrap();
        wait_live(&server, 0).await;
    });
}

#[test]
fn tokio_tungstenite_runs_on_corio_sockets() {
    with_server(|addr, _| async move {
        // tokio-tungstenite needs tokio's AsyncRead/AsyncWrite: the `tokio-io` feature.
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/echo"), stream)
            .await
            .unwrap();
        for i in 0..100 {
            let msg = Message::binary(vec![i as u8; i * 100]);
            ws.send(msg.clone()).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), msg);
        }
        ws.close(None).await.unwrap();
    });
}

/// Opens a raw TCP connection and completes the WebSocket handshake by hand.
async fn raw_handshake(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

#[test]
fn a_malformed_frame_closes_only_its_own_connection() {
    with_server(|addr, server| async move {
        let (mut good, _) = async_tungstenite::client_async(
            format!("ws://{addr}/echo"),
            TcpStream::connect(addr).await.unwrap(),
        )
        .await
        .unwrap();
        let mut bad = raw_handshake(addr).await;
        wait_live(&server, 2).await;
        // An unmasked client frame (RFC 6455 §5.1: the server must fail the connection).
        bad.write_all(b"\x81\x05hello").await.unwrap();
        let mut rest = Vec::new();
        let _ = bad.read_to_end(&mut rest).await; // EOF (after a close frame, if any)
        if !rest.is_empty() {
            assert_eq!(
                rest[0], 0x88,
                "anything sent back is a close frame: {rest:?}"
            );
        }
        wait_live(&server, 1).await;
        // The other connection is untouched.
        good.send(Message::text("still here")).await.unwrap();
        assert_eq!(
            good.next().await.unwrap().unwrap(),
            Message::text("still here")
        );
        good.close(None).await.unwrap();
        wait_live(&server, 0).await;
    });
}

#[test]
fn a_peer_vanishing_mid_frame_frees_its_task() {
    with_server(|addr, server| async move {
        for reset in [false, true] {
            let mut s = raw_handshake(addr).await;
            wait_live(&server, 1).await;
            // A masked text frame announcing 1000 bytes, of which 10 arrive.
            let mut frame = vec![0x81, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4];
            frame.extend_from_slice(&[b'a' ^ 1; 10]);
            s.write_all(&frame).await.unwrap();
            corio::sleep(Duration::from_millis(20)).await;
            if reset {
                use std::os::fd::{AsRawFd, BorrowedFd};
                // SAFETY: `s` owns the descriptor and outlives this borrow of it.
                let fd = unsafe { BorrowedFd::borrow_raw(s.as_raw_fd()) };
                socket2::SockRef::from(&fd)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
            }
            drop(s); // EOF, or an RST with SO_LINGER 0
            wait_live(&server, 0).await;
        }
    });
}
