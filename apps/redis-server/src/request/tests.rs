use super::*;

fn args(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// Feeds `stream` to one parser in `chunk`-byte reads, as a connection does (invariant 1),
/// and returns the requests, checking after each call that the bytes left over are at
/// most a partial line, never a frame's worth.
fn feed(limits: Limits, stream: &[u8], chunk: usize) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
    let mut parser = RequestParser::new(limits);
    let mut buffered = Vec::new();
    let mut requests = Vec::new();
    for piece in stream.chunks(chunk) {
        buffered.extend_from_slice(piece);
        loop {
            let (used, request) = parser.parse(&buffered)?;
            buffered.drain(..used);
            match request {
                Some(r) => requests.push(r),
                None => break,
            }
        }
        assert!(buffered.len() <= 64, "{} bytes left over", buffered.len());
    }
    assert!(buffered.is_empty() && !parser.in_request());
    Ok(requests)
}

#[test]
fn every_split_point_parses_the_same() {
    let req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxy\r\n";
    for cut in 0..req.len() {
        assert_eq!(parse_command(&req[..cut]).unwrap(), None, "cut at {cut}");
    }
    let (got, used) = parse_command(req).unwrap().unwrap();
    assert_eq!(got, args(&["SET", "k", "v\r\nxy"]));
    assert_eq!(used, req.len());

    let mut stream = req.to_vec();
    stream.extend_from_slice(b"PING\r\n*0\r\necho \"a b\"\r\n*1\r\n$0\r\n\r\n");
    let want = vec![
        args(&["SET", "k", "v\r\nxy"]),
        args(&["PING"]),
        vec![],
        args(&["echo", "a b"]),
        vec![vec![]],
    ];
    for chunk in 1..=stream.len() {
        assert_eq!(
            feed(Limits::default(), &stream, chunk).unwrap(),
            want,
            "chunk {chunk}"
        );
    }
}

/// The trickle of issue 20: a 200 000-argument request 7 bytes at a time. Each call
/// consumes what it was given (nothing is re-presented), which is what makes the cost
/// linear; the old parser consumed nothing until the whole frame was there.
#[test]
fn a_trickled_request_is_consumed_as_it_arrives() {
    let n = 200_000;
    let mut stream = format!("*{}\r\n$6\r\nEXISTS\r\n", n + 1).into_bytes();
    for _ in 0..n {
        stream.extend_from_slice(b"$1\r\nk\r\n");
    }
    let requests = feed(Limits::default(), &stream, 7).unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].len(), n + 1);
}

#[test]
fn a_partial_line_is_searched_once() {
    // An inline command trickled a byte at a time: the search resumes where it stopped.
    let mut parser = RequestParser::new(Limits::default());
    let mut buffered = Vec::new();
    for _ in 0..1000 {
        buffered.push(b'a');
        assert_eq!(parser.parse(&buffered).unwrap(), (0, None));
        assert_eq!(parser.scanned, buffered.len());
    }
    buffered.extend_from_slice(b"\r\n");
    let (used, request) = parser.parse(&buffered).unwrap();
    assert_eq!((used, request.unwrap()[0].len()), (1002, 1000));
    // A header: its last byte may be the `\r` of the `\r\n`, searched again.
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.parse(b"*2\r").unwrap(), (0, None));
    assert_eq!(parser.scanned, 2);
    assert_eq!(parser.parse(b"*2\r\n$").unwrap(), (4, None));
    assert!(parser.in_request());
}

#[test]
fn inline_quotes_and_blanks() {
    let req = b"  set  'it\\'s' \"a\\tb\"\r\nrest";
    let (got, used) = parse_command(req).unwrap().unwrap();
    assert_eq!(used, req.len() - 4);
    assert_eq!(got, args(&["set", "it's", "a\tb"]));
    assert_eq!(parse_command(b"\r\n").unwrap().unwrap(), (vec![], 2));
    assert!(parse_command(b"set \"k v\r\n").is_err());
    assert!(parse_command(b"set \"k\"v\r\n").is_err());
}

#[test]
fn bad_headers_are_errors() {
    for bad in [
        &b"*x\r\n"[..],
        b"*2\r\n:1\r\n",
        b"*1\r\n$-2\r\n",
        b"*1\r\n$1\r\nab\r\n",
        b"*99999999999\r\n",
        b"*1\r\n*1\r\n",
    ] {
        assert!(
            parse_command(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let long = vec![b'a'; MAX_INLINE_LEN + 1];
    assert!(parse_command(&long).is_err());
    let mut long_header = b"*1\r\n$".to_vec();
    long_header.resize(MAX_INLINE_LEN + 10, b'1');
    assert_eq!(
        parse_command(&long_header).unwrap_err().to_string(),
        "Protocol error: too big bulk count string"
    );
}

#[test]
fn limits_are_errors_before_anything_is_reserved() {
    let limits = Limits {
        max_args: 3,
        max_bulk_len: 10,
        max_query_buffer: 100,
    };
    let err = |stream: &[u8]| feed(limits, stream, stream.len()).unwrap_err().to_string();
    assert_eq!(err(b"*4\r\n"), "Protocol error: invalid multibulk length");
    assert_eq!(err(b"*1\r\n$11\r\n"), "Protocol error: invalid bulk length");
    // 3 arguments of 10 bytes, 24 bytes of bookkeeping each: over 100 at the third
    // header, before its body arrives.
    assert_eq!(
        err(b"*3\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n$10\r\n"),
        "Protocol error: client query buffer limit of 100 bytes reached"
    );
    // Within the limits: fine, and the count resets with each request.
    let ok = b"*3\r\n$1\r\na\r\n$10\r\n0123456789\r\n$0\r\n\r\n".repeat(5);
    assert_eq!(feed(limits, &ok, 3).unwrap().len(), 5);
    // Unparsed input counts too: an inline line longer than the limit.
    assert_eq!(
        err(&[b'a'; 101]),
        "Protocol error: client query buffer limit of 100 bytes reached"
    );
}

#[test]
fn a_large_claim_reserves_without_filling() {
    let mut parser = RequestParser::new(Limits::default());
    let (used, none) = parser.parse(b"*1\r\n$500000000\r\nab").unwrap();
    assert_eq!((used, none), (18, None));
    match &parser.state {
        State::Body { len, arg, .. } => {
            assert_eq!(*len, 500_000_000);
            assert_eq!(arg.len(), 2);
            assert!(arg.capacity() >= 500_000_000);
        }
        other => panic!("{other:?}"),
    }
}
