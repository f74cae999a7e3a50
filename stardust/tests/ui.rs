//! Compile-time behaviour of `#[derive(Channel)]`: what it accepts (`ui/pass`) and the
//! exact error a user sees for each mistake (`ui/fail`, one mistake per file).
//!
//! The `.stderr` snapshots depend on the compiler version, which `rust-toolchain.toml`
//! pins. Regenerate them with `TRYBUILD=overwrite cargo test --test ui`, then read them.

#[test]
fn derive_channel_accepts_the_grammar_and_rejects_each_mistake_clearly() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
