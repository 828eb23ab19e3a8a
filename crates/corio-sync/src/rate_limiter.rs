//! `RateLimiter`: a token bucket (`rate` tokens per `period`, holding at most `burst`)
//! with FIFO-fair waiters, on the runtime's clock.
//!
//! # Implementation
//! The bucket is kept as a *theoretical arrival time* (GCRA), in exact integer units:
//! time is measured in nanoseconds times `rate`, so one token costs `period` (in ns)
//! units and no rounding ever accumulates — 2 per second is exactly 0.5 s per token.
//! Taking `n` tokens at `now` moves `tat` to `max(tat, now) + n * period`; it is allowed
//! when `tat - burst * period <= now`, otherwise the caller must wait until then.
//!
//! # Rules
//! 1. Waiters queue in FIFO order; a newcomer takes tokens at once only if nobody is
//!    queued, so it never jumps ahead.
//! 2. Only the head waiter sleeps, on one timer from the runtime's [`TimerSource`]
//!    (`corio_core::context::try_sleep_until`) until its tokens are due. When it gets
//!    them (or is dropped) it wakes the next waiter, which becomes the head: no
//!    thundering herd, one timer at a time.
//! 3. Time is `corio_core::context::now()`: the runtime's clock, so under virtual time
//!    the limiter is exact and instant.
//!
//! [`TimerSource`]: corio_core::context::TimerSource

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use corio_core::context;
use corio_core::task::BoxFuture;
use corio_core::NoRuntime;

use crate::loom::Mutex;
use crate::wait_list::{WaitKey, WaitList};

/// Invalid limiter settings or an impossible request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitError {
    /// `rate` was 0: no token would ever come.
    ZeroRate,
    /// `period` was zero.
    ZeroPeriod,
    /// `burst` was 0: the bucket could never hold a token.
    ZeroBurst,
    /// More tokens were asked for at once than the bucket can ever hold.
    ExceedsBurst {
        /// Tokens asked for.
        requested: u32,
        /// The bucket's capacity.
        burst: u32,
    },
    /// The request had to wait, and there is no corio runtime timer on this thread.
    NoRuntime(NoRuntime),
}

