//! The Redis server's command parsing (`apps/redis-server/src/cmd.rs`, through the public
//! `check_command`), on the requests its public request parser takes out of the input.
//! For every request: nothing panics; an error is an `ERR ...` reply; the ASCII case of
//! the request never changes the verdict (only the case of the text an error echoes);
//! the simple commands' arity matches a table; and every argument, used as the integer
//! of `SET ... EX`, `SET ... PX` and `SELECT`, is accepted or refused as a reference
//! model of Redis's `string2ll` says.
//!
//! Layout: the whole input is a request stream (multibulk or inline), parsed with small
//! limits until it ends or breaks the protocol.

#![no_main]

use libfuzzer_sys::fuzz_target;
use redis_server::check_command;
use redis_server::request::{Limits, RequestParser};

const NOT_AN_INTEGER: &str = "ERR value is not an integer or out of range";
const BAD_EXPIRE: &str = "ERR invalid expire time in 'set' command";
const BAD_DB: &str = "ERR DB index is out of range";

/// Redis's `string2ll` (`src/util.c`): at most 20 characters, `0`, or an optional `-`
/// then a non-zero digit and more digits, in `i64` range. Written byte by byte, apart
/// from the server's own parser.
fn redis_integer(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (negative, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut value: i128 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i128::from(d - b'0');
    }
    i64::try_from(if negative { -value } else { value }).ok()
}

/// The verdict the simple commands must give for `n` arguments after the name; `None`
/// for the others (options, subcommands, unknown names).
fn arity_ok(name: &[u8], n: usize) -> Option<bool> {
    Some(match name {
        b"get" | b"echo" | b"incr" | b"ttl" | b"pttl" => n == 1,
        b"ping" => n <= 1,
        b"dbsize" => n == 0,
        b"publish" => n == 2,
        b"del" | b"exists" | b"subscribe" => n >= 1,
        b"unsubscribe" | b"quit" => true,
        _ => return None,
    })
}

fn words(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn check(args: Vec<Vec<u8>>) {
    let verdict = check_command(args.clone());
    if let Err(msg) = &verdict {
        assert!(msg.starts_with("ERR "), "{msg:?}");
    }

    // Case: names, subcommands and options are case-insensitive, and no check depends
    // on a letter's case.
    let flipped: Vec<Vec<u8>> = args
        .iter()
        .map(|a| {
            a.iter()
                .map(|&b| match b {
                    b'a'..=b'z' => b.to_ascii_uppercase(),
                    b'A'..=b'Z' => b.to_ascii_lowercase(),
                    _ => b,
                })
                .collect()
        })
        .collect();
    match (&verdict, check_command(flipped)) {
        (Ok(()), Ok(())) => {}
        (Err(a), Err(b)) => assert_eq!(a.to_ascii_lowercase(), b.to_ascii_lowercase()),
        (a, b) => panic!("{args:?}: {a:?}, case-flipped {b:?}"),
    }

    // Arity of the simple commands.
    if let Some((name, rest)) = args.split_first() {
        if let Some(ok) = arity_ok(&name.to_ascii_lowercase(), rest.len()) {
            assert_eq!(verdict.is_ok(), ok, "{args:?}: {verdict:?}");
        }
    }

    // Integers: each argument (the first few) as the number of an option.
    for arg in args.iter().take(4) {
        let n = redis_integer(arg);
        let ex = check_command(words(&[b"SET", b"k", b"v", b"EX", arg]));
        let expected = match n {
            None => Err(NOT_AN_INTEGER),
            Some(n) if n > 0 && n.checked_mul(1000).is_some() => Ok(()),
            Some(_) => Err(BAD_EXPIRE),
        };
        assert_eq!(ex, expected.map_err(str::to_owned), "EX {arg:?}");
        let px = check_command(words(&[b"set", b"k", b"v", b"px", arg, b"nx"]));
        let expected = match n {
            None => Err(NOT_AN_INTEGER),
            Some(n) if n > 0 => Ok(()),
            Some(_) => Err(BAD_EXPIRE),
        };
        assert_eq!(px, expected.map_err(str::to_owned), "PX {arg:?}");
        let select = check_command(words(&[b"select", arg]));
        let expected = match n {
            None => Err(NOT_AN_INTEGER),
            Some(0) => Ok(()),
            Some(_) => Err(BAD_DB),
        };
        assert_eq!(select, expected.map_err(str::to_owned), "SELECT {arg:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    // Small limits: a `$N` header reserves N bytes up front.
    let mut parser = RequestParser::new(Limits {
        max_args: 256,
        max_bulk_len: 4096,
        max_query_buffer: 1 << 16,
    });
    let mut input = data;
    while let Ok((used, Some(args))) = parser.parse(input) {
        input = &input[used..];
        check(args);
    }
});
