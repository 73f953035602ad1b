//! What the soak prints and judges: the interval report line, and the
//! service's resident memory over time.

use std::collections::BTreeMap;

/// RSS samples (seconds since start, KiB) and their verdict.
pub struct Memory {
    pub samples: Vec<(f64, u64)>,
}

impl Memory {
    /// The last sample of the warm-up, and the highest after it.
    pub fn growth(&self, warm_up: f64) -> (u64, u64) {
        let base = self
            .samples
            .iter()
            .rfind(|(t, _)| *t <= warm_up)
            .map_or(0, |s| s.1);
        let peak = self
            .samples
            .iter()
            .filter(|(t, _)| *t > warm_up)
            .map(|s| s.1)
            .max()
            .unwrap_or(base);
        (base, peak)
    }

    /// Least-squares slope after warm-up, MiB per minute.
    pub fn slope(&self, warm_up: f64) -> f64 {
        let pts: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|(t, _)| *t > warm_up)
            .map(|&(t, k)| (t / 60.0, k as f64 / 1024.0))
            .collect();
        let n = pts.len() as f64;
        if n < 2.0 {
            return 0.0;
        }
        let (mx, my) = (
            pts.iter().map(|p| p.0).sum::<f64>() / n,
            pts.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx == 0.0 { 0.0 } else { sxy / sxx }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn report_line(
    elapsed: f64,
    now: &BTreeMap<(&'static str, String), u64>,
    before: &BTreeMap<(&'static str, String), u64>,
    rss_kib: u64,
    backend: &str,
    calls: (usize, usize),
    webhooks: usize,
    delivered: usize,
) {
    let mut by_op: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for ((op, outcome), n) in now {
        let d = n - before.get(&(*op, outcome.clone())).copied().unwrap_or(0);
        let e = by_op.entry(op).or_default();
        e.0 += d;
        if outcome != "ok" && d > 0 {
            e.1 += d;
            *kinds.entry(outcome.as_str()).or_default() += d;
        }
    }
    let total: u64 = by_op.values().map(|v| v.0).sum();
    let errors: u64 = by_op.values().map(|v| v.1).sum();
    let ops: Vec<String> = by_op
        .iter()
        .map(|(op, (n, e))| format!("{op} {n}/{e}"))
        .collect();
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "[{elapsed:>5.0} s] {total} requests ({}), errors {:.1} % [{}]; RSS {:.1} MiB; \
         {backend} calls {} ({} faulted); webhooks {webhooks}; orders delivered {delivered}",
        ops.join(", "),
        if total == 0 {
            0.0
        } else {
            errors as f64 * 100.0 / total as f64
        },
        kinds.join(", "),
        rss_kib as f64 / 1024.0,
        calls.0,
        calls.1,
    );
}
