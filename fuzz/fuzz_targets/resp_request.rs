//! The Redis server's incremental request parser, differentially: the input is a byte
//! stream plus the read sizes it arrives in and the limits; the requests (or the error)
//! must be the same whatever the read sizes, the bytes a call leaves for the next must
//! stay below one line (the property that keeps the cost linear), and nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use redis_server::request::{Limits, ProtocolError, Request, RequestParser, MAX_INLINE_LEN};

/// Parses `stream`, delivered in reads of the sizes `chunks` cycles through.
fn parse_all(
    limits: Limits,
    stream: &[u8],
    chunks: &[usize],
) -> (Vec<Request>, Option<ProtocolError>) {
    let mut parser = RequestParser::new(limits);
    let mut buffered = Vec::new();
    let mut requests = Vec::new();
    let mut at = 0;
    let mut sizes = chunks.iter().cycle();
    while at < stream.len() {
        let n = (*sizes.next().unwrap()).clamp(1, stream.len() - at);
        buffered.extend_from_slice(&stream[at..at + n]);
        at += n;
        loop {
            match parser.parse(&buffered) {
                Ok((used, request)) => {
                    assert!(used <= buffered.len());
                    buffered.drain(..used);
                    match request {
                        Some(r) => requests.push(r),
                        None => break,
                    }
                }
                Err(e) => return (requests, Some(e)),
            }
        }
        // Invariant 1 of the parser: what is left is at most one partial line.
        assert!(
            buffered.len() <= MAX_INLINE_LEN + 1,
            "{} bytes left",
            buffered.len()
        );
    }
    (requests, None)
}

fuzz_target!(|data: &[u8]| {
    // Header: 3 bytes of limits, 4 read sizes; the rest is the stream.
    if data.len() < 7 {
        return;
    }
    let (head, stream) = data.split_at(7);
    let limits = Limits {
        max_args: usize::from(head[0]) + 1,
        max_bulk_len: usize::from(head[1]) * 4 + 1,
        max_query_buffer: usize::from(head[2]) * 64 + 1,
    };
    let chunks: Vec<usize> = head[3..].iter().map(|&b| usize::from(b) + 1).collect();
    let whole = parse_all(limits, stream, &[stream.len().max(1)]);
    let pieces = parse_all(limits, stream, &chunks);
    let bytewise = parse_all(limits, stream, &[1]);
    // A stream that breaks a limit may be refused at a different request depending on
    // how much was buffered (unparsed input counts), but never with different requests
    // before the refusal: compare the common prefix and the verdict when all agree.
    for (a, b) in [(&whole, &pieces), (&whole, &bytewise)] {
        let common = a.0.len().min(b.0.len());
        assert_eq!(a.0[..common], b.0[..common]);
        if a.1.is_none() && b.1.is_none() {
            assert_eq!(a.0, b.0);
        }
    }
    // With default limits and a short stream, only the query-buffer count could differ,
    // and it cannot be reached: the three must agree exactly.
    if stream.len() < 4096 {
        let d = Limits::default();
        assert_eq!(
            parse_all(d, stream, &[stream.len().max(1)]),
            parse_all(d, stream, &chunks)
        );
        assert_eq!(
            parse_all(d, stream, &[stream.len().max(1)]),
            parse_all(d, stream, &[1])
        );
    }
});
