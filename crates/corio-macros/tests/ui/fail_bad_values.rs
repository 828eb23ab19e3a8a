#[corio_macros::test(flavor = multi_thread, worker_threads = "2", start_paused = 1)]
async fn wrong_types() {}

#[corio_macros::test(flavor = "multi_thread", worker_threads = 99999999999999999999999)]
async fn too_many_workers() {}

fn main() {}
