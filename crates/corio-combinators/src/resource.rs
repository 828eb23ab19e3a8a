//! Async resources: acquire / use / release where the async release always runs
//! (asyncio's `async with` and `@asynccontextmanager`).
//!
//! # Rules
//! 1. Once `acquire` has produced the resource, `release` is called exactly once, with
//!    the resource and the [`Exit`] that says how the body ended.
//! 2. On `Ok`, `Err` and `Panic` the release is awaited in place before the call returns
//!    (a body panic is re-raised after the release finished).
//! 3. If the whole operation is dropped (cancelled) during the body or during the
//!    release, the release is started (or continued from where it stood) as a task on
//!    the runtime through the spawn seam, and completes in the background.
//! 4. Cancelled while acquiring: there is no resource yet, so there is nothing to release.
//! 5. Cancelled outside any corio runtime (e.g. under `futures::executor::block_on`):
//!    there is nowhere to finish the release, so the release future is dropped unrun
//!    (the resource's own `Drop` still runs). Run on a corio runtime to get rule 3.

use std::fmt;
use std::future::Future;
use std::panic::{resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;

/// How the body of an async resource ended (what Python's `__aexit__` is told).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// The body returned (for [`try_with_resource`]: returned `Ok`).
    Ok,
    /// The body of [`try_with_resource`] returned `Err`.
    Err,
    /// The body panicked; the panic resumes after the release.
    Panic,
    /// The operation was dropped before the body finished; the release runs as a
    /// background task.
    Cancelled,
}

/// Acquires a resource, runs `body` with it, and always runs the async `release` —
/// after success, after a panic in the body, and when the whole operation is cancelled
/// (then in the background, on the runtime). Asyncio's `async with`.
///
/// `body` is an async closure borrowing the resource (`async |r| { ... }`); `release`
/// gets the resource back by value with the [`Exit`], and returns a `Send + 'static`
/// future (it may have to finish as a task of its own).
///
/// # Examples
///
/// A class-based asyncio context manager (`__aenter__` / `__aexit__`):
///
/// ```
/// use corio_combinators::{with_resource, Exit};
///
/// struct AsyncResource { log: Vec<&'static str> }
///
/// futures::executor::block_on(async {
///     let log = with_resource(
///         async { AsyncResource { log: vec!["Acquiring resource"] } }, // __aenter__
///         async |res: &mut AsyncResource| res.log.push("Using resource"), // the `async with` body
///         |res, exit| async move {                                      // __aexit__
///             assert_eq!(exit, Exit::Ok);
///             println!("Releasing resource after {:?}", res.log);
///         },
///     )
///     .await;
///     assert_eq!(log, ());
/// });
/// ```
///
/// A generator-based one (`@asynccontextmanager async def file_handler(filename)`): the
/// code before `yield` is `acquire`, the `finally` block is `release`:
///
/// ```
/// use corio_combinators::with_resource;
/// use std::sync::{Arc, Mutex};
///
/// futures::executor::block_on(async {
///     let events = Arc::new(Mutex::new(Vec::new()));
///     let (ev_open, ev_close) = (events.clone(), events.clone());
///     let len = with_resource(
///         async move {
///             ev_open.lock().unwrap().push("Opening data.txt".to_string());
///             String::from("Handle to data.txt")
///         },
///         async |handle| handle.len(),
///         move |handle, _exit| async move {
///             ev_close.lock().unwrap().push(format!("Closing {handle}"));
///         },
///     )
///     .await;
///     assert_eq!(len, 18);
///     assert_eq!(*events.lock().unwrap(), ["Opening data.txt", "Closing Handle to data.txt"]);
/// });
/// ```
///
/// # Panics
/// A panic in `body` is re-raised after the release has run.
///
/// # Cancel safety
/// Cancelling never skips the release (rule 3 of the module docs); outside a runtime see
/// rule 5.
pub async fn with_resource<R, T, A, B, Rel, RelFut>(acquire: A, body: B, release: Rel) -> T
where
    A: Future<Output = R>,
    B: AsyncFnOnce(&mut R) -> T,
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    run(acquire, body, release, |_| false).await
}

