//! Making a connection: TCP (to the server or the proxy), the proxy's `CONNECT` tunnel,
//! TLS with ALPN, and the HTTP/1.1 or HTTP/2 handshake. The connection's task is spawned
//! here (for HTTP/2, the one task of `h2_task/mod.rs`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use corio::net::TcpStream;
use corio_hyper::{CorioIo, CorioTimer};
use corio_tls::{TlsConnector, TlsStream};
use futures_io::{AsyncRead, AsyncWrite};
use hyper::client::conn::{http1, http2};

use crate::h2_task::ConnExecutor;
use crate::pool::Fresh;
use crate::proxy::ProxyUrl;
use crate::url::{Scheme, Target};
use crate::Error;

/// A transport: plain TCP or TLS over TCP.
pub(crate) enum Transport {
    Tcp(Box<TcpStream>),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Transport::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_close(cx),
            Transport::Tls(s) => Pin::new(&mut **s).poll_close(cx),
        }
    }
}

/// How to connect: what the session decided.
pub(crate) struct Plan<'a> {
    pub(crate) target: &'a Target,
    pub(crate) proxy: Option<&'a ProxyUrl>,
    /// ALPN `h2` + `http/1.1` connector, or `http/1.1` only.
    pub(crate) tls: &'a TlsConnector,
    /// Plain `http://`: speak HTTP/2 without negotiation.
    pub(crate) h2_prior_knowledge: bool,
}

/// Where the HTTP/2 connection task keeps the pool's permits while it lives.
pub(crate) type PermitSlot = Arc<Mutex<Option<Box<dyn std::any::Any + Send>>>>;

/// Connects and handshakes; `slot` receives the permits of an HTTP/2 connection.
pub(crate) async fn connect(plan: Plan<'_>, slot: PermitSlot) -> Result<Fresh, Error> {
    let target = plan.target;
    let url = &target.url;
    let (host, port) = match plan.proxy {
        Some(p) => (p.host.as_str(), p.port),
        None => (target.host.as_str(), target.port),
    };
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|source| Error::Connect {
            url: url.clone(),
            source,
        })?;
    tcp.set_nodelay(true).map_err(|source| Error::Connect {
        url: url.clone(),
        source,
    })?;
    let transport = match target.scheme {
        Scheme::Http => Transport::Tcp(Box::new(tcp)),
        Scheme::Https => {
            let mut tcp = tcp;
            if let Some(proxy) = plan.proxy {
                tunnel(&mut tcp, proxy, target).await?;
            }
            let tls = plan
                .tls
                .connect(&target.host, tcp)
                .await
                .map_err(|source| Error::Tls {
                    url: url.clone(),
                    source,
                })?;
            Transport::Tls(Box::new(tls))
        }
    };
    let h2 = match &transport {
        Transport::Tls(tls) => tls.alpn_protocol() == Some(b"h2"),
        // Through an HTTP proxy a plain request is HTTP/1.1 absolute-form.
        Transport::Tcp(_) => plan.h2_prior_knowledge && plan.proxy.is_none(),
    };
    let vectored = matches!(transport, Transport::Tcp(_));
    let io = CorioIo::new(transport).with_vectored_writes(vectored);
    let protocol_error = |source: hyper::Error| Error::Protocol {
        url: url.clone(),
        source,
    };
    if h2 {
        // The connection is one task: hyper's dispatcher, h2's socket I/O and every
        // per-request future hyper would spawn (h2_task/mod.rs).
        let exec = ConnExecutor::new();
        let (sender, conn) = http2::Builder::new(exec.clone())
            .timer(CorioTimer::new())
            .handshake(io)
            .await
            .map_err(protocol_error)?;
        let task = exec.task(async move {
            let _ = conn.await;
        });
        drop(corio::spawn(async move {
            task.await;
            // The permits are released when the connection is gone (pool rule 2).
            drop(slot.lock().unwrap().take());
        }));
        Ok(Fresh::H2(sender))
    } else {
        let (sender, conn) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(protocol_error)?;
        drop(corio::spawn(async move {
            let _ = conn.await;
        }));
        Ok(Fresh::H1(sender))
    }
}

/// `CONNECT host:port` through the proxy; on `200` the stream is a raw tunnel.
async fn tunnel(tcp: &mut TcpStream, proxy: &ProxyUrl, target: &Target) -> Result<(), Error> {
    use futures::io::{AsyncReadExt, AsyncWriteExt};

    let fail = |reason: String| Error::Proxy {
        proxy: proxy.addr(),
        reason,
    };
    let authority = if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = &proxy.authorization {
        head.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(|e| fail(format!("sending CONNECT: {e}")))?;
    // Read the response head byte by byte: nothing after it may be consumed (the TLS
    // handshake follows on the same stream).
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        if response.len() > 16 * 1024 {
            return Err(fail("CONNECT response head larger than 16 KiB".into()));
        }
        match tcp.read(&mut byte).await {
            Ok(0) => return Err(fail("closed the connection during CONNECT".into())),
            Ok(_) => response.push(byte[0]),
            Err(e) => return Err(fail(format!("reading the CONNECT response: {e}"))),
        }
    }
    let status_line = String::from_utf8_lossy(&response);
    let status_line = status_line.lines().next().unwrap_or_default();
    let code = status_line.split_whitespace().nth(1);
    if code.is_some_and(|c| c.starts_with('2')) {
        Ok(())
    } else {
        Err(fail(format!("CONNECT {authority} refused: {status_line}")))
    }
}
