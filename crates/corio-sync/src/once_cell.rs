//! [`OnceCell`] (tokio's: a value initialised once, by an async function) and
//! [`SetOnce`] (a value set once, that tasks can wait for).
//!
//! # Rules
//! 1. The value lives in a `std::sync::OnceLock`: written once, then only read, so a
//!    `get` is one atomic load.
//! 2. `OnceCell::get_or_init` runs at most one initialiser at a time: the caller holds
//!    the cell's one-permit [`Semaphore`] while its initialiser runs, and looks at the
//!    value again once it holds the permit. An initialiser that is cancelled (its
//!    future dropped) or fails gives the permit back, and the next waiter (FIFO) runs
//!    its own: the cell is never left half-initialised.
//! 3. `SetOnce::wait` enables its `Notified` before it looks at the value, and `set`
//!    notifies every waiter after it stored the value, so a waiter never misses it.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use crate::notify::Notify;
use crate::semaphore::Semaphore;

/// A value initialised at most once, by the first caller of
/// [`get_or_init`](Self::get_or_init) whose initialiser completes (tokio's
/// `OnceCell`; asyncio code uses a module-level lock and a `None` check for this).
///
/// # Examples
///
/// ```
/// use corio_sync::OnceCell;
///
/// futures::executor::block_on(async {
///     let config: OnceCell<String> = OnceCell::new();
///     let v = config.get_or_init(|| async { "loaded".to_string() }).await;
///     assert_eq!(v, "loaded");
///     // Later callers get the stored value; their initialiser never runs.
///     let v = config.get_or_init(|| async { unreachable!() }).await;
///     assert_eq!(v, "loaded");
/// });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    init: Semaphore,
}

impl<T> OnceCell<T> {
    /// An empty cell.
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::new(1),
        }
    }

    /// A cell holding `value` already.
    pub fn new_with(value: Option<T>) -> Self {
        let cell = Self::new();
        if let Some(v) = value {
            let _ = cell.value.set(v);
        }
        cell
    }

    /// The value, if initialised.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value through a unique borrow, if initialised.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Whether the cell holds a value.
    pub fn initialized(&self) -> bool {
        self.get().is_some()
    }

    /// Sets the value if the cell is empty and no initialiser is running.
    ///
    /// # Errors
    /// [`SetError::AlreadyInitialized`] or [`SetError::InitializingError`], with the
    /// value.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitialized(value));
        }
        let Ok(_permit) = self.init.try_acquire() else {
            return Err(SetError::InitializingError(value));
        };
        match self.value.set(value) {
            Ok(()) => Ok(()),
            Err(value) => Err(SetError::AlreadyInitialized(value)),
        }
    }

    /// The value, running `f` to initialise it if the cell is empty (rule 2).
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped call that was running its initialiser lets the next
    /// caller run its own; the cell stays empty until one completes.
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// [`get_or_init`](Self::get_or_init) with a fallible initialiser: an `Err` leaves
    /// the cell empty and is returned; the next caller tries its own.
    ///
    /// # Errors
    /// The initialiser's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::OnceCell;
    ///
    /// futures::executor::block_on(async {
    ///     let cell = OnceCell::new();
    ///     assert_eq!(cell.get_or_try_init(|| async { Err("down") }).await, Err("down"));
    ///     assert!(!cell.initialized());
    ///     assert_eq!(cell.get_or_try_init(|| async { Ok::<_, &str>(3) }).await, Ok(&3));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        let _permit = self
            .init
            .acquire()
            .await
            .expect("a OnceCell's semaphore is never closed");
        if let Some(v) = self.get() {
            return Ok(v); // another caller initialised it while we waited
        }
        let value = f().await?;
        Ok(self.value.get_or_init(|| value))
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

/// Why [`OnceCell::set`] did not store the value (which it hands back).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitialized(T),
    /// An initialiser is running.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// The value that was not stored.
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitialized(v) | SetError::InitializingError(v) => v,
        }
    }
}

impl<T> fmt::Debug for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitialized(_) => f.write_str("AlreadyInitialized(..)"),
            SetError::InitializingError(_) => f.write_str("InitializingError(..)"),
        }
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitialized(_) => f.write_str("the cell is already initialized"),
            SetError::InitializingError(_) => f.write_str("the cell is being initialized"),
        }
    }
}

impl<T> std::error::Error for SetError<T> {}

/// A value set once that tasks can wait for (tokio's `SetOnce`): like a one-shot
/// [`Event`](crate::Event) that carries a value, readable by any number of tasks.
///
/// # Examples
///
/// ```
/// use corio_sync::SetOnce;
///
/// futures::executor::block_on(async {
///     let ready = SetOnce::new();
///     let waiter = ready.wait(); // created before the value is there
///     ready.set(42).unwrap();
///     assert_eq!(*waiter.await, 42);
///     assert_eq!(ready.set(7).unwrap_err().0, 7); // only once: the value comes back
/// });
/// ```
pub struct SetOnce<T> {
    value: OnceLock<T>,
    set: Notify,
}

impl<T> SetOnce<T> {
    /// An empty cell.
    pub fn new() -> Self {
        SetOnce {
            value: OnceLock::new(),
            set: Notify::new(),
        }
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Whether the value is set.
    pub fn initialized(&self) -> bool {
        self.get().is_some()
    }

    /// Sets the value and wakes every waiter (rule 3).
    ///
    /// # Errors
    /// [`SetOnceError`] with the value if it was already set.
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        self.value.set(value).map_err(SetOnceError)?;
        self.set.notify_waiters();
        Ok(())
    }

    /// Waits until the value is set and returns it.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn wait(&self) -> &T {
        loop {
            let mut notified = std::pin::pin!(self.set.notified());
            notified.as_mut().enable(); // rule 3: register, then look
            if let Some(v) = self.get() {
                return v;
            }
            notified.await;
        }
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce")
            .field("value", &self.get())
            .finish()
    }
}

/// [`SetOnce::set`] found the value already set; the new value is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Debug for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnceError(..)")
    }
}

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value is already set")
    }
}

impl<T> std::error::Error for SetOnceError<T> {}
