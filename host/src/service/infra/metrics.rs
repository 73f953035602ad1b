//! Prometheus metrics, rendered by hand in the text exposition format (a few
//! counters and one histogram family do not need a metrics framework).
//!
//! Labels are bounded: plugin ids and functions are finite, error kinds are
//! the fixed `CallError::kind` labels, and storefronts beyond the first
//! `max_storefront_labels` seen share `storefront="other"`. The plugin
//! version labels only the latency histogram, which has no storefront label.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use connect_runtime::capabilities::bounds::BoundsStats;

const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

type CallKey = (String, &'static str, String); // plugin, function, storefront

#[derive(Default)]
struct Inner {
    calls: BTreeMap<(CallKey, &'static str), u64>,
    errors: BTreeMap<(CallKey, &'static str), u64>,
    /// By plugin, function and plugin version (no storefront label: a
    /// handful of versions per plugin keeps this small).
    latency: BTreeMap<(String, &'static str, String), Histogram>,
    cache: BTreeMap<(String, &'static str, &'static str), u64>,
    deliveries: BTreeMap<(String, &'static str), u64>,
    webhooks: BTreeMap<(String, &'static str), u64>,
    storefronts: BTreeSet<String>,
}

pub struct Metrics {
    inner: Mutex<Inner>,
    max_storefronts: usize,
}

/// Orders in the outbox by plugin and state, read at scrape time.
pub struct OutboxDepth {
    pub plugin: String,
    pub state: String,
    pub count: u64,
}

impl Metrics {
    pub fn new(max_storefronts: usize) -> Self {
        Self {
            inner: Mutex::default(),
            max_storefronts,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn storefront_label(&self, inner: &mut Inner, storefront: &str) -> String {
        if inner.storefronts.contains(storefront) {
            return storefront.to_string();
        }
        if inner.storefronts.len() < self.max_storefronts {
            inner.storefronts.insert(storefront.to_string());
            return storefront.to_string();
        }
        "other".to_string()
    }

    /// One plugin call: its outcome (`Err(kind)`), latency and, for price
    /// and stock, whether the plugin answered from its cache.
    pub fn call(
        &self,
        storefront: &str,
        plugin: &str,
        version: &str,
        function: &'static str,
        elapsed: Duration,
        outcome: Result<Option<bool>, &'static str>,
    ) {
        let mut inner = self.lock();
        let sf = self.storefront_label(&mut inner, storefront);
        let key = (plugin.to_string(), function, sf);
        let label = if outcome.is_ok() { "ok" } else { "error" };
        *inner.calls.entry((key.clone(), label)).or_default() += 1;
        match outcome {
            Err(kind) => *inner.errors.entry((key, kind)).or_default() += 1,
            Ok(Some(cached)) => {
                let hit = if cached { "hit" } else { "miss" };
                *inner
                    .cache
                    .entry((plugin.to_string(), function, hit))
                    .or_default() += 1;
            }
            Ok(None) => {}
        }
        let h = inner
            .latency
            .entry((plugin.to_string(), function, version.to_string()))
            .or_default();
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// An order delivery attempt: `delivered`, `retry` or `failed`.
    pub fn delivery(&self, plugin: &str, outcome: &'static str) {
        *self
            .lock()
            .deliveries
            .entry((plugin.to_string(), outcome))
            .or_default() += 1;
    }

    /// A webhook received: `ok` or an error kind.
    pub fn webhook(&self, plugin: &str, outcome: &'static str) {
        *self
            .lock()
            .webhooks
            .entry((plugin.to_string(), outcome))
            .or_default() += 1;
    }

    pub fn render(&self, outbox: &[OutboxDepth]) -> String {
        let inner = self.lock();
        let mut out = String::new();
        header(
            &mut out,
            "connect_plugin_calls_total",
            "counter",
            "Plugin calls by plugin, function, storefront and outcome.",
        );
        for (((plugin, function, sf), outcome), n) in &inner.calls {
            let _ = writeln!(
                out,
                "connect_plugin_calls_total{{plugin=\"{}\",function=\"{function}\",storefront=\"{}\",outcome=\"{outcome}\"}} {n}",
                esc(plugin),
                esc(sf)
            );
        }
        header(
            &mut out,
            "connect_plugin_errors_total",
            "counter",
            "Failed plugin calls by error kind.",
        );
        for (((plugin, function, sf), kind), n) in &inner.errors {
            let _ = writeln!(
                out,
                "connect_plugin_errors_total{{plugin=\"{}\",function=\"{function}\",storefront=\"{}\",kind=\"{kind}\"}} {n}",
                esc(plugin),
                esc(sf)
            );
        }
        header(
            &mut out,
            "connect_plugin_call_duration_seconds",
            "histogram",
            "Latency of plugin calls, backend I/O included.",
        );
        for ((plugin, function, version), h) in &inner.latency {
            let labels = format!(
                "plugin=\"{}\",function=\"{function}\",version=\"{}\"",
                esc(plugin),
                esc(version)
            );
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "connect_plugin_call_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "connect_plugin_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "connect_plugin_call_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "connect_plugin_call_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        header(
            &mut out,
            "connect_plugin_cache_total",
            "counter",
            "Price and stock answers by whether the plugin's cache answered them (result=hit|miss).",
        );
        for ((plugin, function, result), n) in &inner.cache {
            let _ = writeln!(
                out,
                "connect_plugin_cache_total{{plugin=\"{}\",function=\"{function}\",result=\"{result}\"}} {n}",
                esc(plugin)
            );
        }
        header(
            &mut out,
            "connect_order_deliveries_total",
            "counter",
            "Order delivery attempts by outcome (delivered, retry, failed).",
        );
        for ((plugin, outcome), n) in &inner.deliveries {
            let _ = writeln!(
                out,
                "connect_order_deliveries_total{{plugin=\"{}\",outcome=\"{outcome}\"}} {n}",
                esc(plugin)
            );
        }
        header(
            &mut out,
            "connect_webhooks_total",
            "counter",
            "Webhooks received by plugin and outcome.",
        );
        for ((plugin, outcome), n) in &inner.webhooks {
            let _ = writeln!(
                out,
                "connect_webhooks_total{{plugin=\"{}\",outcome=\"{outcome}\"}} {n}",
                esc(plugin)
            );
        }
        header(
            &mut out,
            "connect_outbox_orders",
            "gauge",
            "Orders in the outbox by plugin and state (pending and delivering make the depth).",
        );
        for d in outbox {
            let _ = writeln!(
                out,
                "connect_outbox_orders{{plugin=\"{}\",state=\"{}\"}} {}",
                esc(&d.plugin),
                esc(&d.state),
                d.count
            );
        }
        out
    }
}

impl Metrics {
    /// The runtime's per-storefront bounds: log lines dropped and outgoing
    /// requests refused (storefront labels bounded as above).
    pub fn render_bounds(&self, stats: &[BoundsStats]) -> String {
        let mut inner = self.lock();
        let mut sums: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for s in stats {
            let sf = self.storefront_label(&mut inner, &s.tenant);
            let sum = sums.entry(sf).or_default();
            sum.0 += s.log_lines_dropped;
            sum.1 += s.requests_refused;
        }
        let mut out = String::new();
        for (name, help, pick) in [
            (
                "connect_plugin_log_lines_dropped_total",
                "Plugin log lines dropped beyond runtime.log_lines_per_sec, by storefront.",
                0,
            ),
            (
                "connect_plugin_requests_refused_total",
                "Outgoing plugin requests refused beyond runtime.max_requests_per_*, by storefront.",
                1,
            ),
        ] {
            header(&mut out, name, "counter", help);
            for (sf, (logs, requests)) in &sums {
                let n = if pick == 0 { logs } else { requests };
                let _ = writeln!(out, "{name}{{storefront=\"{}\"}} {n}", esc(sf));
            }
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storefront_labels_are_bounded() {
        let m = Metrics::new(1);
        let d = Duration::from_millis(3);
        m.call("a", "p", "1.0.0", "price", d, Ok(Some(true)));
        m.call("b", "p", "1.0.0", "price", d, Err("unreachable"));
        let text = m.render(&[]);
        assert!(
            text.contains("storefront=\"a\",outcome=\"ok\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("storefront=\"other\",kind=\"unreachable\"} 1"),
            "{text}"
        );
        assert!(text.contains("result=\"hit\"} 1"), "{text}");
        assert!(text.contains("le=\"0.005\"} 2"), "{text}");
    }

    #[test]
    fn bounds_are_rendered_with_bounded_labels() {
        let m = Metrics::new(1);
        let stats = |t: &str, logs, requests| BoundsStats {
            tenant: t.into(),
            log_lines_dropped: logs,
            requests_refused: requests,
        };
        let text = m.render_bounds(&[stats("a", 5, 0), stats("b", 2, 3), stats("c", 1, 1)]);
        assert!(
            text.contains("connect_plugin_log_lines_dropped_total{storefront=\"a\"} 5"),
            "{text}"
        );
        assert!(
            text.contains("connect_plugin_log_lines_dropped_total{storefront=\"other\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("connect_plugin_requests_refused_total{storefront=\"other\"} 4"),
            "{text}"
        );
    }
}
