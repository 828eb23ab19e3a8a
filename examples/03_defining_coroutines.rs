//! Seed: "Coroutines" — defining coroutines.
//!
//! An `async fn` is Rust's `async def`. Calling it does not run it: it returns a future
//! (Python: a coroutine object), which does nothing until it is awaited or run.

// Regular function
fn regular_function() -> &'static str {
    "Hello"
}

// Coroutine function
async fn coroutine_function() -> &'static str {
    "Hello"
}

/// The example's body (the tour calls it directly; it runs its own `corio::run`).
pub fn main_sync() {
    println!("{}", regular_function()); // Hello

    // Calling an async fn returns a future; printing shows its type, not "Hello".
    let coro = coroutine_function();
    // Prints the future's type, e.g. `03_defining_coroutines::coroutine_function::{{closure}}`
    // (Python: `<coroutine object coroutine_function at 0x...>`).
    println!("{}", std::any::type_name_of_val(&coro));
    drop(coro); // never awaited: it never ran (rustc warns about unused futures)

    // Must use .await or corio::run()
    let result = corio::run(coroutine_function());
    println!("{result}"); // Hello
}

fn main() {
    main_sync();
}
