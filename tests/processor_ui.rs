//! Compile-time behaviour of `#[ko_log::processor]`: the accepted shapes compile
//! (`ko-log-macros/tests/ui/pass/processor_*.rs`), every misuse fails with the exact
//! errors pinned in `ko-log-macros/tests/ui/fail/processor_*.stderr`.
//!
//! After a deliberate change to a message: `TRYBUILD=overwrite cargo test --test
//! processor_ui`, then read the new `.stderr` files before committing them.

#[test]
fn processor_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ko-log-macros/tests/ui/pass/processor_*.rs");
    cases.compile_fail("ko-log-macros/tests/ui/fail/processor_*.rs");
}
