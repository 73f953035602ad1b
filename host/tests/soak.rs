//! Soak (issue #7, point 8) and the service's memory under chaos (point 2):
//! the real `connect-host serve` process against the simulator with faults
//! on every endpoint (latency, 500, 429, hangs, broken and cut-off JSON,
//! Success-false estimates, expiring tokens), under mixed traffic: prices,
//! stock, orders priced by a fresh quote or from stock, order reads, and
//! the simulator's job-status webhooks as jobs advance.
//!
//! Every interval it prints requests, errors by kind and the service's
//! resident memory (`VmRSS`). At the end: every order in Tharstern exactly
//! once and delivered; the service answered every request with a status
//! and a typed error; its memory after warm-up stayed within a bound.
//!
//! `cargo test` runs 15 s (`short_soak_…`). The long run, not in CI:
//! `SOAK_SECS=600 cargo test --release -p connect-host --test soak -- --ignored --nocapture`

mod service_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::process::{ServiceProcess, Tally, stored_orders};
use service_support::*;
use tharstern_sim::{FaultConfig, FaultSpec};

const WORKERS: usize = 4;
/// Orders of one pen at most: the simulator's 5,000 pens, less the
/// mapping's minimum order of 100, never run out (an order short of stock
/// is parked, which would read as lost).
const STOCK_ORDERS: usize = 4000;
const OUTBOX: &str = "[outbox]\nconcurrency = 4\nmax_attempts = 100\n\
    initial_backoff_ms = 50\nmax_backoff_ms = 1000\npoll_ms = 50\n";

fn faults() -> FaultConfig {
    let mut faults = FaultConfig {
        global: FaultSpec {
            latency_ms: Some(20),
            server_error_rate: Some(0.03),
            rate_limit_rate: Some(0.01),
            hang_rate: Some(0.002),
            malformed_json_rate: Some(0.01),
            truncated_json_rate: Some(0.01),
            ..FaultSpec::default()
        },
        token_lifetime_secs: Some(30),
        hang_secs: Some(2),
        ..FaultConfig::default()
    };
    faults.endpoints.insert(
        "estrequest".into(),
        FaultSpec {
            success_false_rate: Some(0.02),
            ..FaultSpec::default()
        },
    );
    faults
}

/// The chaos of issue #7, point 2: 20 % 5xx, 10 % hangs, tokens expiring
/// every 3 s, 5 % malformed JSON, 10 % Success-false estimates.
fn chaos_faults() -> FaultConfig {
    let mut faults = FaultConfig {
        global: FaultSpec {
            server_error_rate: Some(0.2),
            hang_rate: Some(0.1),
            malformed_json_rate: Some(0.05),
            ..FaultSpec::default()
        },
        token_lifetime_secs: Some(3),
        hang_secs: Some(2),
        ..FaultConfig::default()
    };
    faults.endpoints.insert(
        "estrequest".into(),
        FaultSpec {
            success_false_rate: Some(0.1),
            ..FaultSpec::default()
        },
    );
    faults
}

