//! Section 10, the deployments side by side, in one run: the REST price
//! endpoint (warm cache) and a burst of orders through the outbox, with
//! 1 node on the embedded SQLite store and cache, 1 node on PostgreSQL +
//! Redis, and 2 nodes sharing them. Real `connect-host serve` processes,
//! a real PostgreSQL and `redis-server` on loopback, started here; every
//! process (load generator, nodes, databases, simulator) shares the
//! machine's cores, so 2 nodes show the cost of sharing, not a scale-out.

use test_servers::{PostgresServer, RedisServer};

use super::outbox::order_burst;
use super::service::{Api, configure, price_load, start_service};
use super::setup::{Shared, tokio_rt};
use super::stats::{fmt_duration, fmt_rate};
use super::{Options, Report, Target};

/// Every node of a deployment seals and opens settings with this key.
const SECRET_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

pub fn run(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let pg = PostgresServer::start();
    let redis = RedisServer::start();
    let deployments = [
        ("sqlite", "1 node, SQLite store + cache", 1, false),
        ("pg1", "1 node, PostgreSQL + Redis", 1, true),
        ("pg2", "2 nodes, PostgreSQL + Redis", 2, true),
    ];
    for (i, (key, label, nodes, shared_state)) in deployments.into_iter().enumerate() {
        let (store, cache) = if shared_state {
            let store = pg.new_database(&format!("bench_{key}"));
            (store, format!("redis://127.0.0.1:{}/{i}", redis.port()))
        } else {
            Default::default()
        };
        let env: Vec<(&str, &str)> = if shared_state {
            vec![
                ("CONNECT_STORE_URL", &store),
                ("CONNECT_CACHE_URL", &cache),
                ("CONNECT_SECRET_KEY", SECRET_KEY),
            ]
        } else {
            Vec::new()
        };
        let services = (0..nodes)
            .map(|_| start_service(&env))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let tokio = tokio_rt();
        let (shop, warm) =
            tokio.block_on(configure(&Api::admin(&services[0].url), &shared.sim.url()))?;
        let shops: Vec<Api> = services.iter().map(|s| shop.on(&s.url)).collect();

        let (rps, p99, how) = price_load(o, &tokio, &shops)?;
        r.add(
            10,
            &format!("nodes.{key}.rest"),
            &format!("REST price, warm cache, {label}: requests/s"),
            rps,
            format!("{} (p99 {})", fmt_rate(rps, "req/s"), fmt_duration(p99)),
            Target::None,
            "report",
        );
        r.note(format!("{label}: {how}"));

        let burst = order_burst(o, &tokio, &shops, &warm)?;
        r.add(
            10,
            &format!("nodes.{key}.outbox"),
            &format!("outbox delivered/s, {label}"),
            burst.delivery_rate,
            format!(
                "{} (accepted {})",
                fmt_rate(burst.delivery_rate, "orders/s"),
                fmt_rate(burst.enqueue_rate, "orders/s")
            ),
            Target::None,
            "report",
        );
        r.note(format!("{label}: {}", burst.note));
    }
    Ok(())
}
