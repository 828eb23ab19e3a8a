//! `select!` and [`race`]: wait for the first of several futures; the others are
//! dropped (cancelled).
//!
//! Fairness: unless `biased;` is given, each poll starts at a random branch, so a branch
//! that is always ready cannot starve the others. The randomness is the runtime's
//! ([`random_below`], `corio_core::context::random_below`): a few arithmetic
//! instructions per poll, drawn from the runtime's seeded stream when it was built with
//! `rng_seed` (so the seed replays the choices), per-thread otherwise.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Waits on several futures at once and runs the handler of the first to complete; the
/// other futures are dropped (cancelled). Must be used inside an `async` context; its
/// value is the value of the handler that ran.
///
/// Each branch is `pattern = future => handler`. The pattern must be irrefutable. The
/// handler runs in the enclosing `async` context, so it may `.await`, `return`, use `?`
/// or `break`. Branches are polled from a random start each time (fair); write
/// `biased;` first to poll them top to bottom instead (a deterministic priority order).
///
/// The futures are created before the first poll, in branch order, and are pinned on
/// the stack; pass `&mut fut` to keep a future across several `select!`s (it must then
/// be `Unpin`, e.g. a `JoinHandle` or a `Box::pin`ned future).
///
/// # Examples
///
/// ```
/// use corio_combinators::select;
/// use futures::future::{pending, ready};
///
/// futures::executor::block_on(async {
///     let out = select! {
///         never = pending::<u32>() => never,
///         n = ready(7) => n * 6,
///     };
///     assert_eq!(out, 42);
///
///     // `biased;`: the first ready branch in order wins.
///     let first = select! {
///         biased;
///         a = ready("a") => a,
///         b = ready("b") => b,
///     };
///     assert_eq!(first, "a");
/// });
/// ```
///
/// # Cancel safety
/// When one branch completes, the futures of the other branches are dropped. Only use
/// futures that lose nothing when dropped (or pass `&mut` to ones you keep).
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)+) => {
        $crate::__select_impl!(@parse true [] () $($branches)+)
    };
    ($($branches:tt)+) => {
        $crate::__select_impl!(@parse false [] () $($branches)+)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_impl {
    // All branches parsed: emit the selection.
    (@parse $biased:tt
        [$(($fut:ident $out:ident $i:tt [$p:pat] [$e:expr] [$h:tt]))+]
        ($($n:tt)*)
    ) => {{
        const __SELECT_BRANCHES: usize = 0 $($n)*;
        $(
            let mut $fut = ::core::pin::pin!($e);
            let mut $out = ::core::option::Option::None;
        )+
        let __select_which: usize = ::core::future::poll_fn(|__select_cx| {
            let mut __select_k = if $biased {
                0
            } else {
                $crate::__private::random_below(__SELECT_BRANCHES)
            };
            for _ in 0..__SELECT_BRANCHES {
                $(
                    if __select_k == $i {
                        if let ::core::task::Poll::Ready(v) =
                            ::core::future::Future::poll($fut.as_mut(), __select_cx)
                        {
                            $out = ::core::option::Option::Some(v);
                            return ::core::task::Poll::Ready($i);
                        }
                    }
                )+
                __select_k += 1;
                if __select_k == __SELECT_BRANCHES {
                    __select_k = 0;
                }
            }
            ::core::task::Poll::Pending
        })
        .await;
        $(
            if __select_which == $i {
                let $p = $out.take().expect("`select!` branch output");
                $h
            } else
        )+
        {
            ::core::unreachable!("`select!` chose no branch")
        }
    }};
    // `pat = fut => { block },` or `pat = fut => { block }` (comma optional after a block).
    (@parse $biased:tt [$($acc:tt)*] ($($n:tt)*)
        $p:pat = $e:expr => $h:block, $($rest:tt)*
    ) => {
        $crate::__select_impl!(@parse $biased
            [$($acc)* (fut out (0 $($n)*) [$p] [$e] [$h])] ($($n)* + 1) $($rest)*)
    };
    (@parse $biased:tt [$($acc:tt)*] ($($n:tt)*)
        $p:pat = $e:expr => $h:block $($rest:tt)*
    ) => {
        $crate::__select_impl!(@parse $biased
            [$($acc)* (fut out (0 $($n)*) [$p] [$e] [$h])] ($($n)* + 1) $($rest)*)
    };
    // `pat = fut => expr,`
    (@parse $biased:tt [$($acc:tt)*] ($($n:tt)*)
        $p:pat = $e:expr => $h:expr, $($rest:tt)*
    ) => {
        $crate::__select_impl!(@parse $biased
            [$($acc)* (fut out (0 $($n)*) [$p] [$e] [$h])] ($($n)* + 1) $($rest)*)
    };
    // the last branch, `pat = fut => expr` without a comma
    (@parse $biased:tt [$($acc:tt)*] ($($n:tt)*)
        $p:pat = $e:expr => $h:expr
    ) => {
        $crate::__select_impl!(@parse $biased
            [$($acc)* (fut out (0 $($n)*) [$p] [$e] [$h])] ($($n)* + 1))
    };
}

/// Waits for the first of two futures with the same output type and returns its output;
/// the other is dropped (cancelled) with the `Race`.
///
/// Which one is polled first is chosen at random on each poll, so neither can starve the
/// other. Use [`select!`](crate::select!) for more futures or different output types.
///
/// # Examples
///
/// ```
/// use corio_combinators::race;
/// use futures::future::{pending, ready};
///
/// futures::executor::block_on(async {
///     assert_eq!(race(pending(), ready(5)).await, 5);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the `Race` drops both futures.
pub fn race<A, B>(a: A, b: B) -> Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    Race { a, b }
}

/// The future returned by [`race`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Race<A, B> {
    a: A,
    b: B,
}

impl<A, B> Future for Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    type Output = A::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<A::Output> {
        // SAFETY: `a` and `b` are structurally pinned: `Race` never moves them, has no
        // `Drop` impl, and is `Unpin` only if both are.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let a = unsafe { Pin::new_unchecked(&mut this.a) };
        // SAFETY: see above.
        let b = unsafe { Pin::new_unchecked(&mut this.b) };
        if random_below(2) == 0 {
            if let Poll::Ready(v) = a.poll(cx) {
                return Poll::Ready(v);
            }
            b.poll(cx)
        } else {
            if let Poll::Ready(v) = b.poll(cx) {
                return Poll::Ready(v);
            }
            a.poll(cx)
        }
    }
}

impl<A, B> fmt::Debug for Race<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race").finish_non_exhaustive()
    }
}

/// A pseudo-random number in `0..n` (0 when `n` is 0) from the runtime's random
/// numbers (`corio_core::context::random_below`): seeded by the runtime's `rng_seed`,
/// so a seed replays which branch is polled first; per-thread otherwise.
#[doc(hidden)]
#[inline]
pub fn random_below(n: usize) -> usize {
    corio_core::context::random_below(n)
}

#[cfg(test)]
mod tests {
    use super::random_below;

    #[test]
    fn random_below_stays_in_range_and_covers_it() {
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            seen[random_below(5)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 100), "{seen:?}");
        assert_eq!(random_below(0), 0);
        assert_eq!(random_below(1), 0);
    }
}
