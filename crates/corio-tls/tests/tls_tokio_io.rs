//! `TlsStream` under the `tokio-io` feature: tokio's own I/O helpers and tokio-util's
//! line codec (a crate written against tokio's traits) over TLS on corio, both sides.

use corio::net::{TcpListener, TcpStream};
use corio_tls::{testing::TestCa, TlsAcceptor, TlsConnector};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Framed, LinesCodec};

#[test]
fn tokio_helpers_and_a_tokio_util_codec_run_over_tls_on_corio() {
    let ca = TestCa::new("tokio-io CA");
    let cert = ca.issue(&["localhost"]);
    corio::run(async move {
        let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
            .build()
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let tls = acceptor.accept(tcp).await.unwrap();
            // The server answers lines through tokio-util's codec.
            let mut lines = Framed::new(tls, LinesCodec::new_with_max_length(1 << 16));
            let mut n = 0;
            while let Some(line) = lines.next().await {
                let line = line.unwrap();
                lines.send(line.to_uppercase()).await.unwrap();
                n += 1;
            }
            // close_notify through tokio's shutdown.
            AsyncWriteExt::shutdown(lines.get_mut()).await.unwrap();
            n
        });

        let connector = TlsConnector::builder()
            .add_root_pem(ca.cert_pem().as_bytes())
            .build()
            .unwrap();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).await.unwrap();
        // The client uses tokio's extension traits.
        let mut expected = String::new();
        for i in 0..200 {
            let line = format!("line {i} {}\n", "x".repeat(i * 10));
            AsyncWriteExt::write_all(&mut tls, line.as_bytes())
                .await
                .unwrap();
            expected.push_str(&line.to_uppercase());
        }
        AsyncWriteExt::shutdown(&mut tls).await.unwrap(); // close_notify
        let mut got = String::new();
        AsyncReadExt::read_to_string(&mut tls, &mut got)
            .await
            .unwrap();
        assert_eq!(got, expected);
        assert_eq!(server.await.unwrap(), 200);
    });
}
