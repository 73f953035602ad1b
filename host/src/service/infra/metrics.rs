//! Prometheus metrics (`prometheus-client`, OpenMetrics text at `/metrics`).
//!
//! Labels are bounded: plugin ids and functions are finite, error kinds are
//! the fixed `CallError::kind` labels, and storefronts beyond the first
//! `max_storefront_labels` seen share `storefront="other"`. The plugin
//! version labels only the latency histogram, which has no storefront label.
//! The outbox depth and the runtime's per-storefront bounds are read at
//! scrape time.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use connect_runtime::capabilities::bounds::BoundsStats;

/// The media type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    plugin: String,
    function: &'static str,
    storefront: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    plugin: String,
    function: &'static str,
    storefront: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    plugin: String,
    function: &'static str,
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    plugin: String,
    function: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    plugin: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DepthLabels {
    plugin: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StorefrontLabels {
    storefront: String,
}

#[derive(Clone)]
struct Latency;

impl MetricConstructor<Histogram> for Latency {
    fn new_metric(&self) -> Histogram {
        Histogram::new(BUCKETS)
    }
}

pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, Latency>,
    cache: Family<CacheLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
    webhooks: Family<OutcomeLabels, Counter>,
    /// Set at scrape time, under `scrape`.
    outbox: Family<DepthLabels, Gauge>,
    log_lines_dropped: Family<StorefrontLabels, Counter>,
    requests_refused: Family<StorefrontLabels, Counter>,
    scrape: Mutex<()>,
    storefronts: Mutex<BTreeSet<String>>,
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
        let mut m = Self {
            registry: Registry::default(),
            calls: Family::default(),
            errors: Family::default(),
            latency: Family::new_with_constructor(Latency),
            cache: Family::default(),
            deliveries: Family::default(),
            webhooks: Family::default(),
            outbox: Family::default(),
            log_lines_dropped: Family::default(),
            requests_refused: Family::default(),
            scrape: Mutex::default(),
            storefronts: Mutex::default(),
            max_storefronts,
        };
        // Counters are registered without `_total`, which the encoder adds;
        // the encoder also ends each help text with a full stop.
        m.registry.register(
            "connect_plugin_calls",
            "Plugin calls by plugin, function, storefront and outcome",
            m.calls.clone(),
        );
        m.registry.register(
            "connect_plugin_errors",
            "Failed plugin calls by error kind",
            m.errors.clone(),
        );
        m.registry.register(
            "connect_plugin_call_duration_seconds",
            "Latency of plugin calls, backend I/O included",
            m.latency.clone(),
        );
        m.registry.register(
            "connect_plugin_cache",
            "Price and stock answers by whether the plugin's cache answered them (result=hit|miss)",
            m.cache.clone(),
        );
        m.registry.register(
            "connect_order_deliveries",
            "Order delivery attempts by outcome (delivered, retry, failed)",
            m.deliveries.clone(),
        );
        m.registry.register(
            "connect_webhooks",
            "Webhooks received by plugin and outcome",
            m.webhooks.clone(),
        );
        m.registry.register(
            "connect_outbox_orders",
            "Orders in the outbox by plugin and state (pending and delivering make the depth)",
            m.outbox.clone(),
        );
        m.registry.register(
            "connect_plugin_log_lines_dropped",
            "Plugin log lines dropped beyond runtime.log_lines_per_sec, by storefront",
            m.log_lines_dropped.clone(),
        );
        m.registry.register(
            "connect_plugin_requests_refused",
            "Outgoing plugin requests refused beyond runtime.max_requests_per_*, by storefront",
            m.requests_refused.clone(),
        );
        m
    }

    fn storefront_label(&self, storefront: &str) -> String {
        let mut seen = self.storefronts.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(storefront) {
            return storefront.to_string();
        }
        if seen.len() < self.max_storefronts {
            seen.insert(storefront.to_string());
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
        let storefront = self.storefront_label(storefront);
        let plugin = plugin.to_string();
        let labels = CallLabels {
            plugin: plugin.clone(),
            function,
            storefront: storefront.clone(),
            outcome: if outcome.is_ok() { "ok" } else { "error" },
        };
        self.calls.get_or_create(&labels).inc();
        match outcome {
            Err(kind) => {
                let labels = ErrorLabels {
                    plugin: plugin.clone(),
                    function,
                    storefront,
                    kind,
                };
                self.errors.get_or_create(&labels).inc();
            }
            Ok(Some(cached)) => {
                let labels = CacheLabels {
                    plugin: plugin.clone(),
                    function,
                    result: if cached { "hit" } else { "miss" },
                };
                self.cache.get_or_create(&labels).inc();
            }
            Ok(None) => {}
        }
        let labels = LatencyLabels {
            plugin,
            function,
            version: version.to_string(),
        };
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// An order delivery attempt: `delivered`, `retry` or `failed`.
    pub fn delivery(&self, plugin: &str, outcome: &'static str) {
        let labels = OutcomeLabels {
            plugin: plugin.to_string(),
            outcome,
        };
        self.deliveries.get_or_create(&labels).inc();
    }

    /// A webhook received: `ok` or an error kind.
    pub fn webhook(&self, plugin: &str, outcome: &'static str) {
        let labels = OutcomeLabels {
            plugin: plugin.to_string(),
            outcome,
        };
        self.webhooks.get_or_create(&labels).inc();
    }

    /// Every metric as OpenMetrics text, with the outbox depth and the
    /// runtime's per-storefront bounds (log lines dropped, outgoing
    /// requests refused; storefront labels bounded as above) as read now.
    pub fn render(&self, outbox: &[OutboxDepth], bounds: &[BoundsStats]) -> String {
        let _scrape = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.outbox.clear();
        for d in outbox {
            let labels = DepthLabels {
                plugin: d.plugin.clone(),
                state: d.state.clone(),
            };
            self.outbox
                .get_or_create(&labels)
                .set(i64::try_from(d.count).unwrap_or(i64::MAX));
        }
        // The runtime keeps the totals; these families are rebuilt from them.
        self.log_lines_dropped.clear();
        self.requests_refused.clear();
        for s in bounds {
            let labels = StorefrontLabels {
                storefront: self.storefront_label(&s.tenant),
            };
            self.log_lines_dropped
                .get_or_create(&labels)
                .inc_by(s.log_lines_dropped);
            self.requests_refused
                .get_or_create(&labels)
                .inc_by(s.requests_refused);
        }
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding the metrics failed");
        }
        out
    }
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
        let text = m.render(&[], &[]);
        assert!(
            text.contains("storefront=\"a\",outcome=\"ok\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("storefront=\"other\",kind=\"unreachable\"} 1"),
            "{text}"
        );
        assert!(text.contains("result=\"hit\"} 1"), "{text}");
        let bucket = "_bucket{le=\"0.005\",plugin=\"p\",function=\"price\",version=\"1.0.0\"} 2";
        assert!(text.contains(bucket), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn bounds_are_rendered_with_bounded_labels() {
        let m = Metrics::new(1);
        let stats = |t: &str, logs, requests| BoundsStats {
            tenant: t.into(),
            log_lines_dropped: logs,
            requests_refused: requests,
        };
        let bounds = [stats("a", 5, 0), stats("b", 2, 3), stats("c", 1, 1)];
        for _ in 0..2 {
            // Read at each scrape, never added up across scrapes.
            let text = m.render(&[], &bounds);
            for line in [
                "connect_plugin_log_lines_dropped_total{storefront=\"a\"} 5",
                "connect_plugin_log_lines_dropped_total{storefront=\"other\"} 3",
                "connect_plugin_requests_refused_total{storefront=\"other\"} 4",
            ] {
                assert!(text.contains(line), "no {line} in {text}");
            }
        }
    }
}
