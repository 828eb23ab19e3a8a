//! `io`: copy_bidirectional, duplex, and the lines and length-delimited codecs, with
//! their bad inputs.

use std::io::ErrorKind;

use bytes::BytesMut;
use corio_reactor::io::codec::{
    Decoder, Framed, FramedRead, FramedWrite, LengthDelimitedCodec, LinesCodec,
};
use corio_reactor::io::{copy_bidirectional, duplex};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures::{FutureExt, SinkExt, StreamExt, TryStreamExt};

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Writes `out` and closes the write half while reading everything the peer sends.
async fn send_and_read_to_end(io: impl AsyncRead + AsyncWrite, out: &[u8]) -> Vec<u8> {
    let (mut rd, mut wr) = io.split();
    let send = async {
        wr.write_all(out).await.unwrap();
        wr.close().await.unwrap();
    };
    let recv = async {
        let mut got = Vec::new();
        rd.read_to_end(&mut got).await.unwrap();
        got
    };
    futures::join!(send, recv).1
}

#[corio::test(start_paused = true)]
async fn copy_bidirectional_moves_a_mib_each_way_and_propagates_eof() {
    // client <-> (a | proxy | b) <-> server, every pipe smaller than the data.
    let (client, mut a) = duplex(4096);
    let (mut b, server) = duplex(4096);
    let up = data(1 << 20, 1);
    let down = data(1 << 20, 2);
    let proxy = copy_bidirectional(&mut a, &mut b);
    let client_side = send_and_read_to_end(client, &up);
    let server_side = send_and_read_to_end(server, &down);
    let (counts, at_client, at_server) = futures::join!(proxy, client_side, server_side);
    assert_eq!(counts.unwrap(), (up.len() as u64, down.len() as u64));
    assert!(at_server == up);
    assert!(at_client == down);
}

#[corio::test(start_paused = true)]
async fn copy_bidirectional_reports_a_broken_side() {
    let (client, mut a) = duplex(64);
    let (mut b, server) = duplex(64);
    drop(server); // writes to b now fail
    let mut client = client;
    client.write_all(b"to nowhere").await.unwrap();
    let err = copy_bidirectional(&mut a, &mut b).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
}

#[corio::test(start_paused = true)]
async fn duplex_backpressure_eof_and_broken_pipe() {
    let (mut a, mut b) = duplex(8);
    assert_eq!(a.write(b"0123456789").await.unwrap(), 8, "only what fits");
    // Full: a write waits, and a cancelled wait writes nothing.
    assert!(a.write(b"x").now_or_never().is_none());
    let mut buf = [0; 4];
    b.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"0123");
    assert_eq!(a.write(b"abcdef").await.unwrap(), 4);
    a.close().await.unwrap();
    let mut rest = Vec::new();
    b.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"4567abcd", "nothing lost, nothing duplicated");
    let err = a.write(b"late").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    drop(a);
    let err = b.write(b"to a dropped peer").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
}

#[corio::test(start_paused = true)]
async fn lines_split_across_reads_and_line_endings() {
    let (mut w, r) = duplex(3); // every line arrives in pieces
    let writer = async move {
        w.write_all(b"alpha\r\nbeta\n\ngamma").await.unwrap();
        w.close().await.unwrap();
    };
    let reader = FramedRead::new(r, LinesCodec::new()).try_collect::<Vec<String>>();
    let ((), lines) = futures::join!(writer, reader);
    assert_eq!(lines.unwrap(), ["alpha", "beta", "", "gamma"]);
}

#[corio::test(start_paused = true)]
async fn read_buffer_holds_only_the_bytes_not_yet_decoded() {
    // One read brings every line; the ones returned must leave `read_buffer`, and the
    // codec must start each line after the last one returned.
    let input: &[u8] = b"first\nsecond\r\nthird\nrest";
    let mut lines = FramedRead::new(input, LinesCodec::new());
    assert_eq!(lines.next().await.unwrap().unwrap(), "first");
    assert_eq!(lines.read_buffer(), b"second\r\nthird\nrest");
    assert_eq!(lines.next().await.unwrap().unwrap(), "second");
    assert_eq!(lines.read_buffer(), b"third\nrest");
    assert!(format!("{lines:?}").contains("buffered: 10"), "{lines:?}");
    assert_eq!(lines.next().await.unwrap().unwrap(), "third");
    assert_eq!(lines.next().await.unwrap().unwrap(), "rest");
    assert!(lines.next().await.is_none());
    assert_eq!(lines.read_buffer(), b"");
}