/// Like [`with_resource`] for a body that returns `Result`: the release is told
/// [`Exit::Err`] when the body returned `Err` (to roll back rather than commit, say);
/// the body's `Result` is returned as is.
///
/// # Examples
///
/// ```
/// use corio_combinators::{try_with_resource, Exit};
/// use std::sync::{Arc, Mutex};
///
/// futures::executor::block_on(async {
///     let seen = Arc::new(Mutex::new(None));
///     let s = seen.clone();
///     let result: Result<(), &str> = try_with_resource(
///         async { "transaction" },
///         async |_tx| Err("constraint violated"),
///         move |_tx, exit| async move { *s.lock().unwrap() = Some(exit) },
///     )
///     .await;
///     assert_eq!(result, Err("constraint violated"));
///     assert_eq!(*seen.lock().unwrap(), Some(Exit::Err)); // rolled back
/// });
/// ```
///
/// # Errors
/// Whatever `body` returns.
///
/// # Panics
/// A panic in `body` is re-raised after the release has run.
///
/// # Cancel safety
/// As for [`with_resource`].
pub async fn try_with_resource<R, T, E, A, B, Rel, RelFut>(
    acquire: A,
    body: B,
    release: Rel,
) -> Result<T, E>
where
    A: Future<Output = R>,
    B: AsyncFnOnce(&mut R) -> Result<T, E>,
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    run(acquire, body, release, Result::is_err).await
}

async fn run<R, T, A, B, Rel, RelFut>(
    acquire: A,
    body: B,
    release: Rel,
    is_err: fn(&T) -> bool,
) -> T
where
    A: Future<Output = R>,
    B: AsyncFnOnce(&mut R) -> T,
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    let resource = acquire.await;
    let mut guard = ReleaseGuard {
        resource: Some(resource),
        release: Some(release),
        in_flight: None,
    };
    let outcome = {
        let resource = guard.resource.as_mut().expect("stored just above");
        AssertUnwindSafe(body(resource)).catch_unwind().await
    };
    guard.start(match &outcome {
        Ok(v) if is_err(v) => Exit::Err,
        Ok(_) => Exit::Ok,
        Err(_) => Exit::Panic,
    });
    (&mut guard).await;
    match outcome {
        Ok(v) => v,
        Err(panic) => resume_unwind(panic),
    }
}

/// Owns the resource until the release starts, then the release future until it ends;
/// whatever is left when it is dropped is finished in the background (rule 3).
struct ReleaseGuard<R, Rel, RelFut>
where
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    resource: Option<R>,
    release: Option<Rel>,
    in_flight: Option<Pin<Box<RelFut>>>,
}

impl<R, Rel, RelFut> ReleaseGuard<R, Rel, RelFut>
where
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    fn start(&mut self, exit: Exit) {
        if let (Some(resource), Some(release)) = (self.resource.take(), self.release.take()) {
            self.in_flight = Some(Box::pin(release(resource, exit)));
        }
    }
}

// No field is structurally pinned: the release future is boxed, the rest is only moved
// out by value.
impl<R, Rel, RelFut> Unpin for ReleaseGuard<R, Rel, RelFut>
where
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
}

impl<R, Rel, RelFut> Future for ReleaseGuard<R, Rel, RelFut>
where
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(f) = this.in_flight.as_mut() {
            futures::ready!(f.as_mut().poll(cx));
            this.in_flight = None;
        }
        Poll::Ready(())
    }
}

impl<R, Rel, RelFut> Drop for ReleaseGuard<R, Rel, RelFut>
where
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    fn drop(&mut self) {
        // Rule 3: cancelled during the body — start the release now.
        self.start(Exit::Cancelled);
        if let Some(rest) = self.in_flight.take() {
            // Rule 3 / rule 5: finish in the background, or drop when there is no runtime.
            let _detached = corio_core::task::try_spawn(rest);
        }
    }
}

impl<R, Rel, RelFut> fmt::Debug for ReleaseGuard<R, Rel, RelFut>
where
    Rel: FnOnce(R, Exit) -> RelFut,
    RelFut: Future<Output = ()> + Send + 'static,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleaseGuard")
            .field("held", &self.resource.is_some())
            .field("releasing", &self.in_flight.is_some())
            .finish()
    }
}
