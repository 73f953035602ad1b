//! Two nodes, one Redis: the Tharstern connector's `.wasm` in two real
//! runtimes (two "nodes") sharing a real `redis-server` as their cache. A
//! quote answered on one is a cache hit on the other, with no call to
//! Tharstern.

mod common;

use std::sync::Arc;

use common::*;
use connect_host::service::cache::RedisCache;
use connect_runtime::runtime::RuntimeConfig;
use test_servers::RedisServer;

async fn node(redis: &RedisServer) -> Arc<connect_runtime::runtime::Runtime> {
    runtime_with(RuntimeConfig {
        cache: Arc::new(RedisCache::open(&redis.url(), 64 << 20).unwrap()),
        ..RuntimeConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_made_on_one_node_is_a_cache_hit_on_another() {
    let redis = RedisServer::start();
    let sim = sim().await;
    let (a, b) = (node(&redis).await, node(&redis).await);
    let on_a = tenant(&a, "shared", settings(&sim, &[])).await;
    let on_b = tenant(&b, "shared", settings(&sim, &[])).await;

    let first = price(&a, &on_a, price_request("1", 250, no_customer()))
        .await
        .unwrap();
    assert!(!first.cached);
    assert_eq!(sim.state().estimates().len(), 1);

    let calls = sim.calls().len();
    let second = price(&b, &on_b, price_request("1", 250, no_customer()))
        .await
        .unwrap();
    assert!(
        second.cached,
        "node b did not find node a's quote: {second:?}"
    );
    assert_eq!(second.total.minor_units, first.total.minor_units);
    assert_eq!(sim.calls().len(), calls, "node b called Tharstern");

    // Another storefront on node b shares nothing with this one.
    let other = tenant(&b, "other", settings(&sim, &[])).await;
    let theirs = price(&b, &other, price_request("1", 250, no_customer()))
        .await
        .unwrap();
    assert!(!theirs.cached, "one storefront read another's cache");

    // Settings changed on node a: its cache is cleared for node b too.
    a.reset_tenant("shared", "tharstern").await;
    let after = price(&b, &on_b, price_request("1", 250, no_customer()))
        .await
        .unwrap();
    assert!(!after.cached, "node b answered from a cleared cache");
}
