//! Figure 6: catalogue refresh of 1k, 10k, 100k and 1M products from the
//! simulator, each in a fresh child process (time and peak resident memory
//! of the host, with the SQLite cache `serve` deploys), the simulator in
//! another child.

use std::time::Instant;

use anyhow::{Context as _, bail};
use connect_host::service::cache::SqliteCache;
use connect_runtime::runtime::RuntimeConfig;
use serde_json::{Value, json};

use super::setup::{self, PLUGIN, Shared, tokio_rt};
use super::stats::{fmt_bytes, fmt_duration, memory, reset_peak, thousands};
use super::{Options, Report, Target};

pub fn run(o: &Options, r: &mut Report, _shared: &Shared) -> anyhow::Result<()> {
    let sizes: &[usize] = if o.smoke() {
        &[100, 1_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    let mut per_product = Vec::new();
    let mut peaks = Vec::new();
    let mut times = Vec::new();
    let mut hwms = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let last = i == sizes.len() - 1;
        let sim = o.relaunch.sim(n)?;
        let v = o
            .relaunch
            .run("refresh", json!({ "sim_url": sim.url(), "products": n }))?;
        drop(sim);
        let secs = v["secs"].as_f64().unwrap_or(f64::NAN);
        let hwm = v["hwm"].as_f64().unwrap_or(f64::NAN);
        let before = v["rss_before"].as_f64().unwrap_or(f64::NAN);
        let label = format!("{} products", thousands(n as u64));
        r.add(
            6,
            &format!("refresh.{n}.time"),
            &format!("catalogue refresh, {label}: time"),
            secs,
            fmt_duration(std::time::Duration::from_secs_f64(secs)),
            if last {
                Target::AtMost(30.0)
            } else {
                Target::None
            },
            if last { "≤ 30 s" } else { "" },
        );
        r.add(
            6,
            &format!("refresh.{n}.peak"),
            &format!("catalogue refresh, {label}: peak resident memory"),
            hwm,
            fmt_bytes(hwm),
            if last {
                Target::AtMost(250e6)
            } else {
                Target::None
            },
            if last { "≤ 250 MB" } else { "" },
        );
        r.note(format!(
            "{label}: {} products and {} product types cached; resident {} before, peak {} (+{}) during the refresh",
            v["products"],
            v["product_types"],
            fmt_bytes(before),
            fmt_bytes(hwm),
            fmt_bytes(hwm - before)
        ));
        per_product.push(secs / n as f64);
        peaks.push(hwm - before);
        times.push(secs);
        hwms.push(hwm);
    }
    let k = per_product.len();
    let ratio = per_product[k - 1] / per_product[k - 2];
    let (a, b) = (sizes[k - 2], sizes[k - 1]);
    r.add(
        6,
        "refresh.linearity",
        &format!(
            "  time per product at {} ÷ at {}",
            thousands(b as u64),
            thousands(a as u64)
        ),
        ratio,
        format!("{ratio:.2}×"),
        Target::AtMost(1.5),
        "linear (≤ 1.5×)",
    );
    let growth = peaks[k - 1] - peaks[k - 2];
    r.add(
        6,
        "refresh.memory_growth",
        &format!(
            "  peak growth from {} to {} products",
            thousands(a as u64),
            thousands(b as u64)
        ),
        growth,
        fmt_bytes(growth),
        Target::None,
        "bounded",
    );
    let time_ratio = times[k - 1] / times[k - 2];
    r.add(
        6,
        "refresh.time_ratio",
        &format!(
            "  refresh time, {} ÷ {} products",
            thousands(b as u64),
            thousands(a as u64)
        ),
        time_ratio,
        format!("{time_ratio:.2}×"),
        Target::AtMost(11.0),
        "≤ 11×",
    );
    r.add(
        6,
        "refresh.largest.peak",
        &format!("  peak resident memory, {} products", thousands(b as u64)),
        hwms[k - 1],
        fmt_bytes(hwms[k - 1]),
        Target::AtMost(64e6),
        "≤ 64 MB",
    );
    Ok(())
}

/// The `refresh` child: a host, one storefront, one refresh.
pub fn child(params: &Value) -> anyhow::Result<Value> {
    let sim_url = params["sim_url"].as_str().context("sim_url")?.to_owned();
    let expected = params["products"].as_u64().context("products")?;
    let dir = tempfile::tempdir()?;
    tokio_rt().block_on(async {
        // The cache `serve` deploys, with room for the whole catalogue.
        let cache = SqliteCache::open(&dir.path().join("cache.sqlite"), 1 << 30)?;
        let rt = setup::runtime(RuntimeConfig {
            cache: std::sync::Arc::new(cache),
            ..RuntimeConfig::default()
        })
        .await?;
        let tenant = setup::tenants(&rt, &sim_url, 1).await?.remove(0);
        // Bind an instance first (not part of the refresh).
        setup::quote(&rt, &tenant).await?;
        let rss_before = memory().0;
        reset_peak();
        let t = Instant::now();
        let answer = rt.refresh_catalogue(&tenant, PLUGIN).await;
        let secs = t.elapsed().as_secs_f64();
        let (rss_after, hwm) = memory();
        let report = match answer {
            Ok(c) => c,
            other => bail!("refresh-catalogue: {other:?}"),
        };
        if u64::from(report.products) < expected {
            bail!(
                "only {} of {expected} products were cached",
                report.products
            );
        }
        Ok(json!({
            "secs": secs,
            "products": report.products,
            "product_types": report.product_types,
            "rss_before": rss_before,
            "rss_after": rss_after,
            "hwm": hwm,
        }))
    })
}
