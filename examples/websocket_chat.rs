//! A WebSocket echo and chat server on corio, and a client for it (async-tungstenite over
//! corio's `futures-io` sockets; no tokio runtime).
//!
//! ```text
//! cargo run --example websocket_chat                           # server on 127.0.0.1:9001
//! cargo run --example websocket_chat -- client ws://127.0.0.1:9001/chat hello
//! python3 -m websockets ws://127.0.0.1:9001/echo               # any WebSocket client
//! ```
//!
//! `/echo` sends every message back; `/chat` relays each text message to every chat
//! client. The server is in `examples/support/ws.rs`. The client connects, sends each
//! remaining argument as a text message, and prints what comes back (one reply per
//! message sent).

use std::process::ExitCode;

use async_tungstenite::tungstenite::Message;
use corio::net::{TcpListener, TcpStream};
use corio_examples::ws::Server;
use futures::StreamExt;

async fn client(url: &str, messages: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let authority = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or("the URL must be ws://HOST:PORT/PATH")?;
    let stream = TcpStream::connect(authority).await?;
    let (mut ws, _) = async_tungstenite::client_async(url, stream).await?;
    for text in messages {
        ws.send(Message::text(text.as_str())).await?;
        match ws.next().await {
            Some(reply) => println!("{}", reply?),
            None => return Err("the server closed the connection".into()),
        }
    }
    ws.close(None).await?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = corio::run(async {
        match args.first().map(String::as_str) {
            Some("client") if args.len() >= 2 => client(&args[1], &args[2..]).await,
            Some(arg) if arg.starts_with('-') || arg == "client" => {
                Err("usage: websocket_chat [ADDR] | client URL [MESSAGE...]".into())
            }
            addr => {
                let listener = TcpListener::bind(addr.unwrap_or("127.0.0.1:9001")).await?;
                println!(
                    "websocket_chat: ws://{}/echo and /chat",
                    listener.local_addr()?
                );
                let shutdown = async {
                    let _ = corio::signal::ctrl_c().await;
                };
                Server::new().serve(listener, shutdown).await?;
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("websocket_chat: {e}");
            ExitCode::FAILURE
        }
    }
}
