//! `CorioTimer` on virtual time: hyper's own timeouts fire under a paused clock.

mod support;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use corio::net::{TcpListener, TcpStream};
use corio::time::Instant;
use corio_hyper::{CorioExecutor, CorioIo, CorioSleep, CorioTimer};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use http_body_util::Full;
use hyper::rt::Timer;
use hyper::service::service_fn;
use hyper::Response;
use support::paused;

async fn hello(
    _: hyper::Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hi"))))
}

#[test]
fn sleep_completes_on_virtual_time() {
    paused().block_on(async {
        let timer = CorioTimer::new();
        let start = Instant::now();
        timer.sleep(Duration::from_secs(3600)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
        timer
            .sleep_until(timer.now() + Duration::from_secs(5))
            .await;
        assert_eq!(start.elapsed(), Duration::from_secs(3605));
    });
}

#[test]
fn now_follows_the_paused_clock() {
    let rt = paused();
    rt.block_on(async {
        let timer = CorioTimer::new();
        let t0 = timer.now();
        assert_eq!(timer.now(), t0, "a paused clock does not move");
        rt.handle()
            .clock()
            .advance(Duration::from_secs(42))
            .unwrap();
        assert_eq!(timer.now() - t0, Duration::from_secs(42));
        assert_eq!(Instant::now().into_std(), timer.now());
    });
}

#[test]
fn reset_moves_the_deadline_in_place() {
    paused().block_on(async {
        let timer = CorioTimer::new();
        let start = timer.now();
        let mut sleep = timer.sleep(Duration::from_secs(10));
        // Poll once so the sleep is registered in the wheel before it is reset.
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        timer.reset(&mut sleep, start + Duration::from_secs(1));
        let ours = sleep
            .as_mut()
            .downcast_mut_pin::<CorioSleep>()
            .expect("ours");
        assert_eq!(ours.deadline().into_std(), start + Duration::from_secs(1));
        sleep.await;
        assert_eq!(timer.now() - start, Duration::from_secs(1));
    });
}

/// A `hyper::rt::Sleep` of another timer: `reset` replaces it with one of ours.
struct Foreign;
impl std::future::Future for Foreign {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}
impl hyper::rt::Sleep for Foreign {}

#[test]
fn reset_replaces_a_foreign_sleep() {
    paused().block_on(async {
        let timer = CorioTimer::new();
        let start = timer.now();
        let mut sleep: Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(Foreign);
        timer.reset(&mut sleep, start + Duration::from_secs(2));
        assert!(sleep.is::<CorioSleep>());
        sleep.await;
        assert_eq!(timer.now() - start, Duration::from_secs(2));
    });
}

/// hyper's `header_read_timeout` (armed through `Timer::now` + `sleep_until`) closes a
/// connection whose request head never completes, after exactly 30 virtual seconds.
#[test]
fn http1_header_read_timeout_fires_on_virtual_time() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .timer(CorioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(CorioIo::new(stream), service_fn(hello))
                .await
        });
        let start = Instant::now();
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap(); // no blank line
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        let err = server.await.unwrap().expect_err("the head never completed");
        assert!(err.is_timeout(), "{err:?}");
    });
}

/// HTTP/2 keep-alive: the server pings a silent peer after 10 s and gives up 5 s later.
/// hyper measures the ping with `Timer::now`, so this also checks that `now` is virtual.
#[test]
fn http2_keep_alive_timeout_fires_on_virtual_time() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            hyper::server::conn::http2::Builder::new(CorioExecutor::new())
                .timer(CorioTimer::new())
                .keep_alive_interval(Duration::from_secs(10))
                .keep_alive_timeout(Duration::from_secs(5))
                .serve_connection(CorioIo::new(stream), service_fn(hello))
                .await
        });
        let start = Instant::now();
        let mut client = TcpStream::connect(addr).await.unwrap();
        // The client preface and an empty SETTINGS frame, then silence: no SETTINGS ack,
        // no PING ack.
        client
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        client
            .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
            .await
            .unwrap();
        let mut frames = Vec::new();
        client.read_to_end(&mut frames).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(15));
        let err = server
            .await
            .unwrap()
            .expect_err("the peer never acked the ping");
        assert!(err.is_timeout(), "{err:?}");
    });
}
