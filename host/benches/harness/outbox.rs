//! Figure 8, the outbox: durable enqueue rate (`POST /orders` answered 202
//! once the order is committed), and end-to-end delivery to the simulator,
//! through the real `connect-host serve` (see `service.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};

use super::service::{Api, PLUGIN, SF, start_configured};
use super::setup::Shared;
use super::stats::fmt_rate;
use super::{Options, Report, Target};

pub fn run(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let (service, shop, warm, tokio) = start_configured(shared)?;
    let sim = shared.sim.url();
    let before = tokio.block_on(submissions(&shop.http, &sim))?;
    let run = order_burst(o, &tokio, &[shop.on(&service.url)], &warm)?;
    let after = tokio.block_on(submissions(&shop.http, &sim))?;
    r.add(
        8,
        "outbox.enqueue",
        &format!(
            "outbox: accepted/s (POST /orders → 202 once committed, {} clients), first POST to last 202",
            run.clients
        ),
        run.enqueue_rate,
        fmt_rate(run.enqueue_rate, "orders/s"),
        Target::None,
        "report",
    );
    r.add(
        8,
        "outbox.delivery",
        "outbox: end to end, first POST to last order delivered to the simulator",
        run.delivery_rate,
        fmt_rate(run.delivery_rate, "orders/s"),
        Target::None,
        "report",
    );
    r.add(
        8,
        "outbox.delivered",
        "outbox: delivered/s, first delivery to last (the simulator on loopback)",
        run.delivered_rate,
        fmt_rate(run.delivered_rate, "orders/s"),
        Target::None,
        "report",
    );
    let ratio = run.delivered_rate / run.enqueue_rate;
    r.add(
        8,
        "outbox.ratio",
        "  delivered/s ÷ accepted/s, each over its own span (does delivery keep up?)",
        ratio,
        format!("{ratio:.2}"),
        Target::AtLeast(1.0),
        "≥ 1.0",
    );
    // Counted at the simulator: every `orders/submit` it received, and the
    // orders it holds (it answers a repeated UniqueSubmitOrderID with the
    // order it has, so a second submission shows as a call, not an order).
    let calls = after.0 - before.0;
    let orders = after.1 - before.1;
    let extra = calls.saturating_sub(orders) as f64;
    r.add(
        8,
        "outbox.duplicates",
        "  submissions the simulator received beyond one per order",
        extra,
        format!("{extra:.0} ({calls} submissions, {orders} new orders)"),
        Target::AtMost(0.0),
        "0",
    );
    r.note(format!(
        "{}; outbox concurrency {} (the default), SQLite synchronous=FULL",
        run.note,
        connect_host::service::config::OutboxConfig::default().concurrency
    ));
    drop(service);
    Ok(())
}

/// (`orders/submit` calls, orders) the simulator has seen.
async fn submissions(http: &reqwest::Client, sim: &str) -> anyhow::Result<(u64, u64)> {
    let calls: Value = http
        .get(format!(
            "{sim}/_sim/calls?endpoint=orders/submit&method=POST"
        ))
        .send()
        .await?
        .json()
        .await?;
    let orders: Value = http
        .get(format!("{sim}/_sim/orders"))
        .send()
        .await?
        .json()
        .await?;
    let len = |v: &Value| v.as_array().map_or(0, |a| a.len() as u64);
    Ok((len(&calls), len(&orders)))
}

/// What a burst of orders measured.
pub(super) struct Burst {
    pub clients: usize,
    /// Orders/s from the first POST to the last 202.
    pub enqueue_rate: f64,
    /// Orders/s from the first POST to the last delivery.
    pub delivery_rate: f64,
    /// Orders/s from the first delivery to the last.
    pub delivered_rate: f64,
    pub note: String,
}

/// Posts a burst of orders spread over the nodes (`shops`, one client per
/// node), and waits until every one is delivered.
pub(super) fn order_burst(
    o: &Options,
    tokio: &tokio::runtime::Runtime,
    shops: &[Api],
    warm: &Value,
) -> anyhow::Result<Burst> {
    let n: usize = if o.smoke() { 20 } else { 2_000 };
    let clients = 8;
    let metrics_url = format!("{}/metrics", shops[0].base);
    let http = shops[0].http.clone();
    let line = json!({
        "product": "business-cards",
        "quantity": 250,
        "quote_ref": warm["quote_ref"],
        "price": warm["price"],
    });
    let (enqueue, backlog, total, first) = tokio.block_on(async {
        let delivered_before = outbox_counts(&http, &metrics_url).await?.0;
        // When the first order is delivered (looked for every 2 ms).
        let watch = {
            let (http, url) = (http.clone(), metrics_url.clone());
            tokio::spawn(async move {
                loop {
                    if outbox_counts(&http, &url).await?.0 > delivered_before {
                        return anyhow::Ok(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        };
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..clients {
            let (api, next, line) = (shops[c % shops.len()].clone(), next.clone(), line.clone());
            tasks.spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        return anyhow::Ok(());
                    }
                    let order = json!({
                        "id": format!("bench-{i:06}"),
                        "reference": format!("bench order {i}"),
                        "lines": [line],
                    });
                    api.send(
                        "POST",
                        &format!("/api/v1/storefronts/{SF}/orders"),
                        Some(order),
                    )
                    .await?;
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        let enqueued = started.elapsed();
        let delivered_then = outbox_counts(&http, &metrics_url).await?.0 - delivered_before;
        let until = Instant::now() + Duration::from_secs(300);
        loop {
            let (delivered, failed) = outbox_counts(&http, &metrics_url).await?;
            if failed > 0 {
                bail!("{failed} orders failed delivery");
            }
            if delivered - delivered_before >= n as u64 {
                break;
            }
            if Instant::now() > until {
                bail!("only {delivered} of {n} orders delivered in time");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let total = started.elapsed();
        let backlog = (n as u64 - delivered_then) as f64 / (total - enqueued).as_secs_f64();
        let first = watch.await?? - started;
        anyhow::Ok((enqueued, backlog, total, first))
    })?;
    Ok(Burst {
        clients,
        enqueue_rate: n as f64 / enqueue.as_secs_f64(),
        delivery_rate: n as f64 / total.as_secs_f64(),
        delivered_rate: n as f64 / (total - first).as_secs_f64(),
        note: format!(
            "{n} orders from {clients} clients: enqueued in {:.2} s while delivering; the first delivered after {:.3} s, all after {:.2} s; the backlog left after enqueueing drained at {}",
            enqueue.as_secs_f64(),
            first.as_secs_f64(),
            total.as_secs_f64(),
            fmt_rate(backlog, "orders/s")
        ),
    })
}

/// (delivered, failed) orders, from `/metrics`.
async fn outbox_counts(http: &reqwest::Client, url: &str) -> anyhow::Result<(u64, u64)> {
    let text = http.get(url).send().await?.text().await?;
    let count = |state: &str| {
        let prefix = format!("connect_outbox_orders{{plugin=\"{PLUGIN}\",state=\"{state}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((count("delivered"), count("failed")))
}
