//! Figures 1-2: warm quotes (runtime vs native, same run), quotes on a new
//! instance of a warm tenant (pooling and on-demand allocators), for
//! Tharstern and for printIQ (same figures, labels prefixed `printIQ: `,
//! keys `warm.printiq.…`), and the first quote of a brand-new storefront.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use connect_runtime::capabilities::cache::{MemoryCache, Namespace, TenantCache};
use connect_runtime::contract::Settings;
use connect_runtime::engine::{AllocatorKind, EngineOptions};
use connect_runtime::runtime::RuntimeConfig;
use tharstern_connector::Connector;

use super::setup::{self, Mis, Shared, expect_cached, tokio_rt};
use super::stats::{fmt_duration, summarize};
use super::{Options, Report, Target, native};

/// Figure 1, warm price quote: the tenant's instance is alive and the quote is in
/// its cache. The same request through the runtime, and through the same
/// connector source compiled natively over the same cache backend and
/// namespace, interleaved in rounds so that both see the same machine.
/// Tharstern first, then printIQ.
pub fn warm(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    warm_one(o, r, shared, Mis::Tharstern, native::connector)?;
    warm_one(o, r, shared, Mis::PrintIq, native::printiq)
}

fn warm_one<C: Connector>(
    o: &Options,
    r: &mut Report,
    shared: &Shared,
    mis: Mis,
    make_native: fn(TenantCache, &Settings) -> anyhow::Result<C>,
) -> anyhow::Result<()> {
    let sim_url = shared.sim_of(mis)?.url();
    let (rounds, per_round, warmup) = if o.smoke() {
        (2, 100, 10)
    } else {
        (10, 20_000, 20_000)
    };
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let tokio = tokio_rt();
    let (rt_samples, native_samples) = tokio.block_on(async {
        let rt = mis
            .runtime(RuntimeConfig {
                cache: cache.clone(),
                ..RuntimeConfig::default()
            })
            .await?;
        let tenant = mis.tenant(&rt, &sim_url).await?;
        let first = mis.quote(&rt, &tenant).await?; // over HTTP: fills the cache
        expect_cached(&mis.quote(&rt, &tenant).await?)?;

        let connector = make_native(
            TenantCache {
                backend: cache.clone(),
                ns: Namespace::new(tenant.id(), mis.plugin()),
            },
            tenant.settings(),
        )?;
        let request = native::price_request(&mis.price_request());
        let q = connector
            .price(&request)
            .map_err(|e| anyhow::anyhow!("native price: {e:?}"))?;
        if !q.cached || q.total.minor_units != first.total.minor_units {
            bail!("the native connector did not answer the runtime's cached quote: {q:?}");
        }

        let call = mis.price_request();
        for _ in 0..warmup {
            black_box(rt.price(&tenant, mis.plugin(), &call).await.ok());
            black_box(connector.price(&request).ok());
        }
        let mut rt_samples = Vec::with_capacity(rounds * per_round);
        let mut native_samples = Vec::with_capacity(rounds * per_round);
        for _ in 0..rounds {
            for _ in 0..per_round {
                let t = Instant::now();
                let answer = rt.price(&tenant, mis.plugin(), &call).await;
                rt_samples.push(t.elapsed());
                if !matches!(answer, Ok(ref q) if q.cached) {
                    bail!("warm quote through the runtime: {answer:?}");
                }
            }
            for _ in 0..per_round {
                let t = Instant::now();
                let answer = connector.price(black_box(&request));
                native_samples.push(t.elapsed());
                if !matches!(answer, Ok(ref q) if q.cached) {
                    bail!("warm quote natively: {answer:?}");
                }
            }
        }
        anyhow::Ok((rt_samples, native_samples))
    })?;
    let rt_s = summarize(rt_samples);
    let nat = summarize(native_samples);
    let secs = |d: Duration| d.as_secs_f64();
    r.add(
        1,
        &format!("warm.{}runtime.median", mis.key()),
        &format!("{}warm quote through the runtime: median", mis.label()),
        secs(rt_s.median),
        fmt_duration(rt_s.median),
        Target::AtMost(5e-6),
        "≤ 5 µs (stretch ≤ 2 µs)",
    );
    r.add(
        1,
        &format!("warm.{}runtime.p99", mis.key()),
        &format!("{}warm quote through the runtime: p99", mis.label()),
        secs(rt_s.p99),
        fmt_duration(rt_s.p99),
        Target::None,
        "",
    );
    r.add(
        1,
        &format!("warm.{}native.median", mis.key()),
        &format!(
            "{}warm quote, native build of the connector (opt 3, 1 CGU): median",
            mis.label()
        ),
        secs(nat.median),
        fmt_duration(nat.median),
        Target::None,
        "",
    );
    r.add(
        1,
        &format!("warm.{}native.p99", mis.key()),
        &format!(
            "{}warm quote, native build of the connector (opt 3, 1 CGU): p99",
            mis.label()
        ),
        secs(nat.p99),
        fmt_duration(nat.p99),
        Target::None,
        "",
    );
    let ratio = secs(rt_s.median) / secs(nat.median);
    r.add(
        1,
        &format!("warm.{}ratio", mis.key()),
        &format!("{}warm quote: runtime ÷ native (medians)", mis.label()),
        ratio,
        format!("{ratio:.2}×"),
        Target::AtMost(4.0),
        "≤ 4× (stretch ≤ 3×)",
    );
    r.note(format!(
        "{}{} samples per side in {rounds} interleaved rounds; means {} (runtime) and {} (native)",
        mis.label(),
        rt_s.n,
        fmt_duration(rt_s.mean),
        fmt_duration(nat.mean)
    ));
    Ok(())
}

