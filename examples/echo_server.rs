//! An echo server: every connection gets its own task that copies what it reads back.
//!
//! Run it with `cargo run --example echo_server [addr]` (default 127.0.0.1:7878), then
//! talk to it with `cargo run --example echo_client` or `nc 127.0.0.1 7878`.
//! DRAFT: needs the facade wiring (`corio::net`, `corio::run`, `corio::spawn`).

use corio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7878".into());
    corio::run(async move {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!("echo server listening on {}", listener.local_addr()?);
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(conn) => conn,
                // EMFILE and friends: report and keep serving.
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            corio::spawn(async move {
                stream.set_nodelay(true).ok();
                let (mut reader, mut writer) = stream.into_split();
                match futures::io::copy(&mut reader, &mut writer).await {
                    Ok(n) => println!("{peer}: echoed {n} bytes"),
                    Err(e) => eprintln!("{peer}: {e}"),
                }
            });
        }
    })
}