/// Answers by operation and outcome (`ok`, or the error's kind).
#[derive(Default)]
struct Counts(Mutex<BTreeMap<(&'static str, String), u64>>);

impl Counts {
    fn add(&self, op: &'static str, outcome: String) {
        *self.0.lock().unwrap().entry((op, outcome)).or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<(&'static str, String), u64> {
        self.0.lock().unwrap().clone()
    }
}

/// A service answer's outcome: `ok`, the typed error kind, or what was
/// wrong with it (`untyped-<status>`, `transport`).
fn outcome(answer: &Result<(u16, Value), String>) -> String {
    match answer {
        Ok((status, _)) if (200..300).contains(status) => "ok".into(),
        Ok((status, body)) => body["error"]["kind"]
            .as_str()
            .map_or_else(|| format!("untyped-{status}"), str::to_string),
        Err(_) => "transport".into(),
    }
}

struct Traffic {
    http: reqwest::Client,
    base: String,
    counts: Counts,
    orders: AtomicUsize,
    stock_orders: AtomicUsize,
    /// Ids of accepted orders, for reads.
    accepted: Mutex<Vec<String>>,
}

impl Traffic {
    /// The body of a 2xx answer.
    async fn call(
        &self,
        op: &'static str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        match self.send(op, method, path, body).await {
            Ok((200..=299, v)) => Some(v),
            _ => None,
        }
    }

    /// Sends one request and counts its outcome.
    async fn send(
        &self,
        op: &'static str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let mut req = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}/api/v1/storefronts/{SF}{path}", self.base),
            )
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.json::<Value>().await {
                    Ok(v) => Ok((status, v)),
                    Err(_) => Ok((status, Value::Null)),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        self.counts.add(op, outcome(&answer));
        answer
    }

    /// One worker's loop: a fixed mix, shifted per worker.
    async fn run(&self, worker: usize, until: Instant) {
        let mut i = worker * 3;
        while Instant::now() < until {
            i += 1;
            let customer = if i.is_multiple_of(2) { "alice" } else { "bob" };
            // Mostly 200 quantities x 2 customers, a bounded set the quote
            // cache answers once warm; every 4th a new quantity (a new
            // estimate in Tharstern), as a busy shop's long tail.
            let quantity = if i % 4 == 1 {
                10_000 + i
            } else {
                100 + (i * 7 % 200) * 25
            };
            match i % 10 {
                0..=3 => {
                    self.call("price", "POST", "/price",
                        Some(json!({"product": "business-cards", "quantity": quantity, "customer": customer})))
                        .await;
                }
                4 | 5 => {
                    self.call("stock", "POST", "/stock", Some(json!({"product": "pens"})))
                        .await;
                }
                6 => {
                    // Price, then order by that quote: the storefront's checkout.
                    let Some(p) = self
                        .call("price", "POST", "/price",
                            Some(json!({"product": "business-cards", "quantity": quantity, "customer": customer})))
                        .await
                    else {
                        continue;
                    };
                    self.order(
                        customer,
                        json!({"product": "business-cards", "quantity": quantity,
                        "quote_ref": p["quote_ref"], "price": p["price"]}),
                    )
                    .await;
                }
                7 if self.stock_orders.fetch_add(1, SeqCst) < STOCK_ORDERS => {
                    self.order(customer, json!({"product": "pens", "quantity": 1}))
                        .await;
                }
                _ => {
                    let id = {
                        let accepted = self.accepted.lock().unwrap();
                        (!accepted.is_empty()).then(|| accepted[i % accepted.len()].clone())
                    };
                    if let Some(id) = id {
                        self.call("read", "GET", &format!("/orders/{id}"), None)
                            .await;
                    }
                }
            }
        }
    }

    /// Posts an order until it is accepted, resubmitting with the same id
    /// after no answer or a 5xx, as a storefront does. A 4xx is final (and
    /// the order then counts as lost).
    async fn order(&self, customer: &str, line: Value) {
        let id = format!("S-{:06}", self.orders.fetch_add(1, SeqCst));
        let body = json!({"id": id, "customer": customer, "lines": [line]});
        loop {
            match self
                .send("order", "POST", "/orders", Some(body.clone()))
                .await
            {
                Ok((200..=299, _)) => {
                    self.accepted.lock().unwrap().push(id);
                    return;
                }
                Ok((400..=499, _)) => return,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

/// RSS samples (seconds since start, KiB) and their verdict.
struct Memory {
    samples: Vec<(f64, u64)>,
}

impl Memory {
    /// The last sample of the warm-up, and the highest after it.
    fn growth(&self, warm_up: f64) -> (u64, u64) {
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
    fn slope(&self, warm_up: f64) -> f64 {
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

fn report_line(
    elapsed: f64,
    now: &BTreeMap<(&'static str, String), u64>,
    before: &BTreeMap<(&'static str, String), u64>,
    rss_kib: u64,
    tharstern: (usize, usize),
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
         Tharstern calls {} ({} faulted); webhooks {webhooks}; orders delivered {delivered}",
        ops.join(", "),
        if total == 0 {
            0.0
        } else {
            errors as f64 * 100.0 / total as f64
        },
        kinds.join(", "),
        rss_kib as f64 / 1024.0,
        tharstern.0,
        tharstern.1,
    );
}

/// Tharstern calls after `after` (call id): how many, how many faulted,
/// and the last id.
fn sim_calls(sim: &tharstern_sim::SimHandle, after: u64) -> (usize, usize, u64) {
    let calls = sim.calls();
    let new: Vec<_> = calls.iter().filter(|c| c.id > after).collect();
    let last = new.iter().map(|c| c.id).max().unwrap_or(after);
    let faulted = new.iter().filter(|c| c.fault.is_some()).count();
    (new.len(), faulted, last)
}

/// Runs the soak under `faults` for `secs`, reporting every `every`
/// seconds, and checks the outcome; memory after `warm_up` seconds may grow
/// by at most `max_growth_mib`. With `unique_estimates`, also no two
/// Tharstern estimates of one request (the connector names an estimate
/// after its request and must never create a second one for a retry):
/// short runs only, as quotes expire from the cache over a long run and a
/// re-quote is a new estimate.
async fn soak(
    faults: FaultConfig,
    secs: u64,
    every: u64,
    warm_up: u64,
    max_growth_mib: u64,
    max_error_rate: f64,
    unique_estimates: bool,
) {
    let sim = tharstern_sim::Simulator::builder()
        .record_duplicate_orders()
        .demo_data()
        .webhook_backoff(Duration::from_millis(100))
        .start()
        .await
        .expect("simulator starts");
    let mut service = ServiceProcess::new(OUTBOX);
    service.start(&[("RUST_LOG", "error")]).await;
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;
    subscribe_webhooks(&sim, &api).await;
    sim.set_faults(faults).expect("valid faults");
    let pid = service.pid();

    let traffic = Arc::new(Traffic {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        base: service.url.clone(),
        counts: Counts::default(),
        orders: AtomicUsize::new(0),
        stock_orders: AtomicUsize::new(0),
        accepted: Mutex::default(),
    });
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let t = traffic.clone();
        workers.spawn(async move { t.run(w, until).await });
    }

    let mut memory = Memory { samples: vec![] };
    let mut advances = 0;
    let mut before = BTreeMap::new();
    let mut last_call = 0;
    let (mut sim_total, mut sim_faulted) = (0, 0);
    let mut next_report = every;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while Instant::now() < until {
        tick.tick().await;
        let t = start.elapsed().as_secs_f64();
        let rss = service_support::process::rss_kib(pid).expect("the service is running");
        memory.samples.push((t, rss));
        // Jobs move on every 2 s: each step is a webhook to the service.
        if memory.samples.len().is_multiple_of(2) {
            advances += sim.state().advance_all_jobs().len();
        }
        if t >= next_report as f64 {
            next_report += every;
            let now = traffic.counts.snapshot();
            let delivered = stored_orders(&service.db)
                .iter()
                .filter(|o| o.state == "delivered")
                .count();
            let (calls, faulted, last) = sim_calls(&sim, last_call);
            (last_call, sim_total, sim_faulted) = (last, sim_total + calls, sim_faulted + faulted);
            report_line(
                t,
                &now,
                &before,
                rss,
                (calls, faulted),
                sim.state().deliveries().len(),
                delivered,
            );
            before = now;
        }
    }
    while let Some(w) = workers.join_next().await {
        w.expect("traffic worker");
    }

    // Drain: every accepted order is delivered (faults stay on).
    let n = traffic.orders.load(SeqCst);
    let drained = Instant::now() + Duration::from_secs(120);
    while !stored_orders(&service.db)
        .iter()
        .all(|o| o.state == "delivered")
        && Instant::now() < drained
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let tally = Tally::of(&sim, &service.db);
    let (calls, faulted, _) = sim_calls(&sim, last_call);
    let (sim_total, sim_faulted) = (sim_total + calls, sim_faulted + faulted);
    let totals = traffic.counts.snapshot();
    let requests: u64 = totals.values().sum();
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, outcome), n) in &totals {
        if outcome != "ok" {
            *kinds.entry(outcome.as_str()).or_default() += n;
        }
    }
    let errors: u64 = kinds.values().sum();
    let estimates = sim.state().estimates();
    let titles: std::collections::HashSet<&str> =
        estimates.iter().map(|e| e.title.as_str()).collect();
    let duplicate_estimates = estimates.len() - titles.len();
    let deliveries = sim.state().deliveries();
    let webhook_ok = deliveries.iter().filter(|d| d.success).count();
    let (base, peak) = memory.growth(warm_up as f64);
    println!(
        "soak {secs} s: {requests} requests, {errors} errors ({:.2} %) {kinds:?}; {n} orders: {} lost, {} duplicated; {} estimates, {duplicate_estimates} duplicated; {sim_total} Tharstern calls, {sim_faulted} faulted; \
         {webhook_ok} of {} webhook deliveries accepted ({} job steps); RSS {:.1} MiB after warm-up ({warm_up} s), \
         peak {:.1} MiB after, final {:.1} MiB, slope {:+.2} MiB/min",
        errors as f64 * 100.0 / requests.max(1) as f64,
        tally.lost.len() + n.saturating_sub(tally.stored),
        tally.duplicated,
        estimates.len(),
        deliveries.len(),
        advances,
        base as f64 / 1024.0,
        peak as f64 / 1024.0,
        memory.samples.last().map_or(0, |s| s.1) as f64 / 1024.0,
        memory.slope(warm_up as f64),
    );

    // The bounds first: a leak or an error flood is the headline.
    assert!(
        peak <= base + max_growth_mib * 1024,
        "the service's memory grew from {} to {} KiB after warm-up",
        base,
        peak
    );
    let error_rate = errors as f64 / requests.max(1) as f64;
    assert!(
        error_rate <= max_error_rate,
        "{errors} of {requests} requests failed ({:.2} %, bound {:.2} %): {kinds:?}",
        error_rate * 100.0,
        max_error_rate * 100.0
    );
    tally.assert_exactly_once(n);
    assert!(n > 0, "no order was placed");
    if unique_estimates {
        assert_eq!(duplicate_estimates, 0, "a request made two estimates");
    }
    // The service always answered, and every error was typed.
    for kind in kinds.keys() {
        assert!(
            !kind.starts_with("untyped") && *kind != "transport" && *kind != "internal",
            "an answer that was not a typed error: {kind} ({kinds:?})"
        );
    }
    assert!(webhook_ok > 0, "no webhook reached the service");
    assert!(sim_faulted > 0, "no fault was injected");
    let exit = service.terminate().await;
    assert!(exit.success(), "{exit:?}");
}

/// Point 2's "memory stays flat", in `cargo test`: 15 s of mixed traffic
/// under faults. Bounds: +16 MiB after warm-up (measured +1.7 MiB over
/// ~3,000 requests; a leak of 32 KiB a plugin call fails it), 2 % errors
/// (measured 0 and 0.29 %: the connector retries what the faults break).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_soak_answers_everything_and_keeps_memory_bounded() {
    soak(faults(), 15, 5, 5, 16, 0.02, true).await;
}

/// Point 2 at the fault rates, through the service: every answer
/// right or a typed error, every order in Tharstern once, memory bounded.
/// Bounds: +16 MiB, 25 % errors (measured 2.4 % and 10 %, all typed, on a
/// shared 2-core machine; 20 % of Tharstern calls fail, 10 % hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_through_the_service_answers_everything_and_places_each_order_once() {
    soak(chaos_faults(), 15, 5, 5, 16, 0.25, true).await;
}

/// Point 8, not in CI: `SOAK_SECS` (default 600) of the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run with --ignored (see the module docs)"]
async fn soak_run() {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .map(|v| v.parse().expect("SOAK_SECS: seconds"))
        .unwrap_or(600);
    // Measured: 0.02 % errors, +4.7 MiB in 10 minutes after warm-up.
    soak(
        faults(),
        secs,
        10,
        (secs / 5).clamp(10, 60),
        32,
        0.01,
        false,
    )
    .await;
}
