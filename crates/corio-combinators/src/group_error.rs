//! [`TaskGroupError`]: every failure of a [`TaskGroup`](crate::TaskGroup) or
//! [`scope`](crate::scope), together (asyncio's `ExceptionGroup`).

use std::fmt;

use corio_core::JoinError;

/// How one child of a task group or scope failed.
///
/// # Examples
///
/// ```
/// use corio_combinators::{scope, ChildFailure};
///
/// futures::executor::block_on(async {
///     let err = scope(|s| async move {
///         s.spawn(async { Ok::<(), &str>(()) });
///         s.spawn(async { panic!("oops") });
///         Ok(())
///     })
///     .await
///     .unwrap_err();
///     match err.first() {
///         ChildFailure::Join { index, error } => {
///             assert_eq!(*index, 1);
///             assert!(error.is_panic());
///         }
///         other => unreachable!("{other:?}"),
///     }
/// });
/// ```
pub enum ChildFailure<E> {
    /// The child returned `Err(error)`.
    Error {
        /// The child's position in spawn order (0 for the first child spawned).
        index: usize,
        /// What it returned.
        error: E,
    },
    /// The child panicked (`error.is_panic()`), or it was cancelled from outside the
    /// group — aborted by someone else, or its runtime shut down (`error.is_cancelled()`).
    /// Children that the group itself cancelled after a sibling failed are not failures.
    Join {
        /// The child's position in spawn order.
        index: usize,
        /// The panic payload or the cancellation.
        error: JoinError,
    },
    /// The group's (or scope's) body returned `Err(error)`: the children were cancelled.
    Body {
        /// What the body returned.
        error: E,
    },
}

impl<E> ChildFailure<E> {
    /// The failed child's position in spawn order; `None` for the body.
    pub fn index(&self) -> Option<usize> {
        match self {
            ChildFailure::Error { index, .. } | ChildFailure::Join { index, .. } => Some(*index),
            ChildFailure::Body { .. } => None,
        }
    }

    /// Whether this is the body's failure rather than a child's.
    pub fn is_body(&self) -> bool {
        matches!(self, ChildFailure::Body { .. })
    }

    /// Whether the child panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, ChildFailure::Join { error, .. } if error.is_panic())
    }

    /// The error the child (or the body) returned, if it returned one.
    pub fn error(&self) -> Option<&E> {
        match self {
            ChildFailure::Error { error, .. } | ChildFailure::Body { error } => Some(error),
            ChildFailure::Join { .. } => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildFailure::Error { index, error } => write!(f, "child {index} failed: {error}"),
            ChildFailure::Join { index, error } => write!(f, "child {index}: {error}"),
            ChildFailure::Body { error } => write!(f, "body failed: {error}"),
        }
    }
}

impl<E> fmt::Debug for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildFailure::Error { index, .. } => f
                .debug_struct("Error")
                .field("index", index)
                .finish_non_exhaustive(),
            ChildFailure::Join { index, error } => f
                .debug_struct("Join")
                .field("index", index)
                .field("error", error)
                .finish(),
            ChildFailure::Body { .. } => f.debug_struct("Body").finish_non_exhaustive(),
        }
    }
}

/// Every failure of a [`TaskGroup`](crate::TaskGroup) or [`scope`](crate::scope), in the
/// order they happened (never empty). The first one is what made the group cancel the
/// other children.
///
/// # Examples
///
/// ```
/// use corio_combinators::scope;
///
/// futures::executor::block_on(async {
///     let err = scope(|s| async move {
///         s.spawn(async { Err::<(), _>("disk full") });
///         s.spawn(async { Err::<(), _>("network down") });
///         Ok(())
///     })
///     .await
///     .unwrap_err();
///     assert_eq!(err.len(), 2);
///     assert_eq!(err.to_string(), "2 children failed: child 0 failed: disk full; child 1 failed: network down");
///     let errors: Vec<&str> = err.errors().copied().collect();
///     assert_eq!(errors, ["disk full", "network down"]);
/// });
/// ```
pub struct TaskGroupError<E> {
    failures: Vec<ChildFailure<E>>,
}

impl<E> TaskGroupError<E> {
    pub(crate) fn new(failures: Vec<ChildFailure<E>>) -> Self {
        debug_assert!(!failures.is_empty());
        TaskGroupError { failures }
    }

    /// The failures, in the order they happened.
    pub fn failures(&self) -> &[ChildFailure<E>] {
        &self.failures
    }

    /// The failures, by value.
    pub fn into_failures(self) -> Vec<ChildFailure<E>> {
        self.failures
    }

    /// The first failure (the one that cancelled the siblings).
    pub fn first(&self) -> &ChildFailure<E> {
        &self.failures[0]
    }

    /// How many children failed.
    pub fn len(&self) -> usize {
        self.failures.len()
    }

    /// Always false: a group error holds at least one failure.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }

    /// The errors the children (and the body) returned, leaving out panics and
    /// cancellations.
    pub fn errors(&self) -> impl Iterator<Item = &E> {
        self.failures.iter().filter_map(ChildFailure::error)
    }

    /// Whether any child panicked.
    pub fn has_panic(&self) -> bool {
        self.failures.iter().any(ChildFailure::is_panic)
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.failures.iter().any(ChildFailure::is_body);
        match self.failures.len() {
            1 if body => write!(f, "task group failed: {}", self.failures[0]),
            1 => write!(f, "1 child failed: {}", self.failures[0]),
            n if body => {
                write!(f, "task group failed ({n} failures): ")?;
                for (i, failure) in self.failures.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{failure}")?;
                }
                Ok(())
            }
            n => {
                write!(f, "{n} children failed: ")?;
                for (i, failure) in self.failures.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{failure}")?;
                }
                Ok(())
            }
        }
    }
}

impl<E> fmt::Debug for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: fmt::Display> std::error::Error for TaskGroupError<E> {}
