#[corio_macros::main(flavor = "multi_threaded")]
async fn main() {}
