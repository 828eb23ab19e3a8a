//! Seed: "Error Handling" — try/except with async: errors are values (`Result`), handled
//! with `match` / `?` after the `.await`.
use std::fmt;
use std::time::Duration;

/// Python's `ValueError`.
#[derive(Debug)]
struct ValueError(&'static str);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ValueError {}

async fn risky_operation() -> Result<(), ValueError> {
    corio::sleep(Duration::from_secs(1)).await;
    Err(ValueError("Something went wrong!"))
}

/// The example's async main.
pub async fn main_async() {
    match risky_operation().await {
        Ok(()) => {}
        Err(e) => println!("Caught error: {e}"),
    }
}

fn main() {
    corio::run(main_async());
}
