//! Soak (issue #7, point 8) and the service's memory under chaos (point 2):
//! the real `connect-host serve` process against the simulator with faults
//! on every endpoint (latency, 500, 429, hangs, broken and cut-off JSON,
//! Success-false estimates, expiring tokens), under mixed traffic: prices,
//! stock, orders priced by a fresh quote or from stock, order reads, and
//! the simulator's job-status webhooks as jobs advance. The chaos run goes
//! against printIQ too (its faults: 5xx, hangs, broken JSON, expiring and
//! expired login tokens, `IsError` answers, also after the job was made),
//! every order counted as jobs at the printIQ simulator.
//!
//! Every interval it prints requests, errors by kind and the service's
//! resident memory (`VmRSS`). At the end: every order in Tharstern exactly
//! once and delivered; the service answered every request with a status
//! and a typed error; its memory after warm-up stayed within a bound.
//!
//! `cargo test` runs 15 s (`short_soak_…`). The long run, not in CI:
//! `SOAK_SECS=600 cargo test --release -p connect-host --test soak -- --ignored --nocapture`

#[path = "soak/report.rs"]
mod report;
mod service_support;
#[path = "soak/traffic.rs"]
mod traffic;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use report::{Memory, report_line};
use service_support::backend::{Backend, Tally};
use service_support::process::{ServiceProcess, stored_orders};
use service_support::*;
use tharstern_sim::{FaultConfig, FaultSpec};
use traffic::Traffic;

const WORKERS: usize = 4;
/// One soak at a time: each measures the service's memory and error rate
/// with the machine to itself (they are 15 s each).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
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

/// Back-office calls after `after` (call id): how many, how many faulted,
/// and the last id.
fn sim_calls(backend: &Backend, after: u64) -> (usize, usize, u64) {
    let new: Vec<_> = backend
        .calls()
        .into_iter()
        .filter(|c| c.0 > after)
        .collect();
    let last = new.iter().map(|c| c.0).max().unwrap_or(after);
    let faulted = new.iter().filter(|c| c.1).count();
    (new.len(), faulted, last)
}

/// Quotes the traffic's prices made in the back office, and how many of
/// them repeat an earlier one's request. Tharstern: estimates, named after
/// their request. printIQ: quotes made by `GetPrice`, by request body (a
/// retry after an answer lost once the quote existed makes a second,
/// harmless quote: only accepting one would matter).
fn price_quotes(backend: &Backend) -> (usize, usize) {
    let keys: Vec<String> = match backend {
        Backend::Tharstern(sim) => sim
            .state()
            .estimates()
            .into_iter()
            .map(|e| e.title)
            .collect(),
        Backend::PrintIq(sim) => sim
            .quotes()
            .into_iter()
            .filter(|q| q.created_by == "GetPrice")
            .map(|q| q.request.to_string())
            .collect(),
    };
    let distinct: std::collections::HashSet<&String> = keys.iter().collect();
    (keys.len(), keys.len() - distinct.len())
}

/// Runs the soak against `backend` under the faults `faults` sets, for
/// `secs`, reporting every `every` seconds, and checks the outcome; memory
/// after `warm_up` seconds may grow by at most `max_growth_mib`. With
/// `unique_estimates`, also no two Tharstern estimates of one request (the
/// connector names an estimate after its request and must never create a
/// second one for a retry): short runs only, as quotes expire from the
/// cache over a long run and a re-quote is a new estimate.
#[allow(clippy::too_many_arguments)]
async fn soak(
    backend: Backend,
    faults: impl FnOnce(&Backend),
    secs: u64,
    every: u64,
    warm_up: u64,
    max_growth_mib: u64,
    max_error_rate: f64,
    unique_estimates: bool,
) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let name = backend.name();
    let mut service = ServiceProcess::new(OUTBOX);
    backend.install(&service);
    service.start(&[("RUST_LOG", "error")]).await;
    let api = Api::new(&service.url);
    backend.configure_storefront(&api).await;
    backend.subscribe_webhooks(&api).await;
    faults(&backend);
    let pid = service.pid();

    let traffic = Arc::new(Traffic::new(&service.url, backend.order_lines()[0]));
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
        // Jobs move on every 2 s: each step may be a webhook to the service.
        if memory.samples.len().is_multiple_of(2) {
            advances += backend.advance_jobs();
        }
        if t >= next_report as f64 {
            next_report += every;
            let now = traffic.counts.snapshot();
            let delivered = stored_orders(&service.db)
                .iter()
                .filter(|o| o.state == "delivered")
                .count();
            let (calls, faulted, last) = sim_calls(&backend, last_call);
            (last_call, sim_total, sim_faulted) = (last, sim_total + calls, sim_faulted + faulted);
            report_line(
                t,
                &now,
                &before,
                rss,
                name,
                (calls, faulted),
                backend.webhook_deliveries().0,
                delivered,
            );
            before = now;
        }
    }
    while let Some(w) = workers.join_next().await {
        w.expect("traffic worker");
    }

    // Drain: every accepted order is delivered (faults stay on), or parked.
    let n = traffic.orders.load(SeqCst);
    let drained = Instant::now() + Duration::from_secs(120);
    while !stored_orders(&service.db)
        .iter()
        .all(|o| o.state == "delivered" || o.state == "failed")
        && Instant::now() < drained
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let tally = Tally::of(&backend, &service.db);
    let (calls, faulted, _) = sim_calls(&backend, last_call);
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
    let (estimates, duplicate_estimates) = price_quotes(&backend);
    let (deliveries, webhook_ok) = backend.webhook_deliveries();
    let (base, peak) = memory.growth(warm_up as f64);
    println!(
        "soak {secs} s against {name}: {requests} requests, {errors} errors ({:.2} %) {kinds:?}; {n} orders: {} lost, {} duplicated; \
         {estimates} quotes from prices, {duplicate_estimates} repeating a request; {sim_total} {name} calls, {sim_faulted} faulted; \
         {webhook_ok} of {deliveries} webhook deliveries accepted ({advances} job steps); RSS {:.1} MiB after warm-up ({warm_up} s), \
         peak {:.1} MiB after, final {:.1} MiB, slope {:+.2} MiB/min",
        errors as f64 * 100.0 / requests.max(1) as f64,
        tally.lost.len() + n.saturating_sub(tally.stored),
        tally.duplicated,
        base as f64 / 1024.0,
        peak as f64 / 1024.0,
        memory.samples.last().map_or(0, |s| s.1) as f64 / 1024.0,
        memory.slope(warm_up as f64),
    );

    if let Backend::PrintIq(sim) = &backend {
        let calls = sim.calls();
        let count =
            |f: &dyn Fn(&printiq_sim::CallRecord) -> bool| calls.iter().filter(|c| f(c)).count();
        println!(
            "printIQ: {} logins, {} calls answered \"Invalid login token\" on purpose, {} AcceptQuote ({} IsError after the job was made), {} GetQuoteDetails; {} acceptances, {} jobs",
            count(&|c| c.endpoint.as_deref() == Some("GetApplicationLogInToken")),
            count(&|c| c.fault.as_deref() == Some("expired_token")),
            count(&|c| c.endpoint.as_deref() == Some("AcceptQuote")),
            count(&|c| c.endpoint.as_deref() == Some("AcceptQuote")
                && c.fault.as_deref() == Some("is_error_after_work")),
            count(&|c| c.endpoint.as_deref() == Some("GetQuoteDetails")),
            sim.acceptances().len(),
            sim.jobs().len(),
        );
    }
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

