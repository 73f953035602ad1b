//! The benchmark harness (`host/benches/connect.rs`) in smoke mode: every
//! figure is produced with tiny counts, so the benchmarks never rot. It
//! checks that they run, not how fast (speed is judged by `cargo bench`).

#[path = "../benches/harness/mod.rs"]
#[allow(dead_code)]
mod harness;

use harness::{Mode, Options, Relaunch};

#[test]
fn every_benchmark_runs_in_smoke_mode() {
    // The harness re-executes this test binary for its child processes
    // (the simulators, the memory and refresh measurements).
    if harness::child_main() {
        return;
    }
    let options = Options {
        mode: Mode::Smoke,
        only: Vec::new(),
        relaunch: Relaunch {
            exe: std::env::current_exe().unwrap(),
            args: [
                "every_benchmark_runs_in_smoke_mode",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ]
            .map(String::from)
            .to_vec(),
        },
    };
    let report = harness::run(&options);
    assert!(report.errors.is_empty(), "failed: {:?}", report.errors);
    for key in [
        "warm.runtime.median",
        "warm.runtime.p99",
        "warm.native.median",
        "warm.native.p99",
        "warm.ratio",
        "cold.pooling.median",
        "cold.pooling.p99",
        "cold.on-demand.median",
        "cold.on-demand.p99",
        "warm.printiq.runtime.median",
        "warm.printiq.native.median",
        "warm.printiq.ratio",
        "cold.printiq.pooling.median",
        "cold.printiq.on-demand.median",
        "throughput.1t.1",
        "throughput.2t.1",
        "throughput.2t.10",
        "throughput.2t.100.uniform",
        "throughput.2t.100.uniform.hits",
        "throughput.2t.100.zipf",
        "memory.rss",
        "memory.per_tenant",
        "load.compile",
        "load.precompiled",
        "load.full",
        "refresh.1000.time",
        "refresh.1000.peak",
        "refresh.linearity",
        "cache.memory.get",
        "cache.sqlite1.get.2t",
        "cache.sqlite.get.2t",
        "cache.redis.get",
        "cache.redis.warm.median",
        "cache.sqlite.warm.ratio",
        "cache.redis.warm.ratio",
        "cold.ratio",
        "first.median",
        "throughput.ratio.tenants",
        "throughput.ratio.zipf",
        "refresh.time_ratio",
        "refresh.largest.peak",
        "rest.ratio",
        "rest.p99.ratio",
        "outbox.ratio",
        "outbox.delivered",
        "outbox.duplicates",
    ] {
        assert!(report.has(key), "figure {key} was not produced");
    }
    for f in &report.figures {
        assert!(f.value.is_finite(), "figure {} is {}", f.key, f.value);
    }
}