#[corio::test(start_paused = true)]
async fn an_over_long_or_non_utf8_line_ends_the_stream_with_an_error() {
    let input: &[u8] = b"ok\nthis line is too long\nnever read\n";
    let mut lines = FramedRead::new(input, LinesCodec::new_with_max_length(8));
    assert_eq!(lines.next().await.unwrap().unwrap(), "ok");
    let err = lines.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("limit of 8"), "{err}");
    assert!(lines.next().await.is_none(), "the stream ended");

    // The limit also holds for a line whose end has not arrived yet.
    let mut codec = LinesCodec::new_with_max_length(4);
    let mut buf = BytesMut::from(&b"abcdefgh"[..]);
    assert!(codec.decode(&mut buf).is_err());

    let input: &[u8] = b"\xff\xfe\n";
    let mut lines = FramedRead::new(input, LinesCodec::new());
    let err = lines.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("UTF-8"), "{err}");
    assert!(lines.next().await.is_none());
}

#[corio::test(start_paused = true)]
async fn lines_of_every_length_with_multibyte_text_arrive_whole() {
    // Lengths around the codec's 16-byte blocks and 64-byte short scan, ASCII and
    // multi-byte UTF-8 at the start, the middle and the end, CRLF and LF endings.
    let mut want = Vec::new();
    for len in [0usize, 1, 15, 16, 17, 31, 32, 63, 64, 65, 100, 300] {
        want.push("x".repeat(len));
        for at in [0, len / 2, len] {
            let mut line = "y".repeat(len);
            line.insert_str(at, "é€😀");
            want.push(line);
        }
    }
    let mut text = String::new();
    for (i, line) in want.iter().enumerate() {
        text.push_str(line);
        text.push_str(if i % 2 == 0 { "\n" } else { "\r\n" });
    }
    for piece in [1, 7, 64, 8192] {
        let (mut w, r) = duplex(piece);
        let bytes = text.clone().into_bytes();
        let writer = async move {
            w.write_all(&bytes).await.unwrap();
            w.close().await.unwrap();
        };
        let reader = FramedRead::new(r, LinesCodec::new()).try_collect::<Vec<String>>();
        let ((), got) = futures::join!(writer, reader);
        assert_eq!(got.unwrap(), want, "read in pieces of {piece}");
    }
}

#[corio::test(start_paused = true)]
async fn invalid_utf8_anywhere_in_a_line_is_an_error_that_ends_only_that_stream() {
    for (len, at) in [(3, 0), (40, 39), (64, 63), (100, 70), (300, 299)] {
        let mut bytes = b"fine\n".to_vec();
        let mut line = vec![b'a'; len];
        line[at] = 0xff;
        bytes.extend_from_slice(&line);
        bytes.extend_from_slice(b"\nnever read\n");
        let (mut w, r) = duplex(16);
        let writer = async move {
            let _ = w.write_all(&bytes).await; // the reader may stop first
        };
        let mut bad = FramedRead::new(r, LinesCodec::new());
        let mut good = FramedRead::new(&b"one\ntwo\n"[..], LinesCodec::new());
        let reader = async {
            assert_eq!(bad.next().await.unwrap().unwrap(), "fine");
            let err = bad.next().await.unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData);
            assert!(err.to_string().contains("UTF-8"), "{err}");
            assert!(bad.next().await.is_none(), "the stream ended");
            // Another stream with the same codec type is unaffected.
            assert_eq!(good.next().await.unwrap().unwrap(), "one");
            assert_eq!(good.next().await.unwrap().unwrap(), "two");
        };
        let ((), ()) = futures::join!(writer, reader);
    }
}

