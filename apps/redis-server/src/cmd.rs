//! Commands: parsing a request's arguments into a [`Command`] (arity and option errors
//! become the error reply, the connection stays), and applying it to a [`Session`].
//!
//! Error texts follow Redis 7 so that clients and scripts that match on them behave the
//! same (`ERR wrong number of arguments for 'get' command`, ...).

use std::time::Duration;

use super::db::{parse_i64, Db, IncrError, SetCondition, Ttl};
use super::pubsub::Subscriptions;
use super::request::Limits;
use super::resp::{put_array_len, put_bulk, put_error, put_int, put_null, put_simple};

/// A parsed command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Ping(Option<Vec<u8>>),
    Echo(Vec<u8>),
    Get(Vec<u8>),
    Set {
        key: Vec<u8>,
        value: Vec<u8>,
        ttl: Option<Duration>,
        condition: SetCondition,
    },
    Del(Vec<Vec<u8>>),
    Exists(Vec<Vec<u8>>),
    Incr(Vec<u8>),
    Ttl {
        key: Vec<u8>,
        millis: bool,
    },
    DbSize,
    Publish {
        channel: Vec<u8>,
        message: Vec<u8>,
    },
    Subscribe(Vec<Vec<u8>>),
    Unsubscribe(Vec<Vec<u8>>),
    ConfigGet(Vec<Vec<u8>>),
    /// `COMMAND`, `COMMAND COUNT`, `COMMAND DOCS`/`INFO`: the tools' start-up probes.
    Introspect {
        count: bool,
    },
    ClientSetName(Vec<u8>),
    ClientGetName,
    ClientId,
    Select,
    Quit,
}

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// Send what is buffered, then close (`QUIT`).
    Close,
}

/// A connection's state that commands read and change.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) db: Db,
    pub(crate) subs: Subscriptions,
    pub(crate) id: u64,
    pub(crate) name: Option<Vec<u8>>,
    pub(crate) max_clients: u32,
    /// The request limits, for `CONFIG GET`.
    pub(crate) limits: Limits,
}

/// How many commands `COMMAND COUNT` reports (the variants above, by command name).
const COMMAND_COUNT: i64 = 18;

const NOT_AN_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";

