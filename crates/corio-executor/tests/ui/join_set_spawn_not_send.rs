// `JoinSet::spawn` needs a `Send` future too; `JoinSet::spawn_local` takes `!Send` ones.
use std::rc::Rc;

fn main() {
    let mut set = corio_executor::JoinSet::new();
    let shared = Rc::new(5);
    set.spawn(async move { *shared });
}
