//! The sandbox holds: the rogue test plugin loops, hoards memory, panics,
//! reaches for hosts it was not allowed and for another tenant's cache,
//! through the real `.wasm` in the real runtime, while another tenant's
//! calls keep succeeding.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connect_runtime::contract::{PriceQuote, PriceRequest};
use connect_runtime::error::CallError;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;

async fn runtime(config: RuntimeConfig) -> Arc<Runtime> {
    let config = RuntimeConfig {
        artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
        ..config
    };
    let runtime = Runtime::new(config).expect("runtime");
    runtime
        .load_plugin(Path::new(connect_artifacts::ROGUE))
        .await
        .expect("load rogue plugin");
    Arc::new(runtime)
}

fn price(product_ref: &str) -> PriceRequest {
    common::price_request(product_ref, 3, common::no_customer())
}

fn tenant(id: &str, endpoint: Option<&str>) -> TenantSpec {
    let settings = endpoint
        .map(|e| vec![("endpoint".to_string(), e.to_string())])
        .unwrap_or_default();
    TenantSpec::new(id, settings).with_private_networks(true)
}

async fn quote(rt: &Runtime, t: &TenantSpec, product_ref: &str) -> Result<PriceQuote, CallError> {
    rt.price(t, "rogue", &price(product_ref)).await
}

