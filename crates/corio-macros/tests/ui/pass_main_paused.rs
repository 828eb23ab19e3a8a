// A real `fn main` on a paused current-thread runtime: an hour passes at once.
use std::time::Duration;

#[corio_macros::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let start = corio::time::Instant::now();
    corio::sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
}
