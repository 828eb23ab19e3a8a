//! Errors shared by every corio crate. Each is a plain type with `Display` (lowercase
//! messages) and `std::error::Error`.

use std::any::Any;
use std::fmt;

use crate::task::TaskId;

/// A task did not produce its output: it was cancelled (aborted, or its runtime shut
/// down) or it panicked.
///
/// # Examples
///
/// ```
/// use corio_core::{JoinError, task::TaskId};
///
/// let err = JoinError::cancelled(TaskId::next());
/// assert!(err.is_cancelled());
/// assert!(!err.is_panic());
/// assert!(err.to_string().ends_with("was cancelled"));
/// ```
pub struct JoinError {
    id: TaskId,
    repr: Repr,
}

enum Repr {
    /// With the message given to a cooperative cancel (`JoinHandle::cancel_with`), if any.
    Cancelled(Option<std::sync::Arc<str>>),
    // A Mutex makes the `Send`-only payload `Sync`, so `JoinError: Error + Send + Sync`.
    Panic(crate::lock::Mutex<Box<dyn Any + Send + 'static>>),
}

impl JoinError {
    /// The error of a task that was cancelled before it finished.
    pub fn cancelled(id: TaskId) -> Self {
        JoinError {
            id,
            repr: Repr::Cancelled(None),
        }
    }

    /// The error of a task cancelled with a message (asyncio's `Task.cancel(msg)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_core::{JoinError, task::TaskId};
    ///
    /// let err = JoinError::cancelled_with_message(TaskId::next(), "shutting down".into());
    /// assert!(err.is_cancelled());
    /// assert_eq!(err.cancel_message(), Some("shutting down"));
    /// assert!(err.to_string().ends_with("was cancelled: shutting down"));
    /// ```
    pub fn cancelled_with_message(id: TaskId, message: std::sync::Arc<str>) -> Self {
        JoinError {
            id,
            repr: Repr::Cancelled(Some(message)),
        }
    }

    /// The message the task was cancelled with, if any (asyncio's
    /// `CancelledError.args[0]`).
    pub fn cancel_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Cancelled(m) => m.as_deref(),
            Repr::Panic(_) => None,
        }
    }

    /// The error of a task whose future panicked with `payload`.
    pub fn panic(id: TaskId, payload: Box<dyn Any + Send + 'static>) -> Self {
        JoinError {
            id,
            repr: Repr::Panic(crate::lock::Mutex::new(payload)),
        }
    }

    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled(_))
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The id of the task that failed.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicked (check [`is_panic`](Self::is_panic)
    /// or use [`try_into_panic`](Self::try_into_panic)).
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task's error")
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.into_inner()),
            Repr::Cancelled(_) => Err(self),
        }
    }

    /// The panic message, when the payload is a string.
    pub fn panic_message(&self) -> Option<String> {
        match &self.repr {
            Repr::Panic(p) => panic_message(&**p.lock()),
            Repr::Cancelled(_) => None,
        }
    }
}

/// The message of a panic payload, when it is a `&str` or a `String`.
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some((*s).to_string())
    } else {
        payload.downcast_ref::<String>().cloned()
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled(None) => write!(f, "task {} was cancelled", self.id),
            Repr::Cancelled(Some(m)) => write!(f, "task {} was cancelled: {m}", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "task {} panicked with message {msg:?}", self.id),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled(None) => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Cancelled(Some(m)) => write!(f, "JoinError::Cancelled({}, {m:?})", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "JoinError::Panic({}, {msg:?})", self.id),
                None => write!(f, "JoinError::Panic({}, ..)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> Self {
        std::io::Error::other(e)
    }
}

/// A deadline passed before the operation finished (asyncio's `TimeoutError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Elapsed(());

impl Elapsed {
    /// Creates the error.
    pub fn new() -> Self {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// A runtime-bound function was called where no corio runtime is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRuntime {
    function: &'static str,
}

impl NoRuntime {
    /// The error for `function` (its path as users write it, e.g. `"corio::spawn"`).
    pub fn new(function: &'static str) -> Self {
        NoRuntime { function }
    }

    /// The function that needed a runtime.
    pub fn function(&self) -> &'static str {
        self.function
    }
}

impl fmt::Display for NoRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` was called outside of a corio runtime; call it from inside \
             `corio::run(...)`, `Runtime::block_on`, or a task spawned on a runtime",
            self.function
        )
    }
}

impl std::error::Error for NoRuntime {}

/// Why a task could not be spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// There is no runtime on this thread.
    NoRuntime(NoRuntime),
    /// The runtime has shut down.
    Shutdown,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoRuntime(e) => e.fmt(f),
            SpawnError::Shutdown => f.write_str("the runtime has shut down"),
        }
    }
}

impl std::error::Error for SpawnError {}

impl From<NoRuntime> for SpawnError {
    fn from(e: NoRuntime) -> Self {
        SpawnError::NoRuntime(e)
    }
}

/// The other side of a channel, queue or resource is gone (or it was closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Closed(());

impl Closed {
    /// Creates the error.
    pub fn new() -> Self {
        Closed(())
    }
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("closed")
    }
}

impl std::error::Error for Closed {}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_are_send_sync() {
        assert_send_sync::<JoinError>();
        assert_send_sync::<Elapsed>();
        assert_send_sync::<SpawnError>();
    }

    #[test]
    fn panic_error_keeps_payload_and_message() {
        let id = TaskId::next();
        let e = JoinError::panic(id, Box::new("boom"));
        assert!(e.is_panic());
        assert_eq!(e.panic_message().as_deref(), Some("boom"));
        assert!(e.to_string().contains("panicked with message \"boom\""));
        let p = e.into_panic();
        assert_eq!(*p.downcast::<&str>().unwrap(), "boom");
    }

    #[test]
    fn cancelled_error_is_not_a_panic() {
        let e = JoinError::cancelled(TaskId::next());
        let e = e.try_into_panic().unwrap_err();
        assert!(e.is_cancelled());
    }

    #[test]
    fn no_runtime_names_the_function() {
        let e = NoRuntime::new("corio::spawn");
        assert!(e
            .to_string()
            .starts_with("`corio::spawn` was called outside"));
    }
}
