// A real `fn main` returning a `Result`, with `?` in the body.
use std::time::Duration;

#[corio_macros::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = corio::spawn(async { "2" }).await?.parse()?;
    corio::sleep(Duration::from_millis(n)).await;
    if n != 2 {
        return Err("wrong number".into());
    }
    Ok(())
}
