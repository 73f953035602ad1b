//! Crash safety at scale (issue #7, point 1). Orders go through the real
//! REST API of the real `connect-host serve` process while the simulator
//! answers slowly and sometimes fails (HTTP 500, broken JSON after the order
//! was created), and the service dies at three moments, restarted each time
//! on the same data directory:
//!
//! (a) SIGKILL while POSTs are in flight: the client resubmits every order
//!     whose POST got no 2xx answer, with the same id and body, as a
//!     storefront would;
//! (b) SIGKILL mid-delivery (orders claimed, submissions in flight);
//! (c) abort right after the back office answered a submission and before the
//!     service recorded it (the `CONNECT_TEST_CRASH_AFTER_SUBMIT` hook).
//!
//! At the end every order must be in the back office exactly once and
//! delivered in the service with that back-office order's id: 0 lost, 0
//! duplicated.
//!
//! The same run goes against both back offices, each simulator counting
//! what it holds: Tharstern (orders; a repeated `UniqueSubmitOrderID` makes
//! a new order) and printIQ (jobs: `AcceptQuote` makes a new job on every
//! call, whatever was accepted before). printIQ's faults add `IsError`
//! answers after the job was made, and login tokens that expire after 1 s
//! unused (printIQ answers "Invalid login token"; the connector logs in
//! again), so every restart finds its cached token expired.
//!
//! `cargo test` runs 200 Tharstern and 100 printIQ orders; bigger runs:
//! `CRASH_ORDERS=1000 cargo test -p connect-host --test crash_safety -- --nocapture`
//! (both), or name one test (`... crash_safety printiq`).

mod service_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::backend::{Backend, Tally};
use service_support::process::{ServiceProcess, aborted, stored_orders};
use service_support::*;

const THARSTERN_ORDERS: usize = 200;
const PRINTIQ_ORDERS: usize = 100;
/// Storefront clients posting at once.
const CLIENTS: usize = 8;
/// Concurrent deliveries, and attempts high enough that faults never park
/// an order (parking is tested elsewhere; here it would read as "lost").
const OUTBOX: &str = "[outbox]\nconcurrency = 4\nmax_attempts = 100\n\
    initial_backoff_ms = 50\nmax_backoff_ms = 500\npoll_ms = 50\n";
/// Retries under faults are expected; their warnings would drown the figures.
const QUIET: &[(&str, &str)] = &[("RUST_LOG", "error")];
/// (c): the service aborts after this many submissions of its run.
const CRASH_AFTER_SUBMIT: &str = "3";

/// Slow and failing, but never refusing an order (a refusal parks it, which
/// here would read as lost; parking is tested elsewhere).
fn set_faults(backend: &Backend) {
    match backend {
        Backend::Tharstern(sim) => {
            use tharstern_sim::{FaultConfig, FaultSpec};
            let mut faults = FaultConfig {
                global: FaultSpec {
                    latency_ms: Some(10),
                    server_error_rate: Some(0.03),
                    ..FaultSpec::default()
                },
                ..FaultConfig::default()
            };
            faults.endpoints.insert(
                "orders/submit".into(),
                FaultSpec {
                    latency_ms: Some(150),
                    server_error_rate: Some(0.05),
                    // The order exists in Tharstern, the answer is unreadable.
                    malformed_json_rate: Some(0.05),
                    ..FaultSpec::default()
                },
            );
            sim.set_faults(faults).expect("valid faults");
        }
        Backend::PrintIq(sim) => {
            use printiq_sim::{FaultConfig, FaultSpec};
            let mut faults = FaultConfig {
                global: FaultSpec {
                    latency_ms: Some(10),
                    server_error_rate: Some(0.03),
                    ..FaultSpec::default()
                },
                // A token unused for 1 s expires: one the service cached
                // before a kill is invalid after the restart.
                token_lifetime_secs: Some(1),
                ..FaultConfig::default()
            };
            faults.endpoints.insert(
                "AcceptQuote".into(),
                FaultSpec {
                    latency_ms: Some(150),
                    server_error_rate: Some(0.05),
                    // The job exists, the answer is unreadable or an error.
                    malformed_json_rate: Some(0.05),
                    is_error_after_work_rate: Some(0.03),
                    ..FaultSpec::default()
                },
            );
            faults.endpoints.insert(
                "CreateQuoteWithDelivery".into(),
                FaultSpec {
                    // A stray quote is left behind, never accepted.
                    malformed_json_rate: Some(0.03),
                    ..FaultSpec::default()
                },
            );
            sim.set_faults(faults).expect("valid faults");
        }
    }
}

