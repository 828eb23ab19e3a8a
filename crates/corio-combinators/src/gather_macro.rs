//! `gather!` and `try_gather!`: a fixed set of futures of different types, run
//! concurrently, outputs as a tuple in argument order.
//!
//! # Implementation
//! Each recursion step of the internal muncher names its future `fut`; identifiers
//! introduced by different expansions of a `macro_rules!` macro are distinct (hygiene),
//! so the final step sees one local per future without generating names.

/// Runs the given futures concurrently and returns their outputs as a tuple, in
/// argument order (asyncio's `gather(a, b, c)` for a fixed set of awaitables).
///
/// The futures are evaluated (created) when the macro runs and polled when the returned
/// future is awaited. Every future is polled in argument order on each wake-up; for many
/// futures of one type, use [`gather`](crate::gather()) (it polls only woken futures).
///
/// # Examples
///
/// ```
/// use corio_combinators::gather;
///
/// futures::executor::block_on(async {
///     let (a, b, c) = gather!(async { 1 }, async { "two" }, async { 3.0 }).await;
///     assert_eq!((a, b, c), (1, "two", 3.0));
/// });
/// ```
///
/// # Cancel safety
/// Dropping the returned future drops every future it holds.
#[macro_export]
macro_rules! gather {
    ($($fut:expr),+ $(,)?) => {
        $crate::__gather_impl!(@acc [] $($fut,)+)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gather_impl {
    (@acc [$(($name:ident $f:expr))*]) => {{
        $( let $name = $crate::__private::maybe_done($f); )*
        async move {
            $( let mut $name = ::core::pin::pin!($name); )*
            ::core::future::poll_fn(move |cx| {
                let mut all_done = true;
                $(
                    all_done &= ::core::future::Future::poll($name.as_mut(), cx).is_ready();
                )*
                if all_done {
                    ::core::task::Poll::Ready(($(
                        $name
                            .as_mut()
                            .take_output()
                            .expect("`gather!` output taken twice"),
                    )*))
                } else {
                    ::core::task::Poll::Pending
                }
            })
            .await
        }
    }};
    (@acc [$($acc:tt)*] $head:expr, $($rest:expr,)*) => {
        $crate::__gather_impl!(@acc [$($acc)* (fut $head)] $($rest,)*)
    };
}

/// Runs the given `Result` futures concurrently; returns `Ok` with a tuple of their
/// values in argument order, or the first `Err` as soon as it happens, after dropping
/// (cancelling) the others.
///
/// All futures must share one error type. Unlike asyncio's `gather`, where the other
/// awaitables run on after the first exception, the rest are cancelled.
///
/// # Examples
///
/// ```
/// use corio_combinators::try_gather;
///
/// futures::executor::block_on(async {
///     let ok = try_gather!(async { Ok::<_, &str>(1) }, async { Ok("two") }).await;
///     assert_eq!(ok, Ok((1, "two")));
///
///     let err = try_gather!(async { Ok::<u8, &str>(1) }, async { Err::<(), _>("bad") }).await;
///     assert_eq!(err, Err("bad"));
/// });
/// ```
///
/// # Errors
/// The first `Err` in completion order.
///
/// # Cancel safety
/// Dropping the returned future drops every future it holds.
#[macro_export]
macro_rules! try_gather {
    ($($fut:expr),+ $(,)?) => {
        $crate::__try_gather_impl!(@acc [] $($fut,)+)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __try_gather_impl {
    (@acc [$(($name:ident $f:expr))*]) => {{
        $( let $name = $crate::__private::try_maybe_done($f); )*
        async move {
            $( let mut $name = ::core::pin::pin!($name); )*
            ::core::future::poll_fn(move |cx| {
                let mut all_done = true;
                $(
                    match ::core::future::Future::poll($name.as_mut(), cx) {
                        ::core::task::Poll::Ready(::core::result::Result::Ok(())) => {}
                        ::core::task::Poll::Ready(::core::result::Result::Err(e)) => {
                            return ::core::task::Poll::Ready(::core::result::Result::Err(e));
                        }
                        ::core::task::Poll::Pending => all_done = false,
                    }
                )*
                if all_done {
                    ::core::task::Poll::Ready(::core::result::Result::Ok(($(
                        $name
                            .as_mut()
                            .take_output()
                            .expect("`try_gather!` output taken twice"),
                    )*)))
                } else {
                    ::core::task::Poll::Pending
                }
            })
            .await
        }
    }};
    (@acc [$($acc:tt)*] $head:expr, $($rest:expr,)*) => {
        $crate::__try_gather_impl!(@acc [$($acc)* (fut $head)] $($rest,)*)
    };
}
