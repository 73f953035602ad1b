//! Figure 4: resident memory of a host with 10,000 configured storefronts
//! after each got one quote, measured in a child process of its own.

use std::sync::Arc;

use anyhow::Context as _;
use connect_runtime::runtime::RuntimeConfig;
use serde_json::{Value, json};

use super::setup::{self, Shared, tokio_rt};
use super::stats::{fmt_bytes, memory, thousands};
use super::{Options, Report, Target};

pub fn run(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let tenants = if o.smoke() { 50 } else { 10_000 };
    let v = o.relaunch.run(
        "memory",
        json!({ "sim_url": shared.sim.url(), "tenants": tenants }),
    )?;
    let get = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let per_tenant = (get("rss_quoted") - get("rss_loaded")) / tenants as f64;
    let n = thousands(tenants as u64);
    r.add(
        4,
        "memory.rss",
        &format!("resident memory, {n} storefronts after one quote each"),
        get("rss_quoted"),
        fmt_bytes(get("rss_quoted")),
        Target::AtMost(300e6),
        "≤ 300 MB",
    );
    r.add(
        4,
        "memory.per_tenant",
        "  per storefront (above the host with the plugin loaded)",
        per_tenant,
        fmt_bytes(per_tenant),
        Target::None,
        "",
    );
    r.add(
        4,
        "memory.loaded",
        "  host with the plugin loaded, no storefront",
        get("rss_loaded"),
        fmt_bytes(get("rss_loaded")),
        Target::None,
        "",
    );
    r.note(format!(
        "process start {}, {n} storefronts configured {}, after one quote each {} (peak {}); {} idle instances pooled; first quotes took {:.1} s",
        fmt_bytes(get("rss_start")),
        fmt_bytes(get("rss_configured")),
        fmt_bytes(get("rss_quoted")),
        fmt_bytes(get("hwm")),
        v["idle"],
        get("warm_secs"),
    ));
    Ok(())
}

/// The `memory` child: a host like the service's (default runtime
/// configuration: pooling allocator, instance pool of 500, in-memory cache),
/// `tenants` storefronts, one quote each.
pub fn child(params: &Value) -> anyhow::Result<Value> {
    let sim_url = params["sim_url"].as_str().context("sim_url")?.to_owned();
    let n = params["tenants"].as_u64().context("tenants")? as usize;
    let rss_start = memory().0;
    let (rt, tenants) = tokio_rt().block_on(async {
        let rt = setup::runtime(RuntimeConfig::default()).await?;
        let loaded = memory().0;
        let tenants = setup::tenants(&rt, &sim_url, n).await?;
        anyhow::Ok(((rt, loaded), tenants))
    })?;
    let (rt, rss_loaded) = rt;
    let rss_configured = memory().0;
    let tenants = Arc::new(tenants);
    let warm = setup::warm_all(&rt, &tenants, 16)?;
    let (rss_quoted, hwm) = memory();
    Ok(json!({
        "rss_start": rss_start,
        "rss_loaded": rss_loaded,
        "rss_configured": rss_configured,
        "rss_quoted": rss_quoted,
        "hwm": hwm,
        "idle": rt.pool_stats().idle,
        "warm_secs": warm.as_secs_f64(),
    }))
}
