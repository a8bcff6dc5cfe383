//! Compile-fail tests of the derives: each mistake must be an error at its own span,
//! with strata's message. The `.stderr` files are the reviewed expectations.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
