//! 10 000 HTTP/2 requests from a hyper client to a hyper server, both on corio: several
//! connections, several concurrent streams on each.

mod support;

use std::sync::atomic::Ordering;

use support::{connect_h2, get, runtime, start_server, Proto};

const CONNS: usize = 4;
const STREAMS_PER_CONN: usize = 16;
const REQUESTS: usize = 10_000;

#[test]
fn ten_thousand_requests_over_four_connections_with_concurrent_streams() {
    let rt = runtime();
    rt.block_on(async {
        let (addr, served) = start_server(Proto::Http2).await;
        let per_stream = REQUESTS / (CONNS * STREAMS_PER_CONN);
        let remainder = REQUESTS - per_stream * CONNS * STREAMS_PER_CONN;
        let mut tasks = Vec::new();
        for c in 0..CONNS {
            let sender = connect_h2(addr).await;
            for s in 0..STREAMS_PER_CONN {
                let mut sender = sender.clone();
                // The first stream also sends the remainder, so the total is exact.
                let n = per_stream + if c == 0 && s == 0 { remainder } else { 0 };
                tasks.push(corio::spawn(async move {
                    for i in 0..n {
                        let path = format!("/{c}/{s}/{i}");
                        assert_eq!(get(&mut sender, &path).await, path);
                    }
                    n
                }));
            }
        }
        let mut done = 0;
        for t in tasks {
            done += t.await.expect("client task");
        }
        assert_eq!(done, REQUESTS);
        assert_eq!(served.load(Ordering::Relaxed), REQUESTS);
    });
}
