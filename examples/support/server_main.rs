//! The `main` of the example servers (`echo_server`, `hyper_server`): one optional
//! `ADDR` argument, then `corio::run` of the server, with the same exit codes for all.

use std::future::Future;
use std::io;
use std::process::ExitCode;

/// Parses `[ADDR]` (default `default_addr`) and runs `serve(addr)` on `corio::run`.
///
/// Exit status: 0 when `serve` returns `Ok`; 2 with `usage` for a bad argument or an
/// address that does not parse (`InvalidInput`); 1 for other errors (port taken, ...).
///
/// # Examples
///
/// ```no_run
/// use corio_examples::server_main::run_server;
///
/// fn main() -> std::process::ExitCode {
///     run_server("my_server", "usage: my_server [ADDR]", "127.0.0.1:8000", |addr| async move {
///         let listener = corio::net::TcpListener::bind(&addr).await?;
///         println!("listening on {}", listener.local_addr()?);
///         Ok(())
///     })
/// }
/// ```
pub fn run_server<F, Fut>(name: &str, usage: &str, default_addr: &str, serve: F) -> ExitCode
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = io::Result<()>>,
{
    let mut args = std::env::args().skip(1);
    let addr = match (args.next(), args.next()) {
        (None, _) => default_addr.to_owned(),
        (Some(addr), None) if !addr.starts_with('-') => addr,
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    match corio::run(serve(addr.clone())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            eprintln!("{name}: bad address {addr:?}: {e}\n{usage}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{name}: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}
