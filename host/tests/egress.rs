//! Outgoing HTTP stays within the tenant's origin and within bounds: a
//! redirect to another host is a new request that is denied; a huge answer
//! stops at the size cap; an endless one at the total timeout; a name that
//! resolves to loopback is refused unless the tenant may reach private
//! networks.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;

/// A tiny HTTP server answering every request with `respond`, counting
/// connections.
fn serve(
    respond: impl Fn(&mut std::net::TcpStream) + Send + Sync + 'static,
) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let respond = respond.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf);
                respond(&mut stream);
            });
        }
    });
    (port, count)
}

async fn runtime(config: RuntimeConfig) -> Runtime {
    let runtime = Runtime::new(RuntimeConfig {
        artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
        ..config
    })
    .unwrap();
    runtime
        .load_plugin(Path::new(connect_artifacts::ROGUE))
        .await
        .unwrap();
    runtime
}

async fn fetch(rt: &Runtime, endpoint_port: u16, behaviour: &str) -> String {
    let endpoint = format!("http://127.0.0.1:{endpoint_port}");
    fetch_as(rt, &endpoint, true, behaviour).await
}

async fn fetch_as(rt: &Runtime, endpoint: &str, private: bool, behaviour: &str) -> String {
    let tenant = TenantSpec::new("egress", vec![("endpoint".into(), endpoint.into())])
        .with_private_networks(private);
    let req = common::price_request(behaviour, 1, common::no_customer());
    rt.price(&tenant, "rogue", &req)
        .await
        .expect("the plugin answers")
        .quote_ref
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_is_denied() {
    let (other_port, other_hits) = serve(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    });
    let (port, hits) = serve(move |s| {
        let reply = format!(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:{other_port}/stolen\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        let _ = s.write_all(reply.as_bytes());
    });
    let rt = runtime(RuntimeConfig::default()).await;
    // The host never follows redirects on its own.
    let plain = fetch(&rt, port, &format!("fetch:http://127.0.0.1:{port}/start")).await;
    assert_eq!(plain, "status:302 bytes:0");
    // A plugin that follows it makes a new request, which is checked again.
    let followed = fetch(&rt, port, &format!("follow:http://127.0.0.1:{port}/start")).await;
    assert_eq!(followed, "error:ErrorCode::HttpRequestDenied");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert_eq!(
        other_hits.load(Ordering::SeqCst),
        0,
        "the redirect target was reached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_stops_at_the_size_cap() {
    let (port, _) = serve(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-length: 104857600\r\nconnection: close\r\n\r\n",
        );
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..1600 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let mut config = RuntimeConfig::default();
    config.limits.http.max_response_bytes = 1 << 20;
    let rt = runtime(config).await;
    let outcome = fetch(&rt, port, &format!("fetch:http://127.0.0.1:{port}/big")).await;
    assert!(outcome.starts_with("status:200"), "{outcome}");
    assert!(
        outcome.contains("error:"),
        "the read must fail at the cap: {outcome}"
    );
    let read: usize = outcome
        .split_whitespace()
        .find_map(|w| w.strip_prefix("bytes:"))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(read <= 1 << 20, "read {read} bytes past the 1 MiB cap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_stops_at_the_total_timeout() {
    let (port, _) = serve(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        );
        loop {
            if s.write_all(b"1\r\nx\r\n").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let mut config = RuntimeConfig::default();
    config.limits.http.total_timeout = Duration::from_millis(800);
    let rt = runtime(config).await;
    let started = Instant::now();
    let outcome = fetch(&rt, port, &format!("fetch:http://127.0.0.1:{port}/drip")).await;
    assert!(outcome.starts_with("status:200"), "{outcome}");
    assert!(
        outcome.contains("error:"),
        "the read must fail at the timeout: {outcome}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_resolving_to_loopback_is_refused_without_private_networks() {
    let (port, hits) = serve(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    });
    let rt = runtime(RuntimeConfig::default()).await;
    // `localhost` is an allowed origin (the tenant's endpoint) whose name
    // resolves to 127.0.0.1 (or ::1): refused on the resolved address.
    let endpoint = format!("http://localhost:{port}");
    let url = format!("fetch:{endpoint}/secret");
    let denied = fetch_as(&rt, &endpoint, false, &url).await;
    assert_eq!(denied, "error:ErrorCode::DestinationIpProhibited");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the loopback listener was reached"
    );
    // The IP literal is checked the same way.
    let literal = format!("http://127.0.0.1:{port}");
    let denied = fetch_as(&rt, &literal, false, &format!("fetch:{literal}/")).await;
    assert_eq!(denied, "error:ErrorCode::DestinationIpProhibited");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the loopback listener was reached"
    );
    // The operator allows private networks for this storefront: it works.
    let allowed = fetch_as(&rt, &literal, true, &format!("fetch:{literal}/")).await;
    assert_eq!(allowed, "status:200 bytes:2");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
