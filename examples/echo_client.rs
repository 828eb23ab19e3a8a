//! An echo client: sends a few lines to the echo server and prints what comes back.
//!
//! `cargo run --example echo_client [addr]` (default 127.0.0.1:7878).
//! DRAFT: needs the facade wiring (`corio::net`, `corio::run`).

use corio::net::TcpStream;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7878".into());
    corio::run(async move {
        let stream = TcpStream::connect(addr.as_str()).await?;
        println!("connected to {}", stream.peer_addr()?);
        let (reader, mut writer) = stream.into_split();
        let mut lines = BufReader::new(reader).lines();
        for msg in ["hello", "from", "corio"] {
            writer.write_all(format!("{msg}\n").as_bytes()).await?;
            match futures::TryStreamExt::try_next(&mut lines).await? {
                Some(echo) => println!("sent {msg:?}, got {echo:?}"),
                None => {
                    eprintln!("server closed the connection");
                    break;
                }
            }
        }
        Ok(())
    })
}
