//! A tiny local HTTP/1.1 server for the network examples: it answers `GET <path>` with a
//! small HTML page after a delay (a slow web site), one task per connection.
//!
//! The examples fetch from it over real TCP on 127.0.0.1, so nothing leaves the machine.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use corio::net::TcpListener;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Starts the server on an ephemeral port of 127.0.0.1 and returns its address. The
/// server runs as a task until the runtime shuts down.
///
/// # Errors
/// When the listener cannot be bound.
pub async fn serve(delay: Duration) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(corio::spawn(accept_loop(listener, delay)));
    Ok(addr)
}

async fn accept_loop(listener: TcpListener, delay: Duration) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        drop(corio::spawn(async move {
            let (reader, mut writer) = stream.into_split();
            let mut reader = BufReader::new(reader);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).await.is_err() {
                return;
            }
            // Skip the headers up to the blank line.
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" || line == "\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .to_owned();
            corio::sleep(delay).await; // a slow server
            let body = format!("<html><body><h1>{path}</h1></body></html>");
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = writer.write_all(response.as_bytes()).await;
        }));
    }
}

/// A minimal HTTP/1.1 GET of `url` (`http://host:port/path`) over a fresh
/// `corio::net::TcpStream`; returns the response body.
///
/// # Errors
/// A URL that is not `http://`, a connection or I/O error, or a non-200 response.
pub async fn get(url: &str) -> io::Result<String> {
    use corio::net::TcpStream;
    use futures::io::AsyncReadExt;

    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "only http:// URLs"))?;
    let (host, path) = match rest.split_once('/') {
        Some((host, path)) => (host, format!("/{path}")),
        None => (rest, "/".to_owned()),
    };
    let mut stream = TcpStream::connect(host).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_owned()),
        _ => Err(io::Error::other(format!(
            "unexpected response: {response:?}"
        ))),
    }
}
