//! Section 9, the cache backends: one `get` hit per backend, two threads
//! of hits on distinct storefronts (do tenants queue behind each other?),
//! with SQLite on one connection (the former design: one mutex) and on its
//! pool, and the warm quote through the runtime with each backend (Redis: a
//! real `redis-server` on loopback, started here) as a ratio to the
//! in-memory one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_host::service::cache::{RedisCache, SqliteCache};
use connect_runtime::capabilities::cache::{CacheBackend, MemoryCache, Namespace};
use connect_runtime::runtime::RuntimeConfig;
use test_servers::RedisServer;

use super::native::now;
use super::setup::{self, PLUGIN, Shared, expect_cached, price_call, quote, tokio_rt};
use super::stats::{fmt_duration, fmt_rate, summarize};
use super::{Options, Report, Target};

const VALUE: [u8; 600] = [b'q'; 600]; // about a cached quote

pub fn run(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let quota = 64 << 20;
    let backends: [(&str, &str, Arc<dyn CacheBackend>); 3] = [
        ("memory", "memory", Arc::new(MemoryCache::new(quota))),
        (
            "sqlite1",
            "SQLite, 1 connection (one mutex)",
            Arc::new(SqliteCache::open_with(
                &dir.path().join("one.sqlite"),
                quota,
                1,
            )?),
        ),
        (
            "sqlite",
            "SQLite, pool",
            Arc::new(SqliteCache::open(&dir.path().join("pool.sqlite"), quota)?),
        ),
    ];
    let (n, span) = if o.smoke() {
        (100, Duration::from_millis(50))
    } else {
        (50_000, Duration::from_secs(2))
    };
    for (key, label, backend) in &backends {
        let latency = hits(backend.as_ref(), n);
        r.add(
            9,
            &format!("cache.{key}.get"),
            &format!("cache get hit, {label}: median"),
            latency.as_secs_f64(),
            fmt_duration(latency),
            Target::None,
            "",
        );
        let rate = two_threads(backend, span);
        r.add(
            9,
            &format!("cache.{key}.get.2t"),
            &format!("cache get hits/s, 2 threads, 2 storefronts, {label}"),
            rate,
            fmt_rate(rate, "/s"),
            Target::None,
            "",
        );
    }
    warm_quotes(o, r, shared)
}

/// Median of `n` sequential hits on one entry.
fn hits(backend: &dyn CacheBackend, n: usize) -> Duration {
    let ns = Namespace::new("bench-0", PLUGIN);
    now(backend.set(&ns, "quote", &VALUE, None)).expect("set");
    let samples = (0..n)
        .map(|_| {
            let t = Instant::now();
            let hit = now(backend.get(&ns, "quote"));
            let took = t.elapsed();
            assert!(matches!(hit, Ok(Some(_))), "not a hit");
            took
        })
        .collect();
    summarize(samples).median
}

/// Hits per second of two threads, each reading its own storefront's entry.
fn two_threads(backend: &Arc<dyn CacheBackend>, span: Duration) -> f64 {
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let backend = backend.clone();
            std::thread::spawn(move || {
                let ns = Namespace::new(&format!("bench-t{i}"), PLUGIN);
                now(backend.set(&ns, "quote", &VALUE, None)).expect("set");
                let (started, mut calls) = (Instant::now(), 0u64);
                while started.elapsed() < span {
                    for _ in 0..64 {
                        assert!(matches!(now(backend.get(&ns, "quote")), Ok(Some(_))));
                    }
                    calls += 64;
                }
                calls as f64 / started.elapsed().as_secs_f64()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().expect("thread")).sum()
}

/// Redis: one `get` hit. Then the warm quote through the runtime with each
/// backend the service deploys (SQLite, the embedded default of `serve`;
/// Redis, several nodes) beside the in-memory one, in interleaved rounds,
/// and each one's ratio to the in-memory quote.
fn warm_quotes(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let server = RedisServer::start();
    let dir = tempfile::tempdir()?;
    let (rounds, per_round) = if o.smoke() { (2, 50) } else { (10, 2_000) };
    let tokio = tokio_rt();
    let (gets, quotes) = tokio.block_on(async {
        let redis = Arc::new(RedisCache::open(&server.url(), 64 << 20)?);
        let ns = Namespace::new("bench-redis", PLUGIN);
        redis.set(&ns, "quote", &VALUE, None).await?;
        let mut gets = Vec::new();
        for _ in 0..rounds * per_round {
            let t = Instant::now();
            let hit = redis.get(&ns, "quote").await?;
            gets.push(t.elapsed());
            anyhow::ensure!(hit.is_some(), "not a hit");
        }
        let backends: [Arc<dyn CacheBackend>; 3] = [
            Arc::new(MemoryCache::new(64 << 20)),
            Arc::new(SqliteCache::open(
                &dir.path().join("warm.sqlite"),
                64 << 20,
            )?),
            redis,
        ];
        let call = price_call();
        let mut setups = Vec::new();
        for cache in backends {
            let rt = setup::runtime(RuntimeConfig {
                cache,
                ..RuntimeConfig::default()
            })
            .await?;
            let tenant = setup::tenants(&rt, &shared.sim.url(), 1).await?.remove(0);
            quote(&rt, &tenant).await?;
            expect_cached(&quote(&rt, &tenant).await?)?;
            setups.push((rt, tenant, Vec::new()));
        }
        for _ in 0..rounds {
            for (rt, tenant, samples) in &mut setups {
                for _ in 0..per_round {
                    let t = Instant::now();
                    let answer = rt.price(tenant, PLUGIN, &call).await;
                    samples.push(t.elapsed());
                    anyhow::ensure!(matches!(answer, Ok(ref q) if q.cached), "{answer:?}");
                }
            }
        }
        let quotes: Vec<_> = setups.into_iter().map(|(_, _, s)| summarize(s)).collect();
        anyhow::Ok((summarize(gets), quotes))
    })?;
    r.add(
        9,
        "cache.redis.get",
        "cache get hit, Redis on loopback: median",
        gets.median.as_secs_f64(),
        fmt_duration(gets.median),
        Target::None,
        "",
    );
    let memory = quotes[0].median.as_secs_f64();
    for ((key, label), q) in [
        ("memory", "in-memory cache"),
        ("sqlite", "SQLite cache (serve's default)"),
        ("redis", "Redis cache on loopback"),
    ]
    .into_iter()
    .zip(&quotes)
    {
        r.add(
            9,
            &format!("cache.{key}.warm.median"),
            &format!("warm quote through the runtime, {label}: median"),
            q.median.as_secs_f64(),
            fmt_duration(q.median),
            Target::None,
            "",
        );
        if key == "memory" {
            continue;
        }
        let ratio = q.median.as_secs_f64() / memory;
        r.add(
            9,
            &format!("cache.{key}.warm.ratio"),
            "  ÷ the in-memory cache's (medians, same run)",
            ratio,
            format!("{ratio:.2}×"),
            Target::AtMost(1.5),
            "≤ 1.5×",
        );
    }
    Ok(())
}