impl fmt::Display for RateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimitError::ZeroRate => f.write_str("rate limiter rate must be at least 1"),
            RateLimitError::ZeroPeriod => f.write_str("rate limiter period must be non-zero"),
            RateLimitError::ZeroBurst => f.write_str("rate limiter burst must be at least 1"),
            RateLimitError::ExceedsBurst { requested, burst } => write!(
                f,
                "requested {requested} tokens but the rate limiter holds at most {burst}"
            ),
            RateLimitError::NoRuntime(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RateLimitError {}

struct State {
    /// Theoretical arrival time, in ns-since-`base` × `rate`.
    tat: u128,
    waiters: WaitList<Option<Waker>>,
}

/// A token-bucket rate limiter: `rate` tokens per `period`, at most `burst` saved up.
/// Waiters are served in FIFO order; only the first one sleeps.
///
/// `RateLimiter::new(2, Duration::from_secs(1))` lets 2 calls through per second: the
/// bucket starts with 2 tokens and gets one back every 0.5 s, so 10 calls waiting on it
/// are served at 0, 0, 0.5, 1, …, 4 s.
///
/// # Examples
///
/// ```
/// use corio_sync::RateLimiter;
/// use std::time::Duration;
///
/// let limiter = RateLimiter::with_burst(2, Duration::from_secs(1), 3).unwrap();
/// assert!(limiter.try_acquire());
/// assert_eq!(limiter.try_acquire_n(2), Ok(true));
/// assert!(!limiter.try_acquire()); // the burst is spent; the next token is 0.5 s away
/// assert!(RateLimiter::new(0, Duration::from_secs(1)).is_err());
/// ```
///
/// Inside a corio runtime, `limiter.acquire().await` waits for a token on the runtime's
/// timer; under virtual time the waits are exact and take no real time.
pub struct RateLimiter {
    rate: u32,
    period: Duration,
    burst: u32,
    /// `period` in ns: the cost of one token in scaled units.
    cost: u128,
    base: Instant,
    state: Mutex<State>,
}

impl RateLimiter {
    /// `rate` tokens per `period`, with a burst capacity of `rate`.
    ///
    /// # Errors
    /// [`RateLimitError::ZeroRate`] or [`RateLimitError::ZeroPeriod`].
    pub fn new(rate: u32, period: Duration) -> Result<Self, RateLimitError> {
        Self::with_burst(rate, period, rate)
    }

    /// `rate` tokens per `period`, saving up at most `burst` tokens. The bucket starts
    /// full.
    ///
    /// # Errors
    /// [`RateLimitError::ZeroRate`], [`RateLimitError::ZeroPeriod`] or
    /// [`RateLimitError::ZeroBurst`].
    pub fn with_burst(rate: u32, period: Duration, burst: u32) -> Result<Self, RateLimitError> {
        if rate == 0 {
            return Err(RateLimitError::ZeroRate);
        }
        if period.is_zero() {
            return Err(RateLimitError::ZeroPeriod);
        }
        if burst == 0 {
            return Err(RateLimitError::ZeroBurst);
        }
        Ok(RateLimiter {
            rate,
            period,
            burst,
            cost: period.as_nanos(),
            base: context::now(),
            state: Mutex::new(State {
                tat: 0,
                waiters: WaitList::new(),
            }),
        })
    }

    /// Tokens added per period.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The period over which `rate` tokens are added.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// How many tokens the bucket holds at most.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Waits for one token.
    ///
    /// # Panics
    /// If it has to wait and no corio runtime (with a timer) is running on this thread;
    /// the message names `corio::sync::RateLimiter::acquire`. Use
    /// [`acquire_n`](Self::acquire_n) to get that as an `Err` instead.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair: a dropped `acquire` takes no token and hands its turn (and
    /// the timer) to the next waiter.
    pub async fn acquire(&self) {
        if let Err(e) = self
            .acquire_inner(1, "corio::sync::RateLimiter::acquire")
            .await
        {
            panic!("{e}");
        }
    }

    /// Waits for `n` tokens, taken together.
    ///
    /// # Errors
    /// [`RateLimitError::ExceedsBurst`] at once if `n` is more than the burst capacity
    /// (it could never be served); [`RateLimitError::NoRuntime`] if it has to wait and
    /// no corio runtime with a timer is running on this thread.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    pub async fn acquire_n(&self, n: u32) -> Result<(), RateLimitError> {
        self.acquire_inner(n, "corio::sync::RateLimiter::acquire_n")
            .await
    }

    fn acquire_inner(&self, n: u32, function: &'static str) -> AcquireTokens<'_> {
        AcquireTokens {
            limiter: self,
            n,
            function,
            key: None,
            sleep: None,
            done: false,
        }
    }

    /// Takes one token if one is available now and nobody is queued.
    pub fn try_acquire(&self) -> bool {
        matches!(self.try_acquire_n(1), Ok(true))
    }

    /// Takes `n` tokens if they are available now and nobody is queued.
    ///
    /// # Errors
    /// [`RateLimitError::ExceedsBurst`] if `n` is more than the burst capacity (it could
    /// never succeed); "not now" is `Ok(false)`.
    pub fn try_acquire_n(&self, n: u32) -> Result<bool, RateLimitError> {
        self.check(n)?;
        let mut state = self.state.lock();
        if !state.waiters.is_empty() {
            return Ok(false);
        }
        Ok(self.take(&mut state, n, context::now()).is_ok())
    }

    fn check(&self, n: u32) -> Result<(), RateLimitError> {
        if n > self.burst {
            return Err(RateLimitError::ExceedsBurst {
                requested: n,
                burst: self.burst,
            });
        }
        Ok(())
    }

    /// Takes `n` tokens at `now`, or returns when they will be available.
    fn take(&self, state: &mut State, n: u32, now: Instant) -> Result<(), Instant> {
        let rate = u128::from(self.rate);
        let now_s = now.saturating_duration_since(self.base).as_nanos() * rate;
        let new_tat = state.tat.max(now_s) + u128::from(n) * self.cost;
        let allowed_at = new_tat.saturating_sub(u128::from(self.burst) * self.cost);
        if allowed_at <= now_s {
            state.tat = new_tat;
            return Ok(());
        }
        // ceil(allowed_at / rate) ns after base: never early.
        let ns = allowed_at.div_ceil(rate);
        let secs = (ns / 1_000_000_000) as u64;
        let nanos = (ns % 1_000_000_000) as u32;
        Err(self
            .base
            .checked_add(Duration::new(secs, nanos))
            .unwrap_or(now + Duration::from_secs(86400 * 365)))
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("rate", &self.rate)
            .field("period", &self.period)
            .field("burst", &self.burst)
            .field("waiters", &self.state.lock().waiters.len())
            .finish()
    }
}

/// Future behind `acquire`/`acquire_n`.
struct AcquireTokens<'a> {
    limiter: &'a RateLimiter,
    n: u32,
    function: &'static str,
    key: Option<WaitKey>,
    sleep: Option<(Instant, BoxFuture<()>)>,
    done: bool,
}

