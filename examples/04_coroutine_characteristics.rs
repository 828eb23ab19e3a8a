//! Seed: "Coroutines" — coroutine characteristics: pause at `.await`, resume later.
use std::time::Duration;

async fn simple_coroutine() -> &'static str {
    println!("Coroutine started");
    corio::sleep(Duration::from_secs(1)).await;
    println!("Coroutine resumed");
    "Done"
}

/// The example's async main.
pub async fn main_async() {
    println!("Before calling coroutine");
    let result = simple_coroutine().await;
    println!("Result: {result}");
    println!("After coroutine");
}

fn main() {
    corio::run(main_async());
}
