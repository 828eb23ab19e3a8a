//! Context variables as asyncio has them ([`ContextVar`]): a value set in a task is seen
//! by that task and by the tasks it spawns *afterwards*, each of which starts with a copy
//! of its parent's context (asyncio's `create_task` copies `contextvars`).
//!
//! # Implementation
//! A context is an immutable, shared map (`Option<Arc<VarMap>>`, `None` when empty);
//! `set` builds a new map (copy on write), so a copy is one reference-count increment
//! and a child's `set` never shows in its parent. Where the current context lives:
//!
//! 1. In a task: the task header's context slot, read and replaced only by the thread
//!    that polls the task (it holds `RUNNING`; see `current` rule 2).
//! 2. Outside a task (the `block_on` / `corio::run` future, a plain thread): a
//!    thread-local root slot. `block_on` runs its future on a copy of the caller's root
//!    context and restores the caller's on return, so nothing set inside leaks out.
//! 3. At spawn the spawner's current context is copied into the new task's header (an
//!    `Arc` clone, or nothing when the context is empty: a spawn that carries no
//!    context costs one thread-local read).
//! 4. A task's context is dropped when the task completes.
//! 5. Slot accesses never run user code while the slot is borrowed: values are cloned
//!    (`Arc`s) in, and replaced maps are dropped after the access.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;

use corio_core::TaskId;

use super::current;

type Value = Arc<dyn Any + Send + Sync>;

/// The variables of one context, keyed by [`ContextVar`] id. Few per program, so a
/// vector scan beats a map.
pub(crate) struct VarMap {
    entries: Vec<(u64, Value)>,
}

/// A context: `None` when no variable is set.
pub(crate) type Vars = Option<Arc<VarMap>>;

thread_local! {
    static ROOT: RefCell<Vars> = const { RefCell::new(None) };
}

/// Runs `f` on the current context slot (rules 1, 2). `f` must not run user code (rule 5).
fn with_slot<R>(f: impl FnOnce(&mut Vars) -> R) -> R {
    current::with_header(|h| match h {
        // SAFETY: `current` rule 2: this thread holds the task's `RUNNING` bit, so it has
        // exclusive access to the slot; `f` does not re-enter (rule 5).
        Some(h) => f(unsafe { &mut *h.context.get() }),
        None => ROOT.with(|r| f(&mut r.borrow_mut())),
    })
}

/// The current context, copied for a task being spawned (rule 3).
#[inline]
pub(crate) fn capture() -> Vars {
    current::with_header(|h| match h {
        // SAFETY: as in `with_slot`; only an `Arc` clone happens.
        Some(h) => unsafe { (*h.context.get()).clone() },
        None => ROOT.try_with(|r| r.borrow().clone()).ok().flatten(),
    })
}

/// Restores the caller's root context when a `block_on` returns (rule 2).
pub(crate) struct RootScope(Option<Vars>);

/// Gives a `block_on` future a copy of the caller's root context.
pub(crate) fn enter_root() -> RootScope {
    RootScope(ROOT.try_with(|r| r.borrow().clone()).ok())
}

impl Drop for RootScope {
    fn drop(&mut self) {
        if let Some(prev) = self.0.take() {
            let inner = ROOT.try_with(|r| std::mem::replace(&mut *r.borrow_mut(), prev));
            drop(inner); // rule 5: values dropped outside the borrow
        }
    }
}