impl Future for AcquireTokens<'_> {
    type Output = Result<(), RateLimitError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "rate limiter future polled after completion");
        let limiter = this.limiter;
        if let Err(e) = limiter.check(this.n) {
            this.done = true;
            return Poll::Ready(Err(e));
        }
        loop {
            let mut state = limiter.state.lock();
            let key = match this.key {
                Some(key) => key,
                None if state.waiters.is_empty() => {
                    // Rule 1: nobody queued, so try at once.
                    if limiter.take(&mut state, this.n, context::now()).is_ok() {
                        this.done = true;
                        return Poll::Ready(Ok(()));
                    }
                    let key = state.waiters.push_back(Some(cx.waker().clone()));
                    this.key = Some(key);
                    key
                }
                None => {
                    this.key = Some(state.waiters.push_back(Some(cx.waker().clone())));
                    return Poll::Pending;
                }
            };
            if state.waiters.front_key() != Some(key) {
                if let Some(slot) = state.waiters.get_mut(key) {
                    match slot {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => *slot = Some(cx.waker().clone()),
                    }
                }
                return Poll::Pending;
            }
            // Rule 2: we are the head.
            let deadline = match limiter.take(&mut state, this.n, context::now()) {
                Ok(()) => {
                    state.waiters.pop_front();
                    let next = state.waiters.front_mut().and_then(Option::take);
                    drop(state);
                    this.key = None;
                    this.sleep = None;
                    this.done = true;
                    if let Some(w) = next {
                        // The tokens are taken and ours: the next head's panicking
                        // waker must not unwind them away (see the `wake_list` module).
                        crate::wake_list::wake_discarding_panic(w);
                    }
                    return Poll::Ready(Ok(()));
                }
                Err(deadline) => deadline,
            };
            if let Some(slot) = state.waiters.get_mut(key) {
                *slot = Some(cx.waker().clone());
            }
            drop(state);
            if this.sleep.as_ref().map(|(d, _)| *d) != Some(deadline) {
                match context::try_sleep_until(this.function, deadline) {
                    Ok(sleep) => this.sleep = Some((deadline, sleep)),
                    Err(e) => {
                        this.done = true;
                        this.leave();
                        return Poll::Ready(Err(RateLimitError::NoRuntime(e)));
                    }
                }
            }
            let (_, sleep) = this.sleep.as_mut().expect("set above");
            match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.sleep = None;
                    continue; // the tokens should be due now: re-check
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AcquireTokens<'_> {
    /// Leaves the queue; if we were the head, the next waiter takes over (rule 2).
    fn leave(&mut self) {
        if let Some(key) = self.key.take() {
            let mut state = self.limiter.state.lock();
            let was_head = state.waiters.front_key() == Some(key);
            state.waiters.remove(key);
            let next = if was_head {
                state.waiters.front_mut().and_then(Option::take)
            } else {
                None
            };
            drop(state);
            if let Some(w) = next {
                crate::wake_list::wake(w);
            }
        }
    }
}

impl Drop for AcquireTokens<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}
