#[corio_macros::main]
fn main() {}
