//! Compile-time checks: the futures and handles are `Send`/`Sync`/`Unpin` as promised.

use std::future::{Future, Ready};

use corio_combinators::*;
use corio_core::TaskHandle;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn auto_traits() {
    type F = Ready<Result<u8, String>>;
    send::<Gather<F>>();
    unpin::<Gather<F>>();
    send::<TryGather<F, u8>>();
    send::<GatherSettled<F, u8, String>>();
    send::<Wait<TaskHandle<u8>>>();
    unpin::<Wait<TaskHandle<u8>>>();
    send::<AsCompleted<F>>();
    send::<AsCompletedTimeout<F>>();
    send::<Race<F, F>>();
    send::<Deadline<F>>();
    send::<Shield<u8>>();
    sync::<Shield<u8>>();
    unpin::<Shield<u8>>();
    send::<ShieldHandle<u8>>();
    send::<TaskGroup<u8, String>>();
    sync::<TaskGroup<u8, String>>();
    send::<Join<u8, String>>();
    send::<Scope<'static, String>>();
    sync::<Scope<'static, String>>();
    send::<TaskGroupError<String>>();
    sync::<TaskGroupError<String>>();
    send::<Generator<u8, Ready<()>>>();
    unpin::<Generator<u8, Ready<()>>>();
    send::<Yielder<u8>>();
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn combinator_futures_are_send() {
    let g = gather!(async { 1 }, async { 2 });
    assert_send(&g);
    let s = scope(|s: Scope<'_, ()>| async move {
        s.spawn(async { Ok(()) });
        Ok(())
    });
    assert_send(&s);
    let st = stream(|mut y| async move { y.yield_(1u8).await });
    assert_send(&st);
    let r = with_resource(async { 1u8 }, async |_r: &mut u8| (), |_r, _e| async {});
    assert_send(&r);
    fn is_future<F: Future>(_: &F) {}
    is_future(&r);
}
