//! The current task (`task::current`, `task::id`), context variables (`ContextVar`,
//! copied into every child at spawn) and tokio-style `task_local!`.
mod support;

use corio_executor::task::{self, ContextVar, ResetError};
use corio_executor::{spawn, spawn_blocking, spawn_local, yield_now, Executor, JoinSet};
use support::executors;

static REQUEST: ContextVar<u32> = ContextVar::new("request");
static LEVEL: ContextVar<&'static str> = ContextVar::with_default("level", "info");

#[test]
fn current_task_has_id_name_and_spawn_location() {
    for (name, rt) in executors() {
        rt.block_on(async {
            assert!(task::try_current().is_none(), "{name}: block_on future");
            assert!(task::try_id().is_none());
            let line = line!() + 1;
            let h = task::Builder::new().name("me").spawn(async {
                yield_now().await;
                let me = task::current();
                (
                    me.id(),
                    task::id(),
                    me.name().map(str::to_owned),
                    me.location().line(),
                )
            });
            let id = h.id();
            let (a, b, n, l) = h.await.unwrap();
            assert_eq!((a, b), (id, id), "{name}");
            assert_eq!(n.as_deref(), Some("me"));
            assert_eq!(l, line);
            // Inside a blocking job and a local task too.
            let b = spawn_blocking(task::try_id);
            let bid = b.id();
            assert_eq!(b.await.unwrap(), Some(bid));
            let l = spawn_local(async { task::id() });
            let lid = l.id();
            assert_eq!(l.await.unwrap(), lid);
        });
    }
    let panic = std::panic::catch_unwind(task::current).unwrap_err();
    let msg = corio_core::panic_message(&*panic).unwrap();
    assert!(msg.contains("try_current"), "{msg}");
}

#[test]
fn current_task_can_cancel_itself() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let h = spawn(async {
            task::current().abort_handle().abort();
            yield_now().await;
            unreachable!("cancelled at the yield");
        });
        assert!(h.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn dump_display_prints_a_table() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let empty = task::dump().to_string();
        assert!(empty.contains("(no live tasks)"), "{empty}");
        let a = task::Builder::new()
            .name("alpha")
            .spawn(std::future::pending::<()>());
        let b = spawn(std::future::pending::<()>());
        yield_now().await;
        let table = task::dump().to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("ID") && lines[0].contains("SPAWNED AT"));
        assert!(lines[1].starts_with(&a.id().to_string()) && lines[1].contains("\"alpha\""));
        assert!(lines[2].starts_with(&b.id().to_string()) && lines[2].contains(" - "));
        assert!(lines[1].contains("idle") && lines[1].contains("task_context.rs"));
        a.abort();
        b.abort();
    });
}

#[test]
fn context_vars_are_copied_into_every_kind_of_child_at_spawn_time() {
    for (name, rt) in executors() {
        rt.block_on(async {
            assert!(REQUEST.try_get().is_err());
            assert_eq!(LEVEL.get(), "info", "default");
            let t = REQUEST.set(1);
            assert!(!t.had_value());
            let spawned = spawn(async { REQUEST.get() });
            let local = spawn_local(async { REQUEST.get() });
            let blocking = spawn_blocking(|| REQUEST.get());
            let mut set = JoinSet::new();
            set.spawn(async { REQUEST.get() });
            // Changed after those spawns: they keep the value they were spawned with.
            let t2 = REQUEST.set(2);
            assert_eq!(t2.old_value(), Some(&1));
            let later = spawn(async {
                let own = REQUEST.set(3); // the child's own copy
                let grandchild = spawn(async { REQUEST.get() }).await.unwrap();
                REQUEST.reset(own).unwrap();
                (grandchild, REQUEST.get())
            });
            assert_eq!(spawned.await.unwrap(), 1, "{name}");
            assert_eq!(local.await.unwrap(), 1);
            assert_eq!(blocking.await.unwrap(), 1);
            assert_eq!(set.join_next().await.unwrap().unwrap(), 1);
            assert_eq!(later.await.unwrap(), (3, 2));
            assert_eq!(REQUEST.get(), 2, "children's sets never reach the parent");
            REQUEST.reset(t2).unwrap();
            REQUEST.reset(t).unwrap();
            assert!(REQUEST.try_get().is_err());
        });
        // block_on ran on a copy: nothing leaks to the caller.
        assert!(REQUEST.try_get().is_err());
    }
}

#[test]
fn context_var_bad_inputs_are_clear_errors() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        // Never set, no default.
        let e = REQUEST.try_get().unwrap_err();
        assert_eq!(e.name(), "request");
        assert!(e.to_string().contains("never set"), "{e}");
        let p = std::panic::catch_unwind(|| REQUEST.get()).unwrap_err();
        assert!(corio_core::panic_message(&*p)
            .unwrap()
            .contains("`request`"));
        assert_eq!(REQUEST.get_or(9), 9);
        assert_eq!(REQUEST.with(|v| v.copied()), None);

        // A token of another variable.
        static OTHER: ContextVar<u32> = ContextVar::new("other");
        let t = OTHER.set(5);
        let err = REQUEST.reset(t).unwrap_err();
        assert_eq!(
            err,
            ResetError::WrongVariable {
                token: "other",
                variable: "request"
            }
        );
        assert_eq!(OTHER.get(), 5, "unchanged");

        // A token created in another task.
        let t = spawn(async { REQUEST.set(4) }).await.unwrap();
        let err = REQUEST.reset(t).unwrap_err();
        assert!(matches!(err, ResetError::WrongContext { .. }));
        assert!(err.to_string().contains("different context"));
        assert!(
            REQUEST.try_get().is_err(),
            "the child's set never reached us"
        );
    });
}

corio_executor::task_local! {
    static USER: String;
    /// Nesting depth (a doc comment passes through the macro).
    pub static DEPTH: u32;
}

#[test]
fn task_local_scopes_do_not_propagate_to_spawned_tasks() {
    for (name, rt) in executors() {
        rt.block_on(USER.scope("ada".to_owned(), async move {
            assert_eq!(USER.get(), "ada");
            let nested = DEPTH.scope(1, async {
                yield_now().await;
                DEPTH.scope(2, async { DEPTH.get() }).await + DEPTH.get()
            });
            assert_eq!(nested.await, 3, "{name}");
            assert!(DEPTH.try_with(|_| ()).is_err(), "scope ended");
            let child = spawn(async { USER.try_with(|u| u.clone()).is_err() });
            assert!(child.await.unwrap(), "tokio semantics: no propagation");
            assert_eq!(USER.sync_scope("bob".to_owned(), || USER.get()), "bob");
            assert_eq!(USER.get(), "ada");
        }));
    }
    let e = USER.try_with(|_| ()).unwrap_err();
    assert!(e.to_string().contains("ContextVar"));
}