/// A context variable (asyncio's `contextvars.ContextVar`): each task sees its own
/// value, inherited from its parent at spawn time.
///
/// [`set`](Self::set) changes the value in the current context only (the current task,
/// or the `block_on` future) and returns a [`Token`] that [`reset`](Self::reset) uses to
/// put the previous value back. A task spawned afterwards — with `spawn`,
/// `spawn_local`, `spawn_blocking`/`to_thread`, into a `JoinSet` or a `TaskGroup`, or by
/// `gather` — starts with a copy of the spawner's context: it sees the values set so
/// far, and its own `set`s are not seen by its parent or siblings.
///
/// Unlike tokio's `task_local!` (also provided: [`task_local!`](crate::task_local)), a
/// value does not have to be put in scope around a future, and it propagates to child
/// tasks.
///
/// Values are cloned out by [`get`](Self::get); put large values in an `Arc`.
///
/// # Examples
///
/// ```
/// use corio_executor::task::ContextVar;
/// use corio_executor::Executor;
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     assert!(REQUEST_ID.try_get().is_err(), "never set, no default");
///     let token = REQUEST_ID.set(7);
///     let child = corio_executor::spawn(async {
///         let inherited = REQUEST_ID.get();
///         REQUEST_ID.set(8); // the child's own copy
///         (inherited, REQUEST_ID.get())
///     });
///     assert_eq!(child.await.unwrap(), (7, 8));
///     assert_eq!(REQUEST_ID.get(), 7, "the child's set does not reach the parent");
///     REQUEST_ID.reset(token).unwrap();
///     assert!(REQUEST_ID.try_get().is_err());
/// });
/// ```
pub struct ContextVar<T> {
    name: &'static str,
    default: Option<T>,
    /// Process-unique id, assigned on first use (0: not yet).
    key: AtomicU64,
}

impl<T> ContextVar<T>
where
    T: Clone + Send + Sync + 'static,
{
    /// A variable with no default: reading it before it is set is a [`LookupError`].
    pub const fn new(name: &'static str) -> Self {
        ContextVar {
            name,
            default: None,
            key: AtomicU64::new(0),
        }
    }

    /// A variable whose value is `default` until it is set.
    pub const fn with_default(name: &'static str, default: T) -> Self {
        ContextVar {
            name,
            default: Some(default),
            key: AtomicU64::new(0),
        }
    }

    /// The variable's name (for messages).
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn key(&self) -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let k = self.key.load(Ordering::Acquire);
        if k != 0 {
            return k;
        }
        let fresh = NEXT.fetch_add(1, Ordering::Relaxed);
        match self
            .key
            .compare_exchange(0, fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => fresh,
            Err(won) => won,
        }
    }

    fn lookup(&self) -> Option<Value> {
        let key = self.key();
        with_slot(|slot| {
            let map = slot.as_ref()?;
            map.entries
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        })
    }

    /// The value in the current context, or the default.
    ///
    /// # Errors
    /// [`LookupError`] when the variable was never set in this context (or its
    /// ancestors at spawn time) and has no default (asyncio's `LookupError`).
    pub fn try_get(&self) -> Result<T, LookupError> {
        match self.lookup() {
            Some(v) => Ok(downcast::<T>(&v).clone()),
            None => self.default.clone().ok_or(LookupError { name: self.name }),
        }
    }

    /// The value in the current context, or the default.
    ///
    /// # Panics
    /// When there is neither (see [`try_get`](Self::try_get)); the message names the
    /// variable.
    #[track_caller]
    pub fn get(&self) -> T {
        self.try_get().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The value in the current context, or the default, or `fallback`
    /// (asyncio's `var.get(default)`).
    pub fn get_or(&self, fallback: T) -> T {
        self.try_get().unwrap_or(fallback)
    }

    /// Runs `f` on a reference to the current value (or the default; `None` when there
    /// is neither), without cloning it.
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        match self.lookup() {
            Some(v) => f(Some(downcast::<T>(&v))),
            None => f(self.default.as_ref()),
        }
    }

    /// Sets the value in the current context; the returned [`Token`] puts the previous
    /// value back with [`reset`](Self::reset).
    pub fn set(&self, value: T) -> Token<T> {
        let key = self.key();
        let value: Value = Arc::new(value);
        let (old, replaced) = with_slot(|slot| {
            let replaced = slot.take();
            let mut entries = replaced
                .as_ref()
                .map(|m| m.entries.clone())
                .unwrap_or_default();
            let old = match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => Some(std::mem::replace(&mut entry.1, value)),
                None => {
                    entries.push((key, value));
                    None
                }
            };
            *slot = Some(Arc::new(VarMap { entries }));
            (old, replaced)
        });
        drop(replaced); // rule 5
        Token {
            key,
            var: self.name,
            old,
            owner: Owner::current(),
            _value: PhantomData,
        }
    }

    /// Puts back the value this variable had before the `set` that returned `token`
    /// (asyncio's `var.reset(token)`); a variable that was unset becomes unset again.
    ///
    /// # Errors
    /// [`ResetError::WrongVariable`] when `token` came from another variable, and
    /// [`ResetError::WrongContext`] when it was created in another task (or outside a
    /// task on another thread). The value is unchanged then.
    pub fn reset(&self, token: Token<T>) -> Result<(), ResetError> {
        let key = self.key();
        if token.key != key {
            return Err(ResetError::WrongVariable {
                token: token.var,
                variable: self.name,
            });
        }
        if token.owner != Owner::current() {
            return Err(ResetError::WrongContext {
                variable: self.name,
            });
        }
        let replaced = with_slot(|slot| {
            let replaced = slot.take();
            let mut entries = replaced
                .as_ref()
                .map(|m| m.entries.clone())
                .unwrap_or_default();
            entries.retain(|(k, _)| *k != key);
            if let Some(old) = token.old {
                entries.push((key, old));
            }
            *slot = if entries.is_empty() {
                None
            } else {
                Some(Arc::new(VarMap { entries }))
            };
            replaced
        });
        drop(replaced); // rule 5
        Ok(())
    }
}

