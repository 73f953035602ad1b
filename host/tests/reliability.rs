//! Reliability at the plugin boundary: one tenant's runaway plugin does not
//! hurt another's calls, and under a faulty Tharstern every answer is right
//! or a typed error, with no duplicate estimate or order.
//!
//! Figures are printed (`cargo test --release -p connect-host --test
//! reliability -- --nocapture`); isolation's p99 is also asserted: the
//! median over 3 rounds within 2x of the undisturbed one, or under a 100 ms
//! floor, so a loaded shared machine does not fail it while a blocked
//! executor (hundreds of ms) does.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use connect_runtime::contract::PriceRequest;
use connect_runtime::error::CallError;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;
use tharstern_sim::{FaultConfig, FaultSpec};

fn rogue_price(behaviour: &str) -> PriceRequest {
    price_request(behaviour, 1, no_customer())
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

/// Steady calls, one due every 3 ms for `how_long`; every one must
/// succeed. Returns latencies measured from when each call was due, so a
/// stalled executor counts against every call it delayed (no coordinated
/// omission).
async fn steady(rt: &Runtime, tenant: &TenantSpec, how_long: Duration) -> Vec<Duration> {
    let mut samples = Vec::new();
    let mut due = Instant::now();
    let end = due + how_long;
    while due < end {
        tokio::time::sleep_until(due.into()).await;
        let reply = rt.price(tenant, "rogue", &rogue_price("echo")).await;
        samples.push(due.elapsed());
        assert!(reply.is_ok(), "the steady tenant's call failed: {reply:?}");
        due += Duration::from_millis(3);
    }
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_tenant_keeps_working_while_others_loop_and_exhaust_memory() {
    let mut config = RuntimeConfig {
        artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
        ..RuntimeConfig::default()
    };
    config.limits.deadline = Duration::from_millis(500);
    config.limits.memory_bytes = 32 << 20;
    let rt = Arc::new(Runtime::new(config).unwrap());
    rt.load_plugin(Path::new(connect_artifacts::ROGUE))
        .await
        .unwrap();
    let steady_tenant = TenantSpec::new("steady", vec![]);

    // Rounds of an undisturbed baseline, then the same calls while one
    // tenant loops and one exhausts its memory. The medians of the rounds'
    // p99s are compared, so one hiccup of a shared machine does not decide.
    let mut rounds = Vec::new();
    let mut stopped = [0usize; 2];
    for _ in 0..ROUNDS {
        let mut baseline = steady(&rt, &steady_tenant, Duration::from_millis(1000)).await;
        let (mut loaded, runaway) = under_load(&rt, &steady_tenant).await;
        stopped = [stopped[0] + runaway[0], stopped[1] + runaway[1]];
        let (b99, l99) = (
            percentile(&mut baseline, 0.99),
            percentile(&mut loaded, 0.99),
        );
        eprintln!(
            "isolation round: baseline {} calls p50 {:?} p99 {b99:?}; under load {} calls p50 {:?} p99 {l99:?} (ratio {:.2})",
            baseline.len(),
            percentile(&mut baseline, 0.5),
            loaded.len(),
            percentile(&mut loaded, 0.5),
            l99.as_secs_f64() / b99.as_secs_f64()
        );
        rounds.push((b99, l99));
    }
    assert!(
        stopped.iter().all(|&n| n > 0),
        "the misbehaving tenants did not run: {stopped:?}"
    );
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let b99 = median(rounds.iter().map(|r| r.0).collect());
    let l99 = median(rounds.iter().map(|r| r.1).collect());
    // Within 2x of the undisturbed p99, or under a floor far below what a
    // blocked executor costs (see `P99_FLOOR`).
    let bound = (b99 * 2).max(P99_FLOOR);
    eprintln!(
        "isolation: median p99 {l99:?} under load vs {b99:?} undisturbed (ratio {:.2}, bound {bound:?}); runaway calls stopped: loop {}, memory {}",
        l99.as_secs_f64() / b99.as_secs_f64(),
        stopped[0],
        stopped[1]
    );
    assert!(
        l99 <= bound,
        "the steady tenant's p99 under load ({l99:?}) exceeds 2x its undisturbed p99 ({b99:?}) and the {P99_FLOOR:?} floor"
    );
}

/// Measurement rounds of the isolation test.
const ROUNDS: usize = 3;
/// The p99 always accepted under load: 10 epoch ticks. A guest runs a tick
/// at a time, so on 2 cores a steady call may queue a tick or two behind
/// the runaways (15-40 ms measured on a loaded 2-core machine, debug
/// build); a guest that does not yield holds a thread for its whole 500 ms
/// deadline (p99 1.4 s when that was broken on purpose).
const P99_FLOOR: Duration = Duration::from_millis(100);

/// Steady calls for 2 s while a looping and a memory-hoarding tenant run;
/// answers the latencies and how many runaway calls were stopped.
async fn under_load(rt: &Arc<Runtime>, steady_tenant: &TenantSpec) -> (Vec<Duration>, [usize; 2]) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut misbehaving = Vec::new();
    for (tenant, behaviour, expect) in [
        ("looper", "loop", "deadline"),
        ("hoarder", "grow", "memory-limit"),
    ] {
        let (rt, stop) = (rt.clone(), stop.clone());
        misbehaving.push(tokio::spawn(async move {
            let t = TenantSpec::new(tenant, vec![]);
            let mut stopped = 0;
            while !stop.load(Ordering::Relaxed) {
                let err = rt
                    .price(&t, "rogue", &rogue_price(behaviour))
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), expect, "{err}");
                stopped += 1;
            }
            stopped
        }));
    }
    // Let both start misbehaving before measuring.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let loaded = steady(rt, steady_tenant, Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut stopped = [0; 2];
    for (i, m) in misbehaving.into_iter().enumerate() {
        stopped[i] = m.await.unwrap();
    }
    (loaded, stopped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_answers_are_right_or_typed_and_nothing_is_duplicated() {
    let sim = sim().await;
    let mut config = RuntimeConfig::default();
    config.limits.call_timeout = Duration::from_secs(5);
    config.limits.http.first_byte_timeout = Duration::from_millis(700);
    config.limits.http.total_timeout = Duration::from_millis(1500);
    let rt = runtime_with(config).await;
    let t = tenant(
        &rt,
        "chaos",
        settings(&sim, &[("stock_cache_seconds", "0")]),
    )
    .await;
    let mut faults = FaultConfig {
        global: FaultSpec {
            server_error_rate: Some(0.2),
            hang_rate: Some(0.1),
            malformed_json_rate: Some(0.05),
            ..Default::default()
        },
        token_lifetime_secs: Some(3),
        hang_secs: Some(3),
        ..Default::default()
    };
    faults.endpoints.insert(
        "estrequest".into(),
        FaultSpec {
            success_false_rate: Some(0.1),
            ..Default::default()
        },
    );
    sim.set_faults(faults).unwrap();

    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut ok = 0usize;
    let mut total = 0usize;
    let mut record = |r: Result<(), CallError>| {
        total += 1;
        match r {
            Ok(()) => ok += 1,
            Err(e) => {
                assert!(
                    matches!(e, CallError::Plugin { .. } | CallError::Timeout { .. }),
                    "not a typed error: {e:?}"
                );
                *kinds.entry(e.kind().to_owned()).or_default() += 1;
            }
        }
    };
    for i in 0..30u32 {
        let quantity = 100 + i;
        let r = price(&rt, &t, price_request("2", quantity, no_customer())).await;
        if let Ok(q) = &r {
            // A right answer: the estimate the quote names has this total.
            let est = sim
                .state()
                .estimates()
                .into_iter()
                .find(|e| Some(e.id.to_string()) == q.quote_ref)
                .expect("the quoted estimate exists");
            assert_eq!(est.quantity, i64::from(quantity));
        }
        record(r.map(|_| ()));
        let r = stock(&rt, &t, "STK-PEN", Some(10)).await;
        if let Ok(s) = &r {
            assert!(s.free > 0 && s.meets_minimum == Some(true), "{s:?}");
        }
        record(r.map(|_| ()));
    }
    // Orders are retried as the outbox would: until placed.
    for i in 0..15u32 {
        let id = format!("CHAOS-{i}");
        let mut placed = false;
        for _attempt in 0..12 {
            let r = submit(
                &rt,
                &t,
                order(&id, no_customer(), vec![stock_line("STK-PEN", 1)]),
            )
            .await;
            let retry = r.as_ref().err().is_some_and(CallError::is_retryable);
            placed = r.is_ok();
            record(r.map(|_| ()));
            if placed || !retry {
                break;
            }
        }
        assert!(placed, "order {id} was never placed");
    }
    sim.set_faults(FaultConfig::default()).unwrap();

    let mut titles = HashSet::new();
    for e in sim.state().estimates() {
        assert!(
            titles.insert(e.title.clone()),
            "duplicate estimate {}",
            e.title
        );
    }
    let orders = sim.state().orders();
    let ids: HashSet<_> = orders
        .iter()
        .map(|o| o.unique_submit_order_id.clone())
        .collect();
    assert_eq!(ids.len(), orders.len(), "a duplicate order");
    assert_eq!(orders.len(), 15, "every order exactly once");
    eprintln!(
        "chaos: {ok}/{total} calls answered ({:.0}%), typed errors by kind {kinds:?}; {} estimates, {} orders, 0 duplicates",
        100.0 * ok as f64 / total as f64,
        titles.len(),
        orders.len()
    );
}
