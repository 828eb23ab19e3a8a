//! `CORIO_DEBUG` turns debug mode on when the builder does not say; an explicit
//! `debug(..)` wins. (The facade's `Runtime::builder()` is this builder, so this is the
//! one copy of the test.) The environment is process-global, so this binary holds only
//! this one test.

use corio_executor::Builder;

#[test]
fn env_var_enables_debug_unless_the_builder_says_otherwise() {
    let cases = [
        (None, false),
        (Some("1"), true),
        (Some("yes"), true),
        (Some(""), false),
        (Some("0"), false),
        (Some("FALSE"), false),
        (Some("off"), false),
    ];
    for (value, expected) in cases {
        // No other thread of this test binary reads the environment meanwhile.
        match value {
            None => std::env::remove_var("CORIO_DEBUG"),
            Some(v) => std::env::set_var("CORIO_DEBUG", v),
        }
        for multi in [false, true] {
            let b = if multi {
                Builder::new_multi_thread()
            } else {
                Builder::new_current_thread()
            };
            let rt = b.worker_threads(1).build().unwrap();
            assert_eq!(rt.handle().is_debug(), expected, "CORIO_DEBUG={value:?}");
        }
        let explicit_off = Builder::new_current_thread().debug(false).build().unwrap();
        assert!(!explicit_off.handle().is_debug(), "debug(false) wins");
        let explicit_on = Builder::new_current_thread().debug(true).build().unwrap();
        assert!(explicit_on.handle().is_debug(), "debug(true) wins");
        if expected {
            // Debug mode stamps polls, so a dump shows the time since the last poll.
            explicit_on.block_on(async {
                let h = corio_executor::spawn(std::future::pending::<()>());
                corio_executor::yield_now().await;
                assert!(corio_executor::task::dump()[0].since_last_poll().is_some());
                h.abort();
            });
        }
    }
    std::env::remove_var("CORIO_DEBUG");
}