fn arity(name: &str) -> String {
    format!("ERR wrong number of arguments for '{name}' command")
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An integer argument, by Redis's rule (the one `INCR` applies to values): no `+`,
/// blanks or leading zeros.
fn parse_int(b: &[u8]) -> Result<i64, String> {
    parse_i64(b).ok_or_else(|| NOT_AN_INTEGER.to_owned())
}

/// Checks a request's arguments (command name first, any case) the way the server does
/// before running a command, without running it: `Ok` for a command the server knows,
/// with the right number of arguments and valid options; otherwise the error reply the
/// client would get, without the leading `-`. (An empty request, which the server skips
/// without a reply, is an unknown command here.)
///
/// Integers (`SET ... EX n`, `SELECT n`) follow Redis: an optional `-`, then decimal
/// digits without leading zeros, in `i64` range; no `+`, no blanks.
///
/// # Errors
/// The error reply for an unknown command or subcommand, a wrong number of arguments, or
/// a bad option or integer.
///
/// # Examples
///
/// ```
/// use redis_server::check_command;
///
/// let words = |s: &str| s.split(' ').map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
/// assert_eq!(check_command(words("SET k v EX 10 NX")), Ok(()));
/// assert_eq!(
///     check_command(words("get")).unwrap_err(),
///     "ERR wrong number of arguments for 'get' command"
/// );
/// assert_eq!(
///     check_command(words("set k v px 007")).unwrap_err(),
///     "ERR value is not an integer or out of range"
/// );
/// ```
pub fn check_command(args: Vec<Vec<u8>>) -> Result<(), String> {
    Command::parse(args).map(drop)
}

impl Command {
    /// Parses a request's arguments (command name first, any case).
    ///
    /// # Errors
    /// The error reply (without the leading `-`) for an unknown command, a wrong number
    /// of arguments, or a bad option.
    pub(crate) fn parse(args: Vec<Vec<u8>>) -> Result<Command, String> {
        let mut args = args.into_iter();
        let name = args.next().unwrap_or_default().to_ascii_lowercase();
        let rest: Vec<Vec<u8>> = args.collect();
        let n = rest.len();
        let one = |rest: Vec<Vec<u8>>, cmd: &str| -> Result<Vec<u8>, String> {
            let mut it = rest.into_iter();
            match (it.next(), it.next()) {
                (Some(a), None) => Ok(a),
                _ => Err(arity(cmd)),
            }
        };
        Ok(match &name[..] {
            b"ping" if n <= 1 => Command::Ping(rest.into_iter().next()),
            b"echo" => Command::Echo(one(rest, "echo")?),
            b"get" => Command::Get(one(rest, "get")?),
            b"set" => parse_set(rest)?,
            b"del" if n >= 1 => Command::Del(rest),
            b"exists" if n >= 1 => Command::Exists(rest),
            b"incr" => Command::Incr(one(rest, "incr")?),
            b"ttl" => Command::Ttl {
                key: one(rest, "ttl")?,
                millis: false,
            },
            b"pttl" => Command::Ttl {
                key: one(rest, "pttl")?,
                millis: true,
            },
            b"dbsize" if n == 0 => Command::DbSize,
            b"publish" if n == 2 => {
                let mut it = rest.into_iter();
                let channel = it.next().expect("n == 2");
                let message = it.next().expect("n == 2");
                Command::Publish { channel, message }
            }
            b"subscribe" if n >= 1 => Command::Subscribe(rest),
            b"unsubscribe" => Command::Unsubscribe(rest),
            b"config" => parse_config(rest)?,
            b"command" => parse_command_info(rest)?,
            b"client" => parse_client(rest)?,
            b"select" => {
                let db = parse_int(&one(rest, "select")?)?;
                if db != 0 {
                    return Err("ERR DB index is out of range".to_owned());
                }
                Command::Select
            }
            b"quit" => Command::Quit,
            b"ping" | b"del" | b"exists" | b"dbsize" | b"publish" | b"subscribe" => {
                return Err(arity(&lossy(&name)))
            }
            _ => {
                let mut msg = format!(
                    "ERR unknown command '{}', with args beginning with: ",
                    lossy(&name)
                );
                for a in rest.iter().take(8) {
                    msg.push_str(&format!("'{}' ", lossy(a)));
                }
                return Err(msg);
            }
        })
    }

    /// Whether a connection in subscribe mode may run this command (RESP2 rules).
    pub(crate) fn allowed_in_subscribe_mode(&self) -> bool {
        matches!(
            self,
            Command::Ping(_) | Command::Subscribe(_) | Command::Unsubscribe(_) | Command::Quit
        )
    }
}

fn parse_set(rest: Vec<Vec<u8>>) -> Result<Command, String> {
    if rest.len() < 2 {
        return Err(arity("set"));
    }
    let mut it = rest.into_iter();
    let key = it.next().expect("len >= 2");
    let value = it.next().expect("len >= 2");
    let mut ttl = None;
    let mut condition = SetCondition::Always;
    while let Some(opt) = it.next() {
        match &opt.to_ascii_uppercase()[..] {
            b"NX" if condition == SetCondition::Always => condition = SetCondition::IfAbsent,
            b"XX" if condition == SetCondition::Always => condition = SetCondition::IfPresent,
            unit @ (b"EX" | b"PX") if ttl.is_none() => {
                let n = parse_int(&it.next().ok_or(SYNTAX)?)?;
                let per_unit = if unit == b"EX" { 1000 } else { 1 };
                let ms = n
                    .checked_mul(per_unit)
                    .filter(|ms| *ms > 0)
                    .ok_or("ERR invalid expire time in 'set' command")?;
                ttl = Some(Duration::from_millis(ms as u64));
            }
            _ => return Err(SYNTAX.to_owned()),
        }
    }
    Ok(Command::Set {
        key,
        value,
        ttl,
        condition,
    })
}

fn parse_config(rest: Vec<Vec<u8>>) -> Result<Command, String> {
    let mut it = rest.into_iter();
    let sub = it.next().ok_or_else(|| arity("config"))?;
    match &sub.to_ascii_lowercase()[..] {
        b"get" => {
            let patterns: Vec<_> = it.collect();
            if patterns.is_empty() {
                return Err(arity("config|get"));
            }
            Ok(Command::ConfigGet(patterns))
        }
        _ => Err(format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            lossy(&sub)
        )),
    }
}

fn parse_command_info(rest: Vec<Vec<u8>>) -> Result<Command, String> {
    let Some(sub) = rest.first() else {
        return Ok(Command::Introspect { count: false });
    };
    match &sub.to_ascii_lowercase()[..] {
        b"count" if rest.len() == 1 => Ok(Command::Introspect { count: true }),
        b"docs" | b"info" => Ok(Command::Introspect { count: false }),
        b"count" => Err(arity("command|count")),
        _ => Err(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            lossy(sub)
        )),
    }
}

