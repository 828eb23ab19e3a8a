// Every problem of one attribute is reported in one compile.
#[corio_macros::main(flavor = "single", worker_threads = 0, verbose = true)]
fn main() {}
