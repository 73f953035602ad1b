//! `connect-bench`: every benchmark figure of the project next to its target.
//!
//! ```sh
//! cargo bench -p connect-host --bench connect                 # everything
//! cargo bench -p connect-host --bench connect -- --only warm,cold
//! cargo bench -p connect-host --bench connect -- --smoke      # quick check
//! ```
//!
//! The measuring code is in `harness/`, shared with the smoke test
//! (`host/tests/bench_smoke.rs`). Figures and method: `BENCHMARKS.md`.

// Some of the harness's API is only used by the smoke test.
#[allow(dead_code)]
mod harness;

fn main() {
    if harness::child_main() {
        return;
    }
    let options = harness::Options::from_args();
    let report = harness::run(&options);
    if !report.errors.is_empty() {
        std::process::exit(1);
    }
}