/// Figure 2, a new instance of a warm tenant: no idle instance (pool
/// capacity 0), so every call
/// instantiates from the plugin's `InstancePre`, runs `init` with the
/// tenant's settings, then `price` (answered from the warm cache), and
/// drops the instance. Tharstern first, then printIQ.
pub fn cold(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    for mis in Mis::ALL {
        cold_one(o, r, shared, mis)?;
    }
    first_quote(o, r, shared)
}

/// The first quote of a brand-new storefront (Tharstern): a new instance,
/// then over loopback to the simulator a token (`GenerateAPIToken`) and an
/// estimate, then the answer cached. Each storefront has its own
/// credentials and cache namespace, so nothing is shared between them.
fn first_quote(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let n = if o.smoke() { 5 } else { 300 };
    let samples = tokio_rt().block_on(async {
        let rt = setup::runtime(RuntimeConfig::default()).await?;
        let tenants = setup::tenants(&rt, &shared.sim.url(), n).await?;
        let mut samples = Vec::with_capacity(n);
        for tenant in &tenants {
            let t = Instant::now();
            let q = setup::quote(&rt, tenant).await?;
            samples.push(t.elapsed());
            if q.cached {
                bail!("a brand-new storefront's first quote came from a cache");
            }
        }
        anyhow::Ok(samples)
    })?;
    let s = summarize(samples);
    for (what, d) in [("median", s.median), ("p99", s.p99)] {
        r.add(
            2,
            &format!("first.{what}"),
            &format!("first quote of a brand-new storefront (token + estimate): {what}"),
            d.as_secs_f64(),
            fmt_duration(d),
            Target::None,
            if what == "median" { "measured" } else { "" },
        );
    }
    Ok(())
}

fn cold_one(o: &Options, r: &mut Report, shared: &Shared, mis: Mis) -> anyhow::Result<()> {
    let sim_url = shared.sim_of(mis)?.url();
    let (n, warmup) = if o.smoke() { (20, 2) } else { (5_000, 500) };
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let tokio = tokio_rt();
    for (name, pooling) in [("pooling", true), ("on-demand", false)] {
        let (samples, allocator, misses) = tokio.block_on(async {
            let rt = mis
                .runtime(RuntimeConfig {
                    engine: EngineOptions {
                        pooling,
                        ..EngineOptions::default()
                    },
                    pool_capacity: 0,
                    cache: cache.clone(),
                    ..RuntimeConfig::default()
                })
                .await?;
            let tenant = mis.tenant(&rt, &sim_url).await?;
            mis.quote(&rt, &tenant).await?; // the first runtime fills the cache
            for _ in 0..warmup {
                black_box(mis.quote(&rt, &tenant).await?);
            }
            let before = rt.pool_stats().misses;
            let call = mis.price_request();
            let mut samples = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                let answer = rt.price(&tenant, mis.plugin(), &call).await;
                samples.push(t.elapsed());
                if !matches!(answer, Ok(ref q) if q.cached) {
                    bail!("cold quote: {answer:?}");
                }
            }
            let misses = rt.pool_stats().misses - before;
            anyhow::Ok((samples, rt.allocator(), misses))
        })?;
        if misses != n as u64 {
            bail!(
                "{}{n} cold calls but only {misses} instantiations",
                mis.label()
            );
        }
        let want = if pooling {
            AllocatorKind::Pooling
        } else {
            AllocatorKind::OnDemand
        };
        if allocator != want {
            r.note(format!(
                "{}asked for the {name} allocator, got {allocator:?} (the pool could not be reserved)",
                mis.label()
            ));
        }
        let s = summarize(samples);
        let (target, text) = if pooling {
            (Target::AtMost(40e-6), "≤ 40 µs")
        } else {
            (Target::None, "")
        };
        r.add(
            2,
            &format!("cold.{}{name}.median", mis.key()),
            &format!(
                "{}new instance of a warm tenant, {name} allocator: median",
                mis.label()
            ),
            s.median.as_secs_f64(),
            fmt_duration(s.median),
            target,
            text,
        );
        r.add(
            2,
            &format!("cold.{}{name}.p99", mis.key()),
            &format!(
                "{}new instance of a warm tenant, {name} allocator: p99",
                mis.label()
            ),
            s.p99.as_secs_f64(),
            fmt_duration(s.p99),
            Target::None,
            "",
        );
        // Against the native warm quote of this run's warm section.
        let native = r.value(&format!("warm.{}native.median", mis.key()));
        if let (true, Some(native)) = (pooling, native) {
            let ratio = s.median.as_secs_f64() / native;
            r.add(
                2,
                &format!("cold.{}ratio", mis.key()),
                &format!("{}  ÷ native warm quote (medians, same run)", mis.label()),
                ratio,
                format!("{ratio:.1}×"),
                Target::AtMost(40.0),
                "≤ 40×",
            );
        }
    }
    Ok(())
}
