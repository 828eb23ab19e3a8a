//! 10 000 HTTP/1 requests from a hyper client to a hyper server, both on corio.

mod support;

use std::sync::atomic::Ordering;

use support::{connect_h1, get, runtime, start_server, Proto};

const CONNS: usize = 8;
const REQUESTS: usize = 10_000;

#[test]
fn ten_thousand_keep_alive_requests_over_eight_connections() {
    let rt = runtime();
    rt.block_on(async {
        let (addr, served) = start_server(Proto::Http1).await;
        let per_conn = REQUESTS / CONNS;
        let clients: Vec<_> = (0..CONNS)
            .map(|c| {
                corio::spawn(async move {
                    let mut sender = connect_h1(addr).await;
                    for i in 0..per_conn {
                        let path = format!("/{c}/{i}");
                        assert_eq!(get(&mut sender, &path).await, path);
                    }
                    per_conn
                })
            })
            .collect();
        let mut done = 0;
        for c in clients {
            done += c.await.expect("client task");
        }
        assert_eq!(done, REQUESTS);
        assert_eq!(served.load(Ordering::Relaxed), REQUESTS);
    });
}
