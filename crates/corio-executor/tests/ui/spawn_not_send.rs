// A `!Send` future (it holds an `Rc` across an await) cannot go to `spawn`, which may
// run it on any worker; `spawn_local` is the way.
use std::rc::Rc;

fn main() {
    let rt = corio_executor::Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let shared = Rc::new(5);
        let _h = corio_executor::spawn(async move {
            corio_executor::yield_now().await;
            *shared
        });
    });
}
