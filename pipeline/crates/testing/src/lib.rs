//! How every property test runs, in the library's unit tests and in
//! `tests/it/`: the same cases on every run, so no test's verdict or
//! duration depends on luck, and shrinking that stops.
//!
//! Proptest's own variables still ask for more: `PROPTEST_CASES=N` runs N
//! cases per test (a longer search before a release), `PROPTEST_RNG_SEED=S`
//! other cases than the fixed seed's, `PROPTEST_MAX_SHRINK_ITERS=N` a longer
//! shrink.

use proptest::test_runner::{Config, RngSeed};

/// The seed every run uses unless `PROPTEST_RNG_SEED` names another.
const FIXED_SEED: u64 = 20_051_231;

/// A configuration running `cases` cases from the fixed seed, and at most
/// `max_shrink_iters` steps to shrink a failure (each step is one more run
/// of the test body: keep it small where a case is expensive).
pub fn deterministic(cases: u32, max_shrink_iters: u32) -> Config {
    let from_environment = Config::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    Config {
        cases: if set("PROPTEST_CASES") {
            from_environment.cases
        } else {
            cases
        },
        max_shrink_iters: if set("PROPTEST_MAX_SHRINK_ITERS") {
            from_environment.max_shrink_iters
        } else {
            max_shrink_iters
        },
        rng_seed: match from_environment.rng_seed {
            RngSeed::Random => RngSeed::Fixed(FIXED_SEED),
            chosen => chosen,
        },
        ..from_environment
    }
}
