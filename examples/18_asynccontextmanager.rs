//! Seed: "Async Context Managers" — `@asynccontextmanager`.
//!
//! The code before `yield` is the acquire future, the `finally:` block is the release.
use std::time::Duration;

/// The example's async main.
pub async fn main_async() {
    let filename = "data.txt";
    corio::with_resource(
        async move {
            println!("Opening {filename}");
            corio::sleep(Duration::from_secs(1)).await; // Simulate async operation
            format!("Handle to {filename}") // yield f"Handle to {filename}"
        },
        async |handle: &mut String| {
            println!("Working with {handle}");
            corio::sleep(Duration::from_secs(1)).await;
        },
        move |_handle, _exit| async move {
            // finally:
            println!("Closing {filename}");
            corio::sleep(Duration::from_secs(1)).await;
        },
    )
    .await;
}

fn main() {
    corio::run(main_async());
}
