//! Figure 3: throughput of cached quotes through the runtime (Tharstern),
//! with the cache `connect-host serve` deploys by default (SQLite).

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use connect_host::service::cache::SqliteCache;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;

use super::setup::{self, PLUGIN, Shared, price_call, tokio_rt};
use super::stats::fmt_rate;
use super::{Options, Report, Target};

/// How each worker picks the next tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pick {
    /// Every tenant in turn (each worker from its own offset).
    RoundRobin,
    /// Uniformly at random: the worst case for an LRU pool.
    Uniform,
    /// Zipf (s = 1): a few storefronts get most of the traffic.
    Zipf,
}

/// Figure 3, throughput of cached quotes through the runtime: 1 and 2 worker
/// threads (each a current-thread tokio runtime, as a server worker),
/// 1, 100 and 10,000 tenants; with 10,000 the idle pool (500) is smaller
/// than the tenant count, and the pool hit rate is reported.
pub fn run(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let (duration, counts, big_pool) = if o.smoke() {
        (Duration::from_millis(100), [1, 10, 100], 20)
    } else {
        (Duration::from_secs(3), [1, 100, 10_000], 500)
    };
    let dir = tempfile::tempdir()?;
    for (i, &count) in counts.iter().enumerate() {
        let big = i == counts.len() - 1;
        let mut config = RuntimeConfig {
            // As `serve` opens it: one file, 64 MiB per storefront.
            cache: Arc::new(SqliteCache::open(
                &dir.path().join(format!("cache-{count}.sqlite")),
                64 << 20,
            )?),
            ..RuntimeConfig::default()
        };
        if big {
            config.pool_capacity = big_pool;
        }
        let (rt, tenants) = tokio_rt().block_on(async {
            let rt = setup::runtime(config).await?;
            let tenants = setup::tenants(&rt, &shared.sim.url(), count).await?;
            anyhow::Ok((rt, Arc::new(tenants)))
        })?;
        let warm = setup::warm_all(&rt, &tenants, 16).context("warming the tenants")?;
        if big {
            r.note(format!(
                "{count} tenants got their first quote in {:.1} s; pool capacity {}",
                warm.as_secs_f64(),
                rt.pool_stats().capacity
            ));
        }
        let picks: &[Pick] = if big {
            &[Pick::Uniform, Pick::Zipf]
        } else {
            &[Pick::RoundRobin]
        };
        for &pick in picks {
            for threads in [1usize, 2] {
                let (rate, hit_rate) = measure(&rt, &tenants, threads, duration, pick)?;
                let tenants_label = super::stats::thousands(count as u64);
                let (what, key) = match pick {
                    Pick::RoundRobin => (String::new(), String::new()),
                    Pick::Uniform => (", uniform".to_string(), ".uniform".to_string()),
                    Pick::Zipf => (", Zipf".to_string(), ".zipf".to_string()),
                };
                let target = !big && threads == 2;
                r.add(
                    3,
                    &format!("throughput.{threads}t.{count}{key}"),
                    &format!(
                        "cached quotes/s (SQLite cache), {threads} thread{}, {tenants_label} tenant{}{what}",
                        if threads == 1 { "" } else { "s" },
                        if count == 1 { "" } else { "s" }
                    ),
                    rate,
                    fmt_rate(rate, "/s"),
                    if target {
                        Target::AtLeast(100_000.0)
                    } else {
                        Target::None
                    },
                    if target { "≥ 100,000/s" } else { "" },
                );
                if big {
                    r.add(
                        3,
                        &format!("throughput.{threads}t.{count}{key}.hits"),
                        &format!("  pool hit rate of the line above (pool {big_pool})"),
                        hit_rate,
                        format!("{:.1} %", hit_rate * 100.0),
                        Target::None,
                        "report",
                    );
                }
            }
        }
    }
    // Does throughput hold as storefronts are added?
    let [one, hundred, many] = counts;
    let rate = |key: String| r.value(&key).unwrap_or(f64::NAN);
    let (hundred_text, many_text) = (
        super::stats::thousands(hundred as u64),
        super::stats::thousands(many as u64),
    );
    let ratios = [
        (
            format!("2 threads: {hundred_text} tenants ÷ {one} tenant"),
            rate(format!("throughput.2t.{hundred}")) / rate(format!("throughput.2t.{one}")),
            0.8,
            "throughput.ratio.tenants",
        ),
        (
            format!("2 threads: {many_text} tenants, Zipf ÷ {hundred_text} tenants"),
            rate(format!("throughput.2t.{many}.zipf")) / rate(format!("throughput.2t.{hundred}")),
            0.5,
            "throughput.ratio.zipf",
        ),
    ];
    for (label, ratio, bound, key) in ratios {
        r.add(
            3,
            key,
            &format!("  cached quotes/s, {label}"),
            ratio,
            format!("{ratio:.2}"),
            Target::AtLeast(bound),
            &format!("≥ {bound}"),
        );
    }
    Ok(())
}

/// Runs `threads` workers for `duration`; answers (quotes/s, pool hit rate).
fn measure(
    rt: &Arc<Runtime>,
    tenants: &Arc<Vec<TenantSpec>>,
    threads: usize,
    duration: Duration,
    pick: Pick,
) -> anyhow::Result<(f64, f64)> {
    let zipf = Arc::new(if pick == Pick::Zipf {
        zipf_cdf(tenants.len())
    } else {
        Vec::new()
    });
    let before = rt.pool_stats();
    let barrier = Arc::new(Barrier::new(threads));
    let results: Vec<anyhow::Result<(u64, Duration)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let (rt, tenants, barrier, zipf) =
                    (rt.clone(), tenants.clone(), barrier.clone(), zipf.clone());
                s.spawn(move || {
                    tokio_rt().block_on(async move {
                        let call = price_call();
                        let n = tenants.len();
                        let mut next = w * n / threads;
                        let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (w as u64 + 1);
                        barrier.wait();
                        let started = Instant::now();
                        let mut calls = 0u64;
                        while started.elapsed() < duration {
                            for _ in 0..16 {
                                let t = match pick {
                                    Pick::RoundRobin => {
                                        next = (next + 1) % n;
                                        next
                                    }
                                    Pick::Uniform => (xorshift(&mut rng) % n as u64) as usize,
                                    Pick::Zipf => {
                                        let u =
                                            (xorshift(&mut rng) >> 11) as f64 / (1u64 << 53) as f64;
                                        zipf.partition_point(|&c| c < u).min(n - 1)
                                    }
                                };
                                match rt.price(&tenants[t], PLUGIN, &call).await {
                                    Ok(q) if q.cached => calls += 1,
                                    other => bail!("quote under load: {other:?}"),
                                }
                            }
                        }
                        Ok((calls, started.elapsed()))
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut calls = 0u64;
    let mut elapsed = Duration::ZERO;
    for result in results {
        let (c, e) = result?;
        calls += c;
        elapsed = elapsed.max(e);
    }
    let after = rt.pool_stats();
    let hits = after.hits - before.hits;
    let total = (after.hits + after.misses) - (before.hits + before.misses);
    Ok((
        calls as f64 / elapsed.as_secs_f64(),
        hits as f64 / total.max(1) as f64,
    ))
}

fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Cumulative Zipf(1) probabilities of ranks 1..=n.
fn zipf_cdf(n: usize) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|k| 1.0 / k as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect()
}
