//! Tasks that `TaskGroup`, its `GroupHandle` and `shield` start through the spawn seam
//! record their caller's source location: `#[track_caller]` runs from each public
//! method down to the seam, so task dumps and slow-poll reports point at the user's
//! line, not into corio-combinators or corio-core.

use std::panic::Location;

use corio::task;
use corio::{shield, TaskGroup};

/// Where the task running this future was spawned, as its task records it (the
/// location `task::dump()` and slow-poll reports print).
async fn recorded_location() -> &'static Location<'static> {
    task::current().location()
}

#[corio::test]
async fn task_group_children_record_the_spawning_line() {
    let group = TaskGroup::<_, ()>::new();
    let handle = group.handle();
    let child = || async { Ok(recorded_location().await) };
    let spawns = [
        (line!(), group.spawn(child())),
        (line!(), group.try_spawn(child()).unwrap()),
        (line!(), group.spawn_local(child())),
        (line!(), group.try_spawn_local(child()).unwrap()),
        (line!(), handle.spawn(child())),
        (line!(), handle.try_spawn(child()).unwrap()),
        (line!(), handle.spawn_local(child())),
        (line!(), handle.try_spawn_local(child()).unwrap()),
    ];
    let recorded: Vec<_> = group.join().await.unwrap();
    let recorded: Vec<_> = recorded.iter().map(|at| (at.file(), at.line())).collect();
    let expected: Vec<_> = spawns.iter().map(|(line, _)| (file!(), *line)).collect();
    assert_eq!(recorded, expected, "in spawn order");
}

#[corio::test]
async fn shielded_work_records_the_shielding_line() {
    let (shielded, line) = (shield(recorded_location()), line!());
    let at = shielded.await.unwrap();
    assert_eq!((at.file(), at.line()), (file!(), line));
}
