#[corio_macros::test(paused)]
async fn t() {}

fn main() {}
