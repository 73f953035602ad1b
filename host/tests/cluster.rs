//! Several nodes, nothing lost when one dies (issue #14): a real PostgreSQL
//! and a real Redis, started here on free loopback ports, and three real
//! `connect-host serve` processes sharing them, in front of the Tharstern
//! simulator in duplicate-recording mode (a repeated `UniqueSubmitOrderID`
//! makes a second order, so a duplicate submission is counted).
//!
//! - A quote answered on one node is a cache hit on another (Redis), and a
//!   storefront changed on one node is seen at once by another (the change
//!   feed: without it, that node would keep its decoded copy). An admin
//!   session and a signed webhook's replay memory hold on every node.
//! - A burst of orders spread over the nodes by storefront clients that
//!   move to the next node when one refuses (as a load balancer does); one
//!   node is SIGKILLed while it holds orders mid-delivery. Its orders are
//!   delivered by the other nodes once its claims lapse, before it comes
//!   back; it is restarted and takes work again.
//! - At the end, counted at the simulator: every order delivered exactly
//!   once, each stored with its back-office order's id; the storefront's
//!   catalogue, due once while every node looked each second, refreshed by
//!   one node only.
//!
//! `cargo test` runs 1,000 orders; `CLUSTER_ORDERS=5000 cargo test -p
//! connect-host --test cluster -- --nocapture` runs more.

mod service_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::backend::{Backend, Tally};
use service_support::process::{ServiceProcess, StoredOrder};
use service_support::*;
use test_servers::{PostgresServer, RedisServer};

const NODES: usize = 3;
const ORDERS: usize = 1000;
/// Storefront clients posting at once.
const CLIENTS: usize = 12;
/// Claims lapse 3 s after their node stops renewing them.
const LEASE_SECS: u64 = 3;
const QUIET: &[(&str, &str)] = &[("RUST_LOG", "error")];
/// Orders posted to the killed node once it is back.
const AFTER_RESTART: usize = 20;

struct Cluster {
    nodes: Vec<ServiceProcess>,
    /// Every node's environment: quiet logs, and the one secret key every
    /// node seals and opens settings with.
    env: Vec<(String, String)>,
    db: tokio_postgres::Client,
}

impl Cluster {
    async fn start(pg_url: &str, redis_url: &str, shared: &std::path::Path) -> Self {
        let sections = format!(
            "[store]\nurl = \"{pg_url}\"\n[cache]\nurl = \"{redis_url}\"\n\
             [outbox]\nconcurrency = 4\nmax_attempts = 100\ninitial_backoff_ms = 50\n\
             max_backoff_ms = 500\npoll_ms = 500\nlease_secs = {LEASE_SECS}\n"
        );
        let key = shared.join("secret.key").display().to_string();
        let mut cluster = Self {
            nodes: (0..NODES).map(|_| ServiceProcess::new(&sections)).collect(),
            env: QUIET
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([
                    ("CONNECT_STORAGE_SECRET_KEY_FILE".into(), key),
                    // Every node looks for due catalogue refreshes each second.
                    ("CONNECT_CATALOGUE_CHECK_SECS".into(), "1".into()),
                ])
                .collect(),
            db: connect(pg_url).await,
        };
        // The first node creates the key (and the schema); the others start
        // together, migrating under the store's lock.
        cluster.start_node(0).await;
        let env: Vec<(&str, &str)> = cluster.env.iter().map(|(k, v)| (&**k, &**v)).collect();
        for node in &mut cluster.nodes[1..] {
            node.spawn(&env);
        }
        for node in &mut cluster.nodes[1..] {
            node.wait_healthy().await;
        }
        cluster
    }