/// What the storefront clients saw.
#[derive(Default)]
struct ClientStats {
    accepted: AtomicUsize,
    in_flight: AtomicUsize,
    /// Connection refused: the service was down.
    refused: AtomicUsize,
    /// Sent, but no answer: the service died while handling it.
    cut_off: AtomicUsize,
    /// A resubmission answered `created: false`: the lost answer's order
    /// had been stored.
    found_existing: AtomicUsize,
}

fn order_body(i: usize, lines: [(&str, u32); 2]) -> Value {
    let (product, quantity) = lines[usize::from(!i.is_multiple_of(3))];
    json!({
        "id": format!("C-{i:04}"),
        "customer": if i.is_multiple_of(2) { "alice" } else { "bob" },
        "lines": [{"product": product, "quantity": quantity}],
    })
}

/// Posts `body` until the service answers 202, as a storefront does.
async fn submit(http: &reqwest::Client, url: &str, body: &Value, stats: &ClientStats) {
    for attempt in 0.. {
        stats.in_flight.fetch_add(1, SeqCst);
        let sent = http.post(url).bearer_auth(TOKEN).json(body).send().await;
        stats.in_flight.fetch_sub(1, SeqCst);
        match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let answer: Value = match resp.json().await {
                    Ok(v) => v,
                    // The answer was cut off after its head.
                    Err(_) => {
                        stats.cut_off.fetch_add(1, SeqCst);
                        continue;
                    }
                };
                assert_eq!(status, 202, "{} answered {status}: {answer}", body["id"]);
                let created = answer["created"].as_bool().expect("created flag");
                assert!(
                    created || attempt > 0,
                    "a new order id answered as known: {answer}"
                );
                if !created {
                    stats.found_existing.fetch_add(1, SeqCst);
                }
                stats.accepted.fetch_add(1, SeqCst);
                return;
            }
            Err(e) if e.is_connect() => stats.refused.fetch_add(1, SeqCst),
            Err(_) => stats.cut_off.fetch_add(1, SeqCst),
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `CLIENTS` tasks posting orders `0..n` between them.
fn start_clients(
    url: &str,
    n: usize,
    lines: [(&'static str, u32); 2],
    stats: Arc<ClientStats>,
) -> tokio::task::JoinSet<()> {
    // A fresh connection per request, so an error tells a refused
    // connection from a request the kill cut off.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{url}/api/v1/storefronts/{SF}/orders");
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (http, url, next, stats) = (http.clone(), url.clone(), next.clone(), stats.clone());
        clients.spawn(async move {
            loop {
                let i = next.fetch_add(1, SeqCst);
                if i >= n {
                    return;
                }
                submit(&http, &url, &order_body(i, lines), &stats).await;
            }
        });
    }
    clients
}

/// Polls `cond` every 20 ms; false when `secs` passed without it.
async fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

fn delivering(service: &ServiceProcess) -> Vec<String> {
    stored_orders(&service.db)
        .into_iter()
        .filter(|o| o.state == "delivering")
        .map(|o| o.id)
        .collect()
}

fn orders(default: usize) -> usize {
    let n = std::env::var("CRASH_ORDERS")
        .ok()
        .map(|v| v.parse().expect("CRASH_ORDERS: a number of orders"))
        .unwrap_or(default);
    assert!(n >= 30, "CRASH_ORDERS: at least 30, for three crashes");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_every_moment_neither_loses_nor_duplicates() {
    crash_run(Backend::tharstern().await, orders(THARSTERN_ORDERS)).await;
}

/// The same against printIQ, where a second `AcceptQuote` of a quote is a
/// second job: every order must be exactly one job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printiq_sigkill_at_every_moment_makes_exactly_one_job_per_order() {
    crash_run(Backend::printiq().await, orders(PRINTIQ_ORDERS)).await;
}

async fn crash_run(backend: Backend, n: usize) {
    let name = backend.name();
    let started = Instant::now();
    let mut service = ServiceProcess::new(OUTBOX);
    backend.install(&service);
    service.start(QUIET).await;
    let api = Api::new(&service.url);
    backend.configure_storefront(&api).await;
    set_faults(&backend);

    // (a) Kill while accepting; restart at once. The clients keep going.
    let stats = Arc::new(ClientStats::default());
    let mut clients = start_clients(&service.url, n, backend.order_lines(), stats.clone());
    assert!(
        wait_for(120, || stats.accepted.load(SeqCst) >= n / 3).await,
        "a third of the orders were not accepted in 120 s"
    );
    let (in_flight, accepted) = (stats.in_flight.load(SeqCst), stats.accepted.load(SeqCst));
    service.kill();
    service.start(QUIET).await;
    while let Some(done) = clients.join_next().await {
        done.expect("client task");
    }
    let cut_off = stats.cut_off.load(SeqCst);
    println!(
        "{name} (a) SIGKILL with {in_flight} POSTs in flight, {accepted} accepted: {cut_off} cut off, \
         {} refused while down, {} resubmissions answered as already accepted; {n} of {n} accepted",
        stats.refused.load(SeqCst),
        stats.found_existing.load(SeqCst),
    );
    assert!(
        cut_off > 0,
        "the kill cut off no POST: not a kill while accepting"
    );
    assert_eq!(
        stored_orders(&service.db).len(),
        n,
        "every order stored once"
    );

    // (b) Kill mid-delivery, a third of the way through.
    let total = || backend.order_count();
    assert!(
        wait_for(60 + n as u64 / 4, || total() >= n / 3
            && !delivering(&service).is_empty())
        .await,
        "a third of the orders were not delivered, or none was in flight"
    );
    service.kill();
    let at_kill = delivering(&service);
    let in_backend = backend.orders();
    assert!(
        !at_kill.is_empty(),
        "the kill came between deliveries; nothing was mid-delivery"
    );
    assert!(total() < n, "every order was delivered before the kill");
    println!(
        "{name} (b) SIGKILL with {} orders mid-delivery ({} of them already in {name}); {} of {n} in {name}",
        at_kill.len(),
        at_kill
            .iter()
            .filter(|id| in_backend.contains_key(*id))
            .count(),
        total(),
    );

    // (c) Abort after the back office answered, before it is recorded.
    service
        .start(&[
            QUIET[0],
            ("CONNECT_TEST_CRASH_AFTER_SUBMIT", CRASH_AFTER_SUBMIT),
        ])
        .await;
    let exit = service.wait_exit(120).await;
    assert!(aborted(&exit), "the crash hook did not fire: {exit:?}");
    let in_backend = backend.orders();
    let unrecorded: Vec<_> = delivering(&service)
        .into_iter()
        .filter(|id| in_backend.contains_key(id))
        .collect();
    assert!(
        !unrecorded.is_empty(),
        "no order was in {name} but unrecorded at the abort"
    );
    println!(
        "{name} (c) abort after submission {CRASH_AFTER_SUBMIT}: {unrecorded:?} in {name}, not recorded; {} of {n} in {name}",
        total()
    );

    // Restart; every order is delivered.
    service.start(QUIET).await;
    let all_delivered = wait_for(60 + n as u64 / 4, || {
        let stored = stored_orders(&service.db);
        stored.len() == n && stored.iter().all(|o| o.state == "delivered")
    })
    .await;

    // The figures: each storefront order once in the back office,
    // delivered in the service under that back-office order's id.
    let tally = Tally::of(&backend, &service.db);
    println!(
        "{name} crash safety, {n} orders, 3 crashes: {} lost, {} duplicated, {} recorded under another {name} order, \
         {} unknown orders in {name}; {:.0} s",
        tally.lost.len() + n.saturating_sub(tally.stored),
        tally.duplicated,
        tally.mismatched.len(),
        tally.unknown.len(),
        started.elapsed().as_secs_f64()
    );
    if let Backend::PrintIq(sim) = &backend {
        let calls = |e: &str| sim.calls_to(e).len();
        println!(
            "printIQ calls: {} CreateQuoteWithDelivery, {} AcceptQuote, {} GetQuoteDetails, {} logins; {} acceptances, {} jobs",
            calls("CreateQuoteWithDelivery"),
            calls("AcceptQuote"),
            calls("GetQuoteDetails"),
            calls("GetApplicationLogInToken"),
            sim.acceptances().len(),
            sim.jobs().len(),
        );
    }
    tally.assert_exactly_once(n);
    assert!(all_delivered, "not every order was delivered in time");

    let exit = service.terminate().await;
    assert!(exit.success(), "{exit:?}");
}
