//! Sample statistics, formatting, and the process's memory counters.

use std::time::Duration;

/// Order statistics of a set of timings.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub n: usize,
    pub median: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

/// Summarises samples (nearest-rank percentiles of the sorted samples).
pub fn summarize(mut samples: Vec<Duration>) -> Summary {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let n = samples.len();
    let rank = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    let total: Duration = samples.iter().sum();
    Summary {
        n,
        median: rank(0.5),
        p99: rank(0.99),
        mean: total / n as u32,
    }
}

/// A duration in the unit that suits it.
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1_000_000_000.0 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A rate with thousands separators.
pub fn fmt_rate(per_sec: f64, unit: &str) -> String {
    format!("{} {unit}", thousands(per_sec.round() as u64))
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units (the targets are in MB).
pub fn fmt_bytes(bytes: f64) -> String {
    if bytes.abs() < 1e6 {
        format!("{:.1} kB", bytes / 1e3)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}

/// `VmRSS` (resident now) and `VmHWM` (peak resident) of this process, in
/// bytes.
pub fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets `VmHWM` to the current resident size (Linux ≥ 4.0), so a later
/// peak measures only what happened after this point.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