/// Sets Tharstern faults.
fn tharstern(faults: FaultConfig) -> impl FnOnce(&Backend) {
    move |b| match b {
        Backend::Tharstern(sim) => sim.set_faults(faults).expect("valid faults"),
        _ => unreachable!("Tharstern faults for {}", b.name()),
    }
}

/// The chaos of issue #7, point 2 on printIQ: 20 % 5xx, 10 % hangs, 5 %
/// broken JSON, login tokens expiring after 3 s unused (printIQ's tokens
/// are sliding), 10 % `IsError` on prices (printIQ's refusal, as
/// Success-false estimates are Tharstern's) and 3 % "Invalid login token"
/// there, and on order acceptance 10 % `IsError` after the job was made
/// (the one answer that tempts a connector to accept again). Tokens are
/// declared invalid at random on prices only: twice in a row (the retry
/// right after a fresh login) the connector calls it an authentication
/// failure, which is final for an order (parked, not retried).
fn printiq_chaos(b: &Backend) {
    use printiq_sim::{FaultConfig, FaultSpec};
    let Backend::PrintIq(sim) = b else {
        unreachable!("printIQ faults for {}", b.name())
    };
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
    for (endpoint, spec) in [
        (
            "GetPrice",
            FaultSpec {
                is_error_rate: Some(0.1),
                expired_token_rate: Some(0.03),
                ..FaultSpec::default()
            },
        ),
        (
            "AcceptQuote",
            FaultSpec {
                is_error_after_work_rate: Some(0.1),
                ..FaultSpec::default()
            },
        ),
    ] {
        faults.endpoints.insert(endpoint.into(), spec);
    }
    sim.set_faults(faults).expect("valid faults");
}

/// Point 2's "memory stays flat", in `cargo test`: 15 s of mixed traffic
/// under faults. Bounds: +16 MiB after warm-up (measured +1.7 MiB over
/// ~3,000 requests; a leak of 32 KiB a plugin call fails it), 2 % errors
/// (measured 0 and 0.29 %: the connector retries what the faults break).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_soak_answers_everything_and_keeps_memory_bounded() {
    soak(
        Backend::tharstern().await,
        tharstern(faults()),
        15,
        5,
        5,
        16,
        0.02,
        true,
    )
    .await;
}

/// Point 2 at the fault rates, through the service: every answer
/// right or a typed error, every order in Tharstern once, memory bounded.
/// Bounds: +16 MiB, 25 % errors (measured 2.4 % and 10 %, all typed, on a
/// shared 2-core machine; 20 % of Tharstern calls fail, 10 % hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_through_the_service_answers_everything_and_places_each_order_once() {
    soak(
        Backend::tharstern().await,
        tharstern(chaos_faults()),
        15,
        5,
        5,
        16,
        0.25,
        true,
    )
    .await;
}

/// The same chaos against printIQ (its own faults, [`printiq_chaos`]):
/// every answer right or a typed error, every order exactly one printIQ
/// job, memory bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_through_the_service_on_printiq_makes_exactly_one_job_per_order() {
    soak(
        Backend::printiq().await,
        printiq_chaos,
        15,
        5,
        5,
        16,
        0.25,
        false,
    )
    .await;
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
        Backend::tharstern().await,
        tharstern(faults()),
        secs,
        10,
        (secs / 5).clamp(10, 60),
        32,
        0.01,
        false,
    )
    .await;
}