fn parse_client(rest: Vec<Vec<u8>>) -> Result<Command, String> {
    let mut it = rest.into_iter();
    let sub = it.next().ok_or_else(|| arity("client"))?;
    let args: Vec<_> = it.collect();
    let sub_lower = sub.to_ascii_lowercase();
    match (&sub_lower[..], args.len()) {
        (b"setname", 1) => {
            let name = args.into_iter().next().expect("len == 1");
            if name.iter().any(|b| *b <= b' ' || *b > b'~') {
                return Err(
                    "ERR Client names cannot contain spaces, newlines or special characters."
                        .to_owned(),
                );
            }
            Ok(Command::ClientSetName(name))
        }
        (b"getname", 0) => Ok(Command::ClientGetName),
        (b"id", 0) => Ok(Command::ClientId),
        (b"setname" | b"getname" | b"id", _) => {
            Err(arity(&format!("client|{}", lossy(&sub_lower))))
        }
        _ => Err(format!(
            "ERR unknown subcommand '{}'. Try CLIENT HELP.",
            lossy(&sub)
        )),
    }
}

/// The configuration `CONFIG GET` reports: what `redis-benchmark` and `redis-cli` ask for.
fn config_table(max_clients: u32, limits: Limits) -> [(&'static str, String); 7] {
    [
        ("proto-max-bulk-len", limits.max_bulk_len.to_string()),
        (
            "client-query-buffer-limit",
            limits.max_query_buffer.to_string(),
        ),
        ("save", String::new()),
        ("appendonly", "no".to_owned()),
        ("databases", "1".to_owned()),
        ("maxclients", max_clients.to_string()),
        ("timeout", "0".to_owned()),
    ]
}

/// Glob matching for `CONFIG GET` patterns (`*` and `?`, case-insensitive).
///
/// Iterative, remembering only the last `*`: at most `pattern.len() * name.len()` steps
/// whatever the pattern (a recursive matcher is exponential in the number of stars, and
/// the pattern is the client's).
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: the pattern after it, and the name position it
    // is matched up to.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                n += 1;
            }
            Some(c) if c.eq_ignore_ascii_case(&name[n]) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more byte and retry.
                Some((after, matched)) => {
                    star = Some((after, matched + 1));
                    p = after;
                    n = matched + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// Writes one subscribe-mode confirmation: `[kind, channel, count]`.
fn put_sub_reply(out: &mut Vec<u8>, kind: &str, channel: Option<&[u8]>, count: usize) {
    put_array_len(out, 3);
    put_bulk(out, kind.as_bytes());
    match channel {
        Some(c) => put_bulk(out, c),
        None => put_null(out),
    }
    put_int(out, count as i64);
}

/// Applies `cmd` to `session`, appending the reply to `out`.
pub(crate) fn apply(cmd: Command, session: &mut Session, out: &mut Vec<u8>) -> Flow {
    let db = &session.db;
    match cmd {
        Command::Ping(msg) if !session.subs.is_empty() => {
            // In subscribe mode a PING answers in the push format.
            put_array_len(out, 2);
            put_bulk(out, b"pong");
            put_bulk(out, msg.as_deref().unwrap_or_default());
        }
        Command::Ping(None) => put_simple(out, "PONG"),
        Command::Ping(Some(msg)) | Command::Echo(msg) => put_bulk(out, &msg),
        Command::Get(key) => db.get_with(&key, |v| match v {
            Some(v) => put_bulk(out, v),
            None => put_null(out),
        }),
        Command::Set {
            key,
            value,
            ttl,
            condition,
        } => {
            if db.set(key, value, ttl, condition) {
                put_simple(out, "OK");
            } else {
                put_null(out);
            }
        }
        Command::Del(keys) => put_int(out, db.del(&keys) as i64),
        Command::Exists(keys) => put_int(out, db.exists(&keys) as i64),
        Command::Incr(key) => match db.incr(&key) {
            Ok(n) => put_int(out, n),
            Err(IncrError::NotAnInteger) => put_error(out, NOT_AN_INTEGER),
            Err(IncrError::Overflow) => put_error(out, "ERR increment or decrement would overflow"),
        },
        Command::Ttl { key, millis } => put_int(
            out,
            match db.ttl(&key) {
                Ttl::Missing => -2,
                Ttl::Persistent => -1,
                Ttl::Remaining(d) if millis => d.as_millis() as i64,
                // Rounded to the nearest second, as Redis does.
                Ttl::Remaining(d) => ((d.as_millis() + 500) / 1000) as i64,
            },
        ),
        Command::DbSize => put_int(out, db.len() as i64),
        Command::Publish { channel, message } => {
            put_int(out, db.publish(&channel, message.into()) as i64);
        }
        Command::Subscribe(channels) => {
            for channel in channels {
                session.subs.subscribe(&channel);
                put_sub_reply(out, "subscribe", Some(&channel), session.subs.len());
            }
        }
        Command::Unsubscribe(mut channels) => {
            if channels.is_empty() {
                channels = session.subs.channels();
                if channels.is_empty() {
                    put_sub_reply(out, "unsubscribe", None, 0);
                }
            }
            for channel in channels {
                session.subs.unsubscribe(&channel);
                put_sub_reply(out, "unsubscribe", Some(&channel), session.subs.len());
            }
        }
        Command::ConfigGet(patterns) => {
            let table = config_table(session.max_clients, session.limits);
            let hits: Vec<_> = table
                .iter()
                .filter(|(name, _)| patterns.iter().any(|p| glob(p, name.as_bytes())))
                .collect();
            put_array_len(out, hits.len() * 2);
            for (name, value) in hits {
                put_bulk(out, name.as_bytes());
                put_bulk(out, value.as_bytes());
            }
        }
        Command::Introspect { count: true } => put_int(out, COMMAND_COUNT),
        // No command table: clients fall back to their defaults.
        Command::Introspect { count: false } => put_array_len(out, 0),
        Command::ClientSetName(name) => {
            session.name = (!name.is_empty()).then_some(name);
            put_simple(out, "OK");
        }
        Command::ClientGetName => match &session.name {
            Some(name) => put_bulk(out, name),
            None => put_null(out),
        },
        Command::ClientId => put_int(out, session.id as i64),
        Command::Select => put_simple(out, "OK"),
        Command::Quit => {
            put_simple(out, "OK");
            return Flow::Close;
        }
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &str) -> Result<Command, String> {
        Command::parse(words.split(' ').map(|w| w.as_bytes().to_vec()).collect())
    }

    #[test]
    fn set_options() {
        assert_eq!(
            parse("set k v px 1500 nx"),
            Ok(Command::Set {
                key: b"k".to_vec(),
                value: b"v".to_vec(),
                ttl: Some(Duration::from_millis(1500)),
                condition: SetCondition::IfAbsent,
            })
        );
        assert_eq!(
            parse("set k v ex 0").unwrap_err(),
            "ERR invalid expire time in 'set' command"
        );
        assert_eq!(parse("set k v ex x").unwrap_err(), NOT_AN_INTEGER);
        // Redis's integers: no `+`, no leading zeros (found by the `redis_command` fuzz
        // target; `str::parse` took both).
        for bad in ["+5", "05", "-0", "0x5"] {
            assert_eq!(
                parse(&format!("set k v px {bad}")).unwrap_err(),
                NOT_AN_INTEGER,
                "{bad}"
            );
        }
        assert_eq!(parse("select +0").unwrap_err(), NOT_AN_INTEGER);
        assert_eq!(parse("select 00").unwrap_err(), NOT_AN_INTEGER);
        assert_eq!(parse("select 0"), Ok(Command::Select));
        assert_eq!(parse("set k v nx xx").unwrap_err(), SYNTAX);
        assert_eq!(parse("set k v ex 1 px 1").unwrap_err(), SYNTAX);
        assert_eq!(parse("set k v ex").unwrap_err(), SYNTAX);
        assert_eq!(parse("set k").unwrap_err(), arity("set"));
    }

    #[test]
    fn globs() {
        assert!(glob(b"*", b"save"));
        assert!(glob(b"SA?E", b"save"));
        assert!(glob(b"*max*", b"maxclients"));
        assert!(!glob(b"sav", b"save"));
        assert!(glob(b"", b""));
        assert!(!glob(b"", b"a"));
        assert!(glob(b"**", b""));
        assert!(glob(b"m*x*s", b"maxclients"));
        assert!(!glob(b"m*x*z", b"maxclients"));
        assert!(glob(b"*a*a", b"aaaa"));
        assert!(!glob(b"a*b?", b"ab"));
        assert!(glob(b"?*", b"a"));
        // Many stars: linear, not exponential, in the pattern.
        let mut stars = vec![b'*'; 50_000];
        stars.push(b'z');
        assert!(!glob(&stars, b"client-query-buffer-limit"));
    }

    #[test]
    fn command_count_matches_the_names() {
        let names = [
            "ping",
            "echo",
            "get",
            "set",
            "del",
            "exists",
            "incr",
            "ttl",
            "pttl",
            "dbsize",
            "publish",
            "subscribe",
            "unsubscribe",
            "config",
            "command",
            "client",
            "select",
            "quit",
        ];
        assert_eq!(names.len() as i64, COMMAND_COUNT);
        for name in names {
            assert!(
                !parse(name).is_err_and(|e| e.starts_with("ERR unknown command")),
                "{name}"
            );
        }
    }
}