/// Keeps calling `echo` for a bystander tenant until `stop`; counts successes
/// and fails the test on any error.
fn bystander(
    rt: Arc<Runtime>,
    stop: Arc<AtomicBool>,
) -> (tokio::task::JoinHandle<()>, Arc<AtomicUsize>) {
    let ok = Arc::new(AtomicUsize::new(0));
    let count = ok.clone();
    let handle = tokio::spawn(async move {
        let t = tenant("bystander", None);
        while !stop.load(Ordering::Relaxed) {
            let q = quote(&rt, &t, "echo")
                .await
                .expect("the bystander tenant's call failed");
            assert_eq!(q.total.minor_units, 300);
            count.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    (handle, ok)
}

/// Runs `misbehave` while a bystander tenant keeps calling; asserts the
/// bystander kept succeeding throughout.
async fn with_bystander<F: Future>(rt: &Arc<Runtime>, misbehave: F) -> F::Output {
    let stop = Arc::new(AtomicBool::new(false));
    let (handle, ok) = bystander(rt.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = ok.load(Ordering::Relaxed);
    let out = misbehave.await;
    // Leave the bystander a moment to show it still makes progress.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let during = ok.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    handle.await.expect("bystander");
    assert!(
        during > 0,
        "the bystander tenant made no progress while another tenant misbehaved"
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_ends_with_a_typed_deadline() {
    let mut config = RuntimeConfig::default();
    config.limits.deadline = Duration::from_millis(300);
    let rt = runtime(config).await;
    let t = tenant("looper", None);
    let started = Instant::now();
    let err = with_bystander(&rt, quote(&rt, &t, "loop"))
        .await
        .expect_err("the loop must be stopped");
    let took = started.elapsed();
    assert!(
        matches!(err, CallError::Deadline { deadline_ms: 300 }),
        "{err:?}"
    );
    assert!(
        took < Duration::from_millis(300 + 500),
        "stopped after {took:?}"
    );
    assert!(err.to_string().contains("execution deadline"), "{err}");
    // The poisoned instance was discarded: the next call starts clean.
    assert_eq!(quote(&rt, &t, "echo").await.unwrap().total.minor_units, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_deadline_is_one_second() {
    let rt = runtime(RuntimeConfig::default()).await;
    assert_eq!(rt.limits().deadline, Duration::from_secs(1));
    let started = Instant::now();
    let err = quote(&rt, &tenant("looper", None), "loop")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Deadline { deadline_ms: 1000 }),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_growth_stops_at_the_cap() {
    let mut config = RuntimeConfig::default();
    config.limits.memory_bytes = 32 << 20;
    let rt = runtime(config).await;
    let t = tenant("hoarder", None);
    let err = with_bystander(&rt, quote(&rt, &t, "grow"))
        .await
        .expect_err("growth must be refused");
    assert!(
        matches!(err, CallError::MemoryLimit { limit_bytes } if limit_bytes == 32 << 20),
        "{err:?}"
    );
    assert!(err.to_string().contains("memory cap of 32 MiB"), "{err}");
    assert_eq!(quote(&rt, &t, "echo").await.unwrap().total.minor_units, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_memory_cap_is_64_mib() {
    let rt = runtime(RuntimeConfig::default()).await;
    let err = quote(&rt, &tenant("hoarder", None), "grow")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::MemoryLimit { limit_bytes } if limit_bytes == 64 << 20),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_typed_error_and_the_next_call_works() {
    let rt = runtime(RuntimeConfig::default()).await;
    let t = tenant("panicker", None);
    let err = with_bystander(&rt, quote(&rt, &t, "panic"))
        .await
        .expect_err("must fail");
    match &err {
        CallError::Crashed { message } => assert!(
            message.contains("rogue plugin panicked on purpose"),
            "{message}"
        ),
        other => panic!("expected a crash, got {other:?}"),
    }
    assert_eq!(quote(&rt, &t, "echo").await.unwrap().total.minor_units, 300);
}

/// A local listener that counts the connections it accepts.
struct CountingListener {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl CountingListener {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                count.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut s) = stream {
                    use std::io::{Read, Write};
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                }
            }
        });
        Self { port, accepted }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tenants_endpoint_is_reachable() {
    let target = CountingListener::start();
    let port = target.port;
    let rt = runtime(RuntimeConfig::default()).await;
    let t = tenant("egress", Some(&format!("http://127.0.0.1:{port}/api/")));

    // The allowed origin works (and proves the listener counts).
    let ok = quote(&rt, &t, &format!("fetch:http://127.0.0.1:{port}/x"))
        .await
        .unwrap();
    assert_eq!(ok.quote_ref.as_deref(), Some("status:204 bytes:0"));
    assert_eq!(target.accepted.load(Ordering::SeqCst), 1);

    let other = CountingListener::start();
    let denied = [
        format!("fetch:http://localhost:{port}/x"), // another name for the host
        format!("fetch:http://2130706433:{port}/x"), // decimal IP
        format!("fetch:http://[::1]:{port}/x"),     // IPv6 literal
        format!("fetch:https://127.0.0.1:{port}/x"), // another scheme
        format!("fetch:http://127.0.0.1:{}/x", other.port), // another port
        format!("fetch:http://example.com:{port}/x"), // another host
        // Other spellings of 127.0.0.1 that resolvers and parsers accept.
        format!("fetch:http://0x7f000001:{port}/x"), // hex
        format!("fetch:http://0x7f.0.0.1:{port}/x"), // hex octet
        format!("fetch:http://0177.0.0.1:{port}/x"), // octal octet
        format!("fetch:http://127.1:{port}/x"),      // short form
        format!("fetch:http://127.000.000.001:{port}/x"), // zero-padded
        format!("fetch:http://[::ffff:127.0.0.1]:{port}/x"), // IPv4-mapped IPv6
        format!("fetch:http://[::ffff:7f00:1]:{port}/x"), // the same, in hex
        format!("fetch:http://127.0.0.2:{port}/x"),  // another loopback address
        format!("fetch:http://0.0.0.0:{port}/x"),    // "this host"
        // Userinfo and fragment tricks: the host is the part after `@`.
        format!("fetch:http://127.0.0.1:{port}@example.com/x"),
    ];
    for call in &denied {
        let q = with_bystander(&rt, quote(&rt, &t, call)).await.unwrap();
        assert_eq!(
            q.quote_ref.as_deref(),
            Some("error:ErrorCode::HttpRequestDenied"),
            "{call}"
        );
    }
    assert_eq!(
        target.accepted.load(Ordering::SeqCst),
        1,
        "a denied request reached the allowed port"
    );
    assert_eq!(
        other.accepted.load(Ordering::SeqCst),
        0,
        "a denied request reached another port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_without_an_endpoint_reaches_nothing() {
    let target = CountingListener::start();
    let rt = runtime(RuntimeConfig::default()).await;
    let q = quote(
        &rt,
        &tenant("closed", None),
        &format!("fetch:http://127.0.0.1:{}/", target.port),
    )
    .await
    .unwrap();
    assert_eq!(
        q.quote_ref.as_deref(),
        Some("error:ErrorCode::HttpRequestDenied")
    );
    assert_eq!(target.accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_cannot_read_another_tenants_cache() {
    let rt = runtime(RuntimeConfig::default()).await;
    let (a, b) = (tenant("tenant-a", None), tenant("tenant-b", None));
    assert_eq!(
        quote(&rt, &a, "cache-set:token=a-secret")
            .await
            .unwrap()
            .quote_ref
            .as_deref(),
        Some("stored")
    );
    assert_eq!(
        quote(&rt, &a, "cache-get:token")
            .await
            .unwrap()
            .quote_ref
            .as_deref(),
        Some("found:a-secret")
    );
    assert_eq!(
        quote(&rt, &b, "cache-get:token")
            .await
            .unwrap()
            .quote_ref
            .as_deref(),
        Some("missing")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_host_call_does_not_count_against_the_deadline_but_the_timeout_holds() {
    // A listener that accepts and never answers: the guest waits in host I/O.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let mut config = RuntimeConfig::default();
    config.limits.deadline = Duration::from_millis(100);
    config.limits.call_timeout = Duration::from_millis(700);
    let rt = runtime(config).await;
    let t = tenant("waiter", Some(&format!("http://127.0.0.1:{port}")));
    let started = Instant::now();
    let err = quote(&rt, &t, &format!("fetch:http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Timeout { timeout_ms: 700 }),
        "waiting on I/O must hit the wall-clock timeout, not the execution deadline: {err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(1200));
    assert_eq!(quote(&rt, &t, "echo").await.unwrap().total.minor_units, 300);
}