    async fn start_node(&mut self, i: usize) {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (&**k, &**v)).collect();
        self.nodes[i].start(&env).await;
    }

    fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.url.clone()).collect()
    }

    /// Orders a node holds mid-delivery (its name carries its process id).
    async fn held_by(&self, pid: u32) -> Vec<String> {
        let pattern = format!("%/{pid}/%");
        self.db
            .query(
                "SELECT id FROM orders WHERE state = 'delivering' AND claimed_by LIKE $1",
                &[&pattern],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    async fn count(&self, state: &str) -> usize {
        let n: i64 = self
            .db
            .query_one("SELECT count(*) FROM orders WHERE state = $1", &[&state])
            .await
            .unwrap()
            .get(0);
        n as usize
    }

    async fn stored(&self) -> Vec<StoredOrder> {
        self.db
            .query(
                "SELECT id, state, backend_order_id, last_error FROM orders ORDER BY id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| StoredOrder {
                id: r.get(0),
                state: r.get(1),
                backend_order_id: r.get(2),
                last_error: r.get(3),
            })
            .collect()
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connecting to the test PostgreSQL");
    tokio::spawn(conn);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_one_killed_mid_burst_lose_and_duplicate_nothing() {
    let n: usize = std::env::var("CLUSTER_ORDERS")
        .ok()
        .map(|v| v.parse().expect("CLUSTER_ORDERS: a number of orders"))
        .unwrap_or(ORDERS);
    let pg = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap();
    let redis = tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap();
    let pg_url = pg.new_database("cluster");
    let shared = tempfile::tempdir().unwrap();
    let backend = Backend::tharstern().await;
    let mut cluster = Cluster::start(&pg_url, &redis.url(), shared.path()).await;
    let apis: Vec<Api> = cluster.urls().iter().map(|u| Api::new(u)).collect();
    backend.configure_storefront(&apis[0]).await;

    shared_cache_and_changes(&apis, &backend).await;
    sessions_and_replays_hold_on_every_node(&cluster.urls(), &apis[0]).await;

    // Slow enough that deliveries are in flight when the node dies; some
    // submissions fail, or create the order and answer garbage.
    if let Backend::Tharstern(sim) = &backend {
        use tharstern_sim::{FaultConfig, FaultSpec};
        let mut faults = FaultConfig::default();
        faults.endpoints.insert(
            "orders/submit".into(),
            FaultSpec {
                latency_ms: Some(40),
                server_error_rate: Some(0.02),
                malformed_json_rate: Some(0.02),
                ..FaultSpec::default()
            },
        );
        sim.set_faults(faults).expect("valid faults");
    }

    let started = Instant::now();
    let stats = Arc::new(Stats::default());
    let mut clients = start_clients(cluster.urls(), n, backend.order_lines(), stats.clone());

    // Kill node 1 once a third is accepted and it holds deliveries.
    const VICTIM: usize = 1;
    let pid = cluster.nodes[VICTIM].pid();
    let until = Instant::now() + Duration::from_secs(120);
    let held = loop {
        let held = cluster.held_by(pid).await;
        if stats.accepted.load(SeqCst) >= n / 3 && !held.is_empty() {
            break held;
        }
        assert!(
            Instant::now() < until,
            "node {VICTIM} never held a delivery with a third of the orders accepted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    cluster.nodes[VICTIM].kill();
    let killed_at = Instant::now();
    let held_after = cluster.held_by(pid).await;
    println!(
        "SIGKILL node {VICTIM} with {} orders accepted, {} delivered, {} held mid-delivery by it",
        stats.accepted.load(SeqCst),
        cluster.count("delivered").await,
        held_after.len().max(held.len()),
    );

    // Its orders are taken over by the others once its claims lapse.
    let until = Instant::now() + Duration::from_secs(LEASE_SECS + 60);
    loop {
        let stored = cluster.stored().await;
        let pending: Vec<_> = held_after
            .iter()
            .filter(|id| {
                stored
                    .iter()
                    .any(|o| &o.id == *id && o.state != "delivered")
            })
            .collect();
        if pending.is_empty() {
            break;
        }
        assert!(
            Instant::now() < until,
            "the dead node's orders {pending:?} were not taken over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let taken_over = killed_at.elapsed();
    println!(
        "the {} orders it held were delivered by the other nodes {:.1} s after the kill (lease {LEASE_SECS} s)",
        held_after.len(),
        taken_over.as_secs_f64()
    );

    // Back it comes, while the burst goes on if it still does; then it
    // takes orders of its own.
    cluster.start_node(VICTIM).await;
    while let Some(done) = clients.join_next().await {
        done.expect("client task");
    }
    let path = format!("/api/v1/storefronts/{SF}/orders");
    for i in n..n + AFTER_RESTART {
        let body = order_body(i, backend.order_lines());
        let answer = apis[VICTIM].ok("POST", &path, Some(body), 202).await;
        assert_eq!(answer["created"], true, "{answer}");
    }
    let n = n + AFTER_RESTART;
    let until = Instant::now() + Duration::from_secs(180);
    while cluster.count("delivered").await < n {
        assert!(
            Instant::now() < until,
            "{} of {n} delivered after 180 s",
            cluster.count("delivered").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();

    let tally = Tally::of_stored(&backend, cluster.stored().await);
    println!(
        "{n} orders through {NODES} nodes in {:.1} s (accepted per node {:?}, {} refused while down, \
         {} cut off): {} lost, {} duplicated in Tharstern",
        elapsed.as_secs_f64(),
        stats.per_node(),
        stats.refused.load(SeqCst),
        stats.cut_off.load(SeqCst),
        tally.lost.len(),
        tally.duplicated,
    );
    tally.assert_exactly_once(n);

    // The storefront's catalogue fell due once (its interval is a day);
    // three nodes looked every second: one refreshed it.
    let refreshes = match &backend {
        Backend::Tharstern(sim) => sim
            .calls()
            .iter()
            .filter(|c| c.path.ends_with("producttypes"))
            .count(),
        Backend::PrintIq(_) => unreachable!("a Tharstern cluster"),
    };
    println!("catalogue refreshes by the {NODES} nodes: {refreshes}");
    assert_eq!(
        refreshes, 1,
        "the due catalogue refresh ran on several nodes"
    );
}

/// A quote made on one node is a cache hit on another; a change on one
/// node is seen by another at once.
async fn shared_cache_and_changes(apis: &[Api], backend: &Backend) {
    let price = json!({"product": "business-cards", "quantity": 500, "customer": "bob"});
    let path = format!("/api/v1/storefronts/{SF}/price");
    let first = apis[0].ok("POST", &path, Some(price.clone()), 200).await;
    assert_eq!(first["cached"], false, "{first}");
    let calls = backend.calls().len();
    let second = apis[2].ok("POST", &path, Some(price.clone()), 200).await;
    assert_eq!(
        second["cached"], true,
        "node 2 did not find node 0's quote: {second}"
    );
    assert_eq!(second["price"], first["price"]);
    assert_eq!(backend.calls().len(), calls, "node 2 called Tharstern");

    // Node 2 has decoded the storefront; node 0 turns pricing off.
    let connect = |price_plugin: Value| {
        json!({
            "enabled_plugins": [PLUGIN],
            "price_plugin": price_plugin, "stock_plugin": PLUGIN, "order_plugin": PLUGIN,
            "allow_private_networks": true,
        })
    };
    let connect_path = format!("/api/v1/storefronts/{SF}/connect");
    apis[0]
        .ok("PUT", &connect_path, Some(connect(Value::Null)), 200)
        .await;
    let off = eventually(5, "node 2 sees pricing turned off", || {
        let (api, price, path) = (apis[2].clone(), price.clone(), path.clone());
        async move {
            let answer = api.ok("POST", &path, Some(price), 200).await;
            (answer["handled"] == false).then_some(answer)
        }
    })
    .await;
    assert_eq!(off["handled"], false);
    apis[1]
        .ok("PUT", &connect_path, Some(connect(json!(PLUGIN))), 200)
        .await;
    eventually(5, "node 2 sees pricing back on", || {
        let (api, price, path) = (apis[2].clone(), price.clone(), path.clone());
        async move {
            let answer = api.ok("POST", &path, Some(price), 200).await;
            (answer["handled"] == true).then_some(())
        }
    })
    .await;
}

/// An admin session opened on one node opens the pages on another, and
/// "log out everywhere" on a third closes it; a signed webhook accepted by
/// one node is a replay to another.
async fn sessions_and_replays_hold_on_every_node(urls: &[String], api: &Api) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/admin/login", urls[0]))
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 303, "login on node 0");
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let admin_page = async |url: &str| {
        http.get(format!("{url}/admin"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        admin_page(&urls[2]).await,
        200,
        "node 2 refused node 0's session"
    );
    let out = http
        .post(format!("{}/admin/logout-all", urls[1]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert_ne!(
        admin_page(&urls[0]).await,
        200,
        "logged out everywhere, yet open on node 0"
    );

    let made = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/webhook-secret"),
            None,
            200,
        )
        .await;
    let secret = made["secret"].as_str().unwrap();
    let body = br#"{"EventType":"JobStatusChanged","JobNo":"J-NONE","Status":"Printing"}"#;
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed = async |url: &str| {
        let resp = http
            .post(format!("{url}/webhooks/{SF}/{PLUGIN}"))
            .header("x-connect-timestamp", at.to_string())
            .header(
                "x-connect-signature",
                connect_host::service::http::webhook_auth::sign(secret, at, body),
            )
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    };
    let (_, first) = signed(&urls[0]).await;
    assert!(!first.contains("replay"), "{first}");
    let (status, again) = signed(&urls[2]).await;
    assert_eq!(
        status, 401,
        "a replay to another node was accepted: {again}"
    );
    assert!(again.contains("replay"), "{again}");
}

#[derive(Default)]
struct Stats {
    accepted: AtomicUsize,
    per_node: [AtomicUsize; NODES],
    refused: AtomicUsize,
    cut_off: AtomicUsize,
}

impl Stats {
    fn per_node(&self) -> Vec<usize> {
        self.per_node.iter().map(|n| n.load(SeqCst)).collect()
    }
}

fn order_body(i: usize, lines: [(&str, u32); 2]) -> Value {
    let (product, quantity) = lines[i % 2];
    json!({
        "id": format!("N-{i:05}"),
        "customer": if i.is_multiple_of(2) { "alice" } else { "bob" },
        "lines": [{"product": product, "quantity": quantity}],
    })
}

/// `CLIENTS` tasks posting orders `0..n`, order `i` first to node `i % 3`,
/// then to the next node while one refuses or cuts the request off.
fn start_clients(
    urls: Vec<String>,
    n: usize,
    lines: [(&'static str, u32); 2],
    stats: Arc<Stats>,
) -> tokio::task::JoinSet<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let urls = Arc::new(urls);
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (http, urls, next, stats) = (http.clone(), urls.clone(), next.clone(), stats.clone());
        clients.spawn(async move {
            loop {
                let i = next.fetch_add(1, SeqCst);
                if i >= n {
                    return;
                }
                let body = order_body(i, lines);
                for attempt in 0.. {
                    let node = (i + attempt) % urls.len();
                    let url = format!("{}/api/v1/storefronts/{SF}/orders", urls[node]);
                    match http.post(&url).bearer_auth(TOKEN).json(&body).send().await {
                        Ok(resp) if resp.status().as_u16() == 202 => {
                            stats.accepted.fetch_add(1, SeqCst);
                            stats.per_node[node].fetch_add(1, SeqCst);
                            break;
                        }
                        Ok(resp) => {
                            let status = resp.status();
                            let text = resp.text().await.unwrap_or_default();
                            panic!("{} answered {status}: {text}", body["id"]);
                        }
                        Err(e) if e.is_connect() => stats.refused.fetch_add(1, SeqCst),
                        Err(_) => stats.cut_off.fetch_add(1, SeqCst),
                    };
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
    }
    clients
}
