//! Compile-time behaviour of `#[ko_log::handler]` and `#[ko_log::renderer]`: the accepted
//! shapes compile (`ko-log-macros/tests/ui/pass/{handler,renderer}_*.rs`), every misuse
//! fails with the exact errors pinned in
//! `ko-log-macros/tests/ui/fail/{handler,renderer}_*.stderr`. (`#[ko_log::processor]`,
//! the same implementation, has its own cases in `tests/processor_ui.rs`.)
//!
//! After a deliberate change to a message: `TRYBUILD=overwrite cargo test --test
//! component_ui`, then read the new `.stderr` files before committing them.

#[test]
fn component_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ko-log-macros/tests/ui/pass/handler_*.rs");
    cases.pass("ko-log-macros/tests/ui/pass/renderer_*.rs");
    cases.compile_fail("ko-log-macros/tests/ui/fail/handler_*.rs");
    cases.compile_fail("ko-log-macros/tests/ui/fail/renderer_*.rs");
}
