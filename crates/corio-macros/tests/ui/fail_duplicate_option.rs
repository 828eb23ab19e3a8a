#[corio_macros::test(start_paused = true, start_paused = false)]
async fn t() {}

#[corio_macros::test(flavor)]
async fn no_value() {}

fn main() {}
