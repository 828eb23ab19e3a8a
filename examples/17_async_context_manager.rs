//! Seed: "Async Context Managers" — a class with `__aenter__` / `__aexit__`.
//!
//! `corio::with_resource(acquire, body, release)` is `async with`: the async release runs
//! after the body on success, on error, on panic, and — in the background — when the
//! whole operation is cancelled.
use corio::Exit;
use std::time::Duration;

struct AsyncResource;

impl AsyncResource {
    // __aenter__
    async fn enter() -> AsyncResource {
        println!("Acquiring resource");
        corio::sleep(Duration::from_secs(1)).await;
        AsyncResource
    }

    // __aexit__
    async fn exit(self, _exit: Exit) {
        println!("Releasing resource");
        corio::sleep(Duration::from_secs(1)).await;
    }
}

/// The example's async main.
pub async fn main_async() {
    corio::with_resource(
        AsyncResource::enter(),
        async |_resource: &mut AsyncResource| {
            println!("Using resource");
            corio::sleep(Duration::from_secs(1)).await;
        },
        AsyncResource::exit,
    )
    .await;
}

fn main() {
    corio::run(main_async());
}
