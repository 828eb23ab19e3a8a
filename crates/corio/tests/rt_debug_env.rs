//! `CORIO_DEBUG=1` turns the facade runtime's debug mode on; an explicit
//! `.debug(false)` wins. The environment is process-global: this binary holds only this
//! test.

use corio::Runtime;

#[test]
fn corio_debug_env_enables_debug_mode_unless_disabled_explicitly() {
    // No other thread of this test binary reads the environment meanwhile.
    std::env::set_var("CORIO_DEBUG", "1");
    for multi in [false, true] {
        let b = Runtime::builder();
        let b = if multi {
            b.multi_thread().worker_threads(1)
        } else {
            b.current_thread()
        };
        assert!(b.build().unwrap().handle().is_debug(), "multi={multi}");
    }
    let off = Runtime::builder()
        .current_thread()
        .debug(false)
        .build()
        .unwrap();
    assert!(!off.handle().is_debug());
    // Debug mode stamps polls, so a dump shows the time since the last poll.
    let rt = Runtime::builder().current_thread().build().unwrap();
    rt.block_on(async {
        let h = corio::spawn(std::future::pending::<()>());
        corio::yield_now().await;
        assert!(corio::task::dump()[0].since_last_poll().is_some());
        h.abort();
    });

    std::env::set_var("CORIO_DEBUG", "0");
    assert!(!Runtime::new().unwrap().handle().is_debug());
    std::env::remove_var("CORIO_DEBUG");
    assert!(!Runtime::new().unwrap().handle().is_debug());
}