#[corio::test(start_paused = true)]
async fn lines_sink_writes_newline_terminated_lines() {
    let (w, mut r) = duplex(1024);
    let mut sink = FramedWrite::new(w, LinesCodec::new());
    sink.send("one").await.unwrap();
    sink.send(String::from("two")).await.unwrap();
    SinkExt::<&str>::close(&mut sink).await.unwrap();
    let mut got = String::new();
    r.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "one\ntwo\n");
}

#[corio::test(start_paused = true)]
async fn length_delimited_roundtrip_of_many_frames() {
    let (a, b) = duplex(1000);
    let mut a = Framed::new(a, LengthDelimitedCodec::new());
    let b = Framed::new(b, LengthDelimitedCodec::new());
    let frames: Vec<Vec<u8>> = (0..200).map(|i| data(i * 37, i as u8)).collect();
    let send = async {
        for f in &frames {
            a.feed(f).await.unwrap();
        }
        SinkExt::<&Vec<u8>>::close(&mut a).await.unwrap();
    };
    let recv = b.map(|f| f.unwrap().to_vec()).collect::<Vec<_>>();
    let ((), got) = futures::join!(send, recv);
    assert_eq!(got, frames);
}

#[corio::test(start_paused = true)]
async fn an_oversized_frame_errors_and_closes_only_its_own_stream() {
    let (mut bad_w, bad_r) = duplex(1024);
    let (good_w, good_r) = duplex(1024);
    let codec = LengthDelimitedCodec::with_max_frame_length(16);
    let mut bad = FramedRead::new(bad_r, codec.clone());
    let mut good_out = FramedWrite::new(good_w, codec.clone());
    let mut good = FramedRead::new(good_r, codec.clone());

    // Announce 1 GiB: refused from the header alone, nothing buffered for it.
    bad_w.write_all(&(1u32 << 30).to_be_bytes()).await.unwrap();
    let err = bad.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("limit of 16"), "{err}");
    assert!(bad.next().await.is_none(), "that stream ended");
    assert_eq!(bad.read_buffer().len(), 4, "only the header was read");
    let mut header = BytesMut::from(&(1u32 << 30).to_be_bytes()[..]);
    assert!(codec.clone().decode(&mut header).is_err());
    assert!(
        header.capacity() < 1 << 20,
        "no room reserved for the frame"
    );

    // The other stream is unaffected.
    good_out.send(b"fine".as_slice()).await.unwrap();
    assert_eq!(&good.next().await.unwrap().unwrap()[..], b"fine");

    // Encoding over the limit is refused too.
    let err = good_out.send(&[0u8; 17][..]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[corio::test(start_paused = true)]
async fn a_truncated_frame_at_end_of_stream_is_unexpected_eof() {
    let mut input = 10u32.to_be_bytes().to_vec();
    input.extend_from_slice(b"short");
    let mut frames = FramedRead::new(&input[..], LengthDelimitedCodec::new());
    let err = frames.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert!(frames.next().await.is_none());
}

/// asyncio's `readline()`/`readuntil()`/`async for line in reader` over a real TCP
/// socket, through `corio::prelude` alone (no `futures` trait imported here).
mod prelude_reader {
    use corio::prelude::*;

    #[corio::test]
    async fn read_line_read_until_and_lines_over_tcp() {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            // In pieces, so every call has to wait for more.
            for piece in [
                &b"GET /"[..],
                b" HTTP/1.1\r\nHost: x\r\n",
                b"\r\nbody;tail\nlast",
            ] {
                s.write_all(piece).await.unwrap();
                s.flush().await.unwrap();
                corio::yield_now().await;
            }
        });
        let stream = corio::net::TcpStream::connect(addr).await.unwrap();
        let mut reader = futures::io::BufReader::new(stream);
        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 16);
        assert_eq!(line, "GET / HTTP/1.1\r\n");
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "Host: x\r\n");
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "\r\n");
        let mut until = Vec::new();
        reader.read_until(b';', &mut until).await.unwrap();
        assert_eq!(until, b"body;");
        let rest: Vec<String> = reader.lines().map(Result::unwrap).collect().await;
        assert_eq!(rest, ["tail", "last"]);
        server.await.unwrap();
    }
}
