//! A hyper 1.x HTTP client on corio: GETs one URL and prints the status and the body.
//!
//! ```text
//! cargo run --example hyper_server &                   # something to talk to
//! cargo run --example hyper_client                     # GET http://127.0.0.1:3000/
//! cargo run --example hyper_client -- http://127.0.0.1:3000/ --http2
//! cargo run --example hyper_client -- http://localhost:8080/some/path?x=1
//! ```
//!
//! It starts no server: it connects to the host and port of the URL (default port 80;
//! host names are resolved). `--http2` speaks HTTP/2 with prior knowledge (h2c), as
//! `curl --http2-prior-knowledge` does; otherwise HTTP/1.1. Only `http://` URLs: there is
//! no TLS. The whole exchange must finish within 30 s.
//!
//! Exit status: 0 for any HTTP response (the status is printed), 1 if the request failed
//! (connection refused, timeout, protocol error), 2 for a bad command line or URL.

use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use corio::net::TcpStream;
use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::{Request, Response, Uri};

const DEFAULT_URL: &str = "http://127.0.0.1:3000/";
const USAGE: &str = "usage: hyper_client [URL] [--http2]   (default URL http://127.0.0.1:3000/)";
const DEADLINE: Duration = Duration::from_secs(30);

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let mut url = None;
    let mut http2 = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--http2" => http2 = true,
            a if !a.starts_with('-') && url.is_none() => url = Some(arg),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let url = url.unwrap_or_else(|| DEFAULT_URL.to_owned());
    let uri: Uri = match parse(&url) {
        Ok(uri) => uri,
        Err(e) => {
            eprintln!("hyper_client: bad URL {url:?}: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = corio::run(async move {
        match corio::timeout(DEADLINE, fetch(uri, http2)).await {
            Ok(res) => res,
            Err(_) => Err(format!("no complete response within {DEADLINE:?}").into()),
        }
    });
    match result {
        Ok((head, body)) => {
            println!("{:?} {}", head.version(), head.status());
            for (name, value) in head.headers() {
                println!("{name}: {}", value.to_str().unwrap_or("<binary>"));
            }
            println!();
            println!("{}", String::from_utf8_lossy(&body));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hyper_client: {url}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses `url`, accepting only `http://host[:port][/path]`.
fn parse(url: &str) -> Result<Uri, Error> {
    let uri: Uri = url.parse()?;
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => return Err(format!("unsupported scheme {other:?} (only http)").into()),
        None => return Err("missing scheme (write http://...)".into()),
    }
    if uri.host().is_none() {
        return Err("missing host".into());
    }
    Ok(uri)
}

/// Connects, sends `GET uri` over HTTP/1.1 or HTTP/2, returns the response head and body.
async fn fetch(uri: Uri, http2: bool) -> Result<(Response<()>, Bytes), Error> {
    let host = uri.host().expect("checked by parse");
    let port = uri.port_u16().unwrap_or(80);
    // `[::1]` arrives with brackets, which `connect` does not want.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let stream = TcpStream::connect((host, port)).await?;
    stream.set_nodelay(true)?;
    let io = CorioIo::new(stream).with_vectored_writes(true);
    let res: Response<Incoming> = if http2 {
        let (mut sender, conn) = hyper::client::conn::http2::Builder::new(CorioExecutor::new())
            .timer(CorioTimer::new())
            .handshake(io)
            .await?;
        drop(corio::spawn(conn));
        // HTTP/2 carries scheme and authority in the request: send the absolute URI.
        let req = Request::get(uri).body(Empty::<Bytes>::new())?;
        sender.send_request(req).await?
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
        drop(corio::spawn(conn));
        let authority = uri
            .authority()
            .expect("checked by parse")
            .as_str()
            .to_owned();
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let req = Request::get(path)
            .header(hyper::header::HOST, authority)
            .body(Empty::<Bytes>::new())?;
        sender.send_request(req).await?
    };
    let (head, body) = res.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok((Response::from_parts(head, ()), body))
}