fn downcast<T: 'static>(v: &Value) -> &T {
    v.downcast_ref::<T>()
        .expect("a context variable's slot holds its own type (keys are unique)")
}

impl<T> fmt::Debug for ContextVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextVar")
            .field("name", &self.name)
            .field("has_default", &self.default.is_some())
            .finish()
    }
}

/// Where a [`Token`] was created: a task, or the root context of a thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owner {
    Task(TaskId),
    Thread(ThreadId),
}

impl Owner {
    fn current() -> Owner {
        match current::try_id() {
            Some(id) => Owner::Task(id),
            None => Owner::Thread(std::thread::current().id()),
        }
    }
}

/// Returned by [`ContextVar::set`]; give it to [`ContextVar::reset`] to undo the set.
#[must_use = "a Token is how `reset` undoes this `set`; drop it explicitly to keep the value"]
pub struct Token<T> {
    key: u64,
    var: &'static str,
    old: Option<Value>,
    owner: Owner,
    _value: PhantomData<fn() -> T>,
}

impl<T> Token<T> {
    /// Whether the variable had a value before the `set` (asyncio's
    /// `token.old_value is not Token.MISSING`).
    pub fn had_value(&self) -> bool {
        self.old.is_some()
    }
}

impl<T: 'static> Token<T> {
    /// The value the variable had before the `set`, if any (asyncio's `old_value`).
    pub fn old_value(&self) -> Option<&T> {
        self.old.as_ref().map(downcast::<T>)
    }
}

impl<T> fmt::Debug for Token<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("var", &self.var)
            .field("had_value", &self.old.is_some())
            .finish()
    }
}

/// [`ContextVar::try_get`]: the variable has no value and no default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    name: &'static str,
}

impl LookupError {
    /// The variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "context variable `{}` was never set in this context and has no default \
             (set it before reading, use `ContextVar::with_default`, or `get_or`)",
            self.name
        )
    }
}

impl std::error::Error for LookupError {}

/// [`ContextVar::reset`] refused a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetError {
    /// The token was created by another variable's `set`.
    WrongVariable {
        /// The variable that created the token.
        token: &'static str,
        /// The variable `reset` was called on.
        variable: &'static str,
    },
    /// The token was created in another context (another task, or another thread's
    /// root context), asyncio's "Token was created in a different Context".
    WrongContext {
        /// The variable.
        variable: &'static str,
    },
}

impl fmt::Display for ResetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetError::WrongVariable { token, variable } => write!(
                f,
                "token was created by context variable `{token}`, not `{variable}`"
            ),
            ResetError::WrongContext { variable } => write!(
                f,
                "token of context variable `{variable}` was created in a different context \
                 (another task or thread)"
            ),
        }
    }
}

impl std::error::Error for ResetError {}
