//! What a task knows about the scheduler that runs it, and the parts both schedulers
//! share.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use corio_core::{Clock, RuntimeContext};

use crate::blocking::BlockingPool;
use crate::debug::DebugConfig;
use crate::inject::Inject;
use crate::task::owned::OwnedTasks;
use crate::{current_thread, multi_thread};

/// The runtime a [`Handle`](crate::Handle) refers to (a task header stores it, or a
/// local set or the blocking pool, as a [`TaskScheduler`](crate::task::sched::TaskScheduler)).
#[derive(Clone)]
pub(crate) enum Scheduler {
    CurrentThread(Arc<current_thread::Shared>),
    MultiThread(Arc<multi_thread::Shared>),
}

/// Settings both schedulers read.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Ticks between polls of the driver while busy.
    pub(crate) event_interval: u32,
    /// Ticks between checks of the global queue before the local one.
    pub(crate) global_queue_interval: u32,
    /// Name of the worker threads.
    pub(crate) thread_name: String,
    /// Seed of the scheduling choices (current-thread: which local task runs next;
    /// multi-thread: steal victims). `None`: the default, unseeded behaviour.
    pub(crate) rng_seed: Option<u64>,
    /// How long shutdown lets cancelled tasks run their cleanup ([`crate::shutdown`]).
    pub(crate) shutdown_grace: std::time::Duration,
}

/// State both schedulers have.
pub(crate) struct Common {
    pub(crate) owned: OwnedTasks,
    pub(crate) inject: Inject,
    /// The context installed on every runtime thread (base context + our spawner).
    pub(crate) context: RuntimeContext,
    pub(crate) clock: Clock,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Config,
    /// Debug mode's settings, `None` when it is off.
    pub(crate) debug: Option<Box<DebugConfig>>,
    shutdown: AtomicBool,
}

impl Common {
    pub(crate) fn new(
        owned_shards: usize,
        context: RuntimeContext,
        blocking: BlockingPool,
        config: Config,
        debug: Option<DebugConfig>,
    ) -> Self {
        Common {
            owned: OwnedTasks::new(owned_shards),
            inject: Inject::new(),
            clock: context.clock().clone(),
            context,
            blocking,
            config,
            debug: debug.map(Box::new),
            shutdown: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Marks the runtime shut down; `true` for the first caller.
    pub(crate) fn begin_shutdown(&self) -> bool {
        !self.shutdown.swap(true, Ordering::AcqRel)
    }

    /// Cancels every task and closes the queues (after the workers stopped).
    pub(crate) fn shutdown_tasks(&self) {
        drop(self.inject.close());
        self.owned.close_and_shutdown_all();
        // Cancelled futures may have woken tasks into the (closed) queue: nothing left.
        drop(self.inject.close());
    }
}
