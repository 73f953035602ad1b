//! The sandbox's shared bounds hold against the rogue test plugin, through
//! the real `.wasm` in the real runtime over real HTTP: one call opening
//! 1000 requests at once gets no more connections than its instance may
//! hold; a tenant's concurrent calls together stay within the tenant's
//! bound while another tenant is unaffected; a huge response head is
//! refused; a log flood is cut to the tenant's lines per second and counted.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;

/// Connections seen: in total, now, and at most at once.
#[derive(Default)]
struct Seen {
    total: AtomicUsize,
    now: AtomicUsize,
    max: AtomicUsize,
}

/// A server that holds each connection `hold`, then answers `reply`.
fn serve(hold: Duration, reply: Vec<u8>) -> (u16, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    let reply = Arc::new(reply);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counts.total.fetch_add(1, Ordering::SeqCst);
            let now = counts.now.fetch_add(1, Ordering::SeqCst) + 1;
            counts.max.fetch_max(now, Ordering::SeqCst);
            let (counts, reply) = (counts.clone(), reply.clone());
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf);
                std::thread::sleep(hold);
                let _ = stream.write_all(&reply);
                drop(stream);
                counts.now.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (port, seen)
}

fn ok_reply() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_vec()
}

async fn runtime(config: RuntimeConfig) -> Arc<Runtime> {
    let rt = common::runtime_with(config).await;
    rt.load_plugin(Path::new(connect_artifacts::ROGUE))
        .await
        .expect("load rogue plugin");
    rt
}

fn tenant(id: &str, port: u16) -> TenantSpec {
    let endpoint = format!("http://127.0.0.1:{port}");
    TenantSpec::new(id, vec![("endpoint".into(), endpoint)]).with_private_networks(true)
}

async fn run(rt: &Runtime, t: &TenantSpec, behaviour: &str) -> String {
    let req = common::price_request(behaviour, 1, common::no_customer());
    rt.price(t, "rogue", &req)
        .await
        .expect("the plugin answers")
        .quote_ref
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_requests_is_held_to_the_instance_bound() {
    let (port, seen) = serve(Duration::from_millis(300), ok_reply());
    let mut config = RuntimeConfig::default();
    config.limits.http.max_requests_per_instance = 16;
    config.limits.http.max_requests_per_tenant = 32;
    let rt = runtime(config).await;
    let t = tenant("burst", port);
    let url = format!("http://127.0.0.1:{port}/x");
    let answer = run(&rt, &t, &format!("burst:1000:{url}")).await;
    println!(
        "1000 at once: {answer}; connections {}, at most {} at once",
        seen.total.load(Ordering::SeqCst),
        seen.max.load(Ordering::SeqCst)
    );
    assert_eq!(answer, "ok:16 refused:984 other:0");
    assert_eq!(seen.total.load(Ordering::SeqCst), 16);
    assert!(seen.max.load(Ordering::SeqCst) <= 16);
    // The places were given back: the next call gets its requests.
    assert_eq!(
        run(&rt, &t, &format!("burst:4:{url}")).await,
        "ok:4 refused:0 other:0"
    );
    let refused: u64 = rt.bounds_stats().iter().map(|s| s.requests_refused).sum();
    assert_eq!(refused, 984);
    assert!(
        common::logs()
            .contains("outgoing request refused: this instance already has 16 requests in flight")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_calls_together_stay_within_the_tenant_bound() {
    // Each answer takes long enough that the three calls overlap even when
    // the machine is busy (one that starts after another's requests ended
    // would rightly get all 8 places).
    let (port, seen) = serve(Duration::from_millis(2500), ok_reply());
    let mut config = RuntimeConfig::default();
    config.limits.http.max_requests_per_instance = 8;
    config.limits.http.max_requests_per_tenant = 12;
    let rt = runtime(config).await;
    let url = format!("http://127.0.0.1:{port}/x");
    let behaviour = format!("burst:8:{url}");
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let (rt, behaviour) = (rt.clone(), behaviour.clone());
            tokio::spawn(async move { run(&rt, &tenant("greedy", port), &behaviour).await })
        })
        .collect();
    // Another tenant meanwhile gets all its instance's places.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other = run(&rt, &tenant("other", port), &behaviour).await;
    let mut ok = 0;
    let mut refused = 0;
    for call in calls {
        let answer = call.await.unwrap();
        let count = |k: &str| -> usize {
            answer
                .split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(count("other:"), 0, "{answer}");
        ok += count("ok:");
        refused += count("refused:");
    }
    println!(
        "3 calls x 8 of one tenant: {ok} answered, {refused} refused; other tenant: {other}; at most {} at once",
        seen.max.load(Ordering::SeqCst)
    );
    assert_eq!(ok + refused, 24);
    assert_eq!(ok, 12, "the tenant's 3 calls together hold 12 places");
    assert_eq!(other, "ok:8 refused:0 other:0");
    assert!(seen.max.load(Ordering::SeqCst) <= 12 + 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_response_head_is_refused() {
    let mut big = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n".to_vec();
    for i in 0..50 {
        big.extend_from_slice(format!("x-filler-{i}: {}\r\n", "y".repeat(1000)).as_bytes());
    }
    big.extend_from_slice(b"\r\nok");
    let (port, _) = serve(Duration::ZERO, big);
    let (small_port, _) = serve(Duration::ZERO, ok_reply());
    let mut config = RuntimeConfig::default();
    config.limits.http.max_response_header_bytes = 16 << 10;
    let rt = runtime(config).await;
    let answer = run(
        &rt,
        &tenant("heads", port),
        &format!("fetch:http://127.0.0.1:{port}/"),
    )
    .await;
    assert_eq!(
        answer,
        "error:ErrorCode::HttpResponseHeaderSectionSize(Some(16384))"
    );
    let fine = run(
        &rt,
        &tenant("heads", small_port),
        &format!("fetch:http://127.0.0.1:{small_port}/"),
    )
    .await;
    assert_eq!(fine, "status:200 bytes:2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_flood_is_cut_to_the_rate_and_counted() {
    let mut config = RuntimeConfig::default();
    config.limits.log_lines_per_sec = 50;
    config.limits.deadline = Duration::from_secs(10);
    let rt = runtime(config).await;
    let t = tenant("chatty", 1);
    assert_eq!(run(&rt, &t, "log:10000").await, "logged:10000");
    let logs = common::logs();
    let written = logs
        .lines()
        .filter(|l| l.contains("tenant=\"chatty\"") && l.contains("rogue log line"))
        .count();
    let summaries = logs
        .lines()
        .filter(|l| l.contains("tenant=\"chatty\"") && l.contains("plugin log flood"))
        .count();
    let dropped: u64 = rt
        .bounds_stats()
        .iter()
        .filter(|s| &*s.tenant == "chatty")
        .map(|s| s.log_lines_dropped)
        .sum();
    println!(
        "10,000 lines logged: {written} written, {dropped} dropped, {summaries} summary lines"
    );
    assert!(written <= 50 + 50, "{written} lines written");
    assert_eq!(written as u64 + dropped, 10_000);
    assert!((1..=2).contains(&summaries), "{summaries} summary lines");
}
