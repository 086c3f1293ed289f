//! Compile-time behaviour of `#[ko_log::life]` and `ko_log::life_guard!`: every supported
//! shape compiles and runs (`ko-log-macros/tests/ui/pass/life_*.rs`), every misuse fails
//! with the exact errors pinned in `ko-log-macros/tests/ui/fail/life_*.stderr`.
//!
//! After a deliberate change to a message: `TRYBUILD=overwrite cargo test --test life_ui`,
//! then read the new `.stderr` files before committing them.

#[test]
fn life_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ko-log-macros/tests/ui/pass/life_*.rs");
    cases.compile_fail("ko-log-macros/tests/ui/fail/life_*.rs");
}
