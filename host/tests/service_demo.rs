//! The main job: `connect-host demo` starts both simulators and the service
//! with a storefront on Tharstern and one on printIQ; for each, the curl
//! line it prints answers a price, and the order line it prints is delivered
//! and comes back despatched with a tracking number. Needs the `demo`
//! feature (on by default) and `curl`.
#![cfg(feature = "demo")]

mod service_support;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use service_support::eventually;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sh(line: &str) -> Value {
    let out = Command::new("sh")
        .args(["-c", line])
        .output()
        .expect("running curl");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{line} answered {}: {e}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_a_curl_line_that_prices() {
    let dir = tempfile::tempdir().unwrap();
    let (port, sim_port, piq_port) = (free_port(), free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_connect-host"))
        .args(["demo", "--advance-secs", "1", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--sim-listen")
        .arg(format!("127.0.0.1:{sim_port}"))
        .arg("--printiq-sim-listen")
        .arg(format!("127.0.0.1:{piq_port}"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env(
            "CONNECT_PLUGINS_PRECOMPILED_DIR",
            connect_artifacts::PRECOMPILED_DIR,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting connect-host demo");
    // A failing assertion must not leave the demo running (it would hold
    // the test's output open).
    let _reap = Reap(child.id());

    // Read what it prints until both curl lines are there.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    let until = Instant::now() + Duration::from_secs(120);
    while printed
        .iter()
        .filter(|l: &&String| l.trim_start().starts_with("curl "))
        .count()
        < 6
    {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => printed.push(line),
            Err(_) => panic!("the demo did not print its curl lines: {printed:#?}"),
        }
    }
    let text = printed.join("\n");
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/admin")),
        "{text}"
    );
    let token = printed
        .iter()
        .find_map(|l| l.strip_prefix("Login token:"))
        .expect("a login token line")
        .trim()
        .to_string();
    let curls: Vec<&String> = printed
        .iter()
        .filter(|l| l.trim_start().starts_with("curl "))
        .collect();

    let price = sh(curls[0]);
    assert_eq!(price["handled"], true, "{price}");
    assert!(
        price["price"]["minor_units"].as_i64().unwrap() > 0,
        "{price}"
    );
    assert_eq!(price["customer_code"], "ACME-MKT", "{price}");

    let order = sh(curls[1]);
    assert_eq!(order["created"], true, "{order}");
    let id = order["order"]["id"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let despatched = eventually(60, "the demo order despatched with tracking", || {
        let (http, token, id) = (http.clone(), token.clone(), id.clone());
        async move {
            let o: Value = http
                .get(format!(
                    "http://127.0.0.1:{port}/api/v1/storefronts/demo/orders/{id}"
                ))
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            o["tracking_number"].as_str().is_some().then_some(o)
        }
    })
    .await;
    assert_eq!(despatched["job_status"], "Despatched", "{despatched}");
    assert!(
        by_webhook(&despatched),
        "no webhook reached it: {despatched}"
    );

    // The printIQ storefront, side by side in the same service.
    let price = sh(curls[2]);
    assert_eq!(price["handled"], true, "{price}");
    assert_eq!(price["plugin"], "printiq", "{price}");
    assert!(
        price["price"]["minor_units"].as_i64().unwrap() > 0,
        "{price}"
    );
    let order = sh(curls[3]);
    assert_eq!(order["created"], true, "{order}");
    let id = order["order"]["id"].as_str().unwrap().to_string();
    let despatched = eventually(
        60,
        "the printIQ demo order despatched with tracking",
        || {
            let (http, token, id) = (http.clone(), token.clone(), id.clone());
            async move {
                let o: Value = http
                    .get(format!(
                        "http://127.0.0.1:{port}/api/v1/storefronts/demo-printiq/orders/{id}"
                    ))
                    .bearer_auth(token)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                o["tracking_number"].as_str().is_some().then_some(o)
            }
        },
    )
    .await;
    assert_eq!(despatched["state"], "delivered", "{despatched}");
    assert!(
        by_webhook(&despatched),
        "no webhook reached it: {despatched}"
    );

    // The mixed storefront: the price from printIQ, the stock from Tharstern.
    let price = sh(curls[4]);
    assert_eq!(price["plugin"], "printiq", "{price}");
    assert!(
        price["quote_ref"].as_str().unwrap().starts_with("printiq@"),
        "{price}"
    );
    let stock = sh(curls[5]);
    assert_eq!(stock["plugin"], "tharstern", "{stock}");
    assert_eq!(stock["product_ref"], "STK-FOLDER", "{stock}");

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let until = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < until, "the demo did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the order's history holds an update that came by webhook (the
/// demo's webhook URLs, with their secrets, reach the service).
fn by_webhook(order: &Value) -> bool {
    order["history"]
        .as_array()
        .is_some_and(|h| h.iter().any(|e| e["kind"] == "webhook"))
}

/// Kills the demo process when the test ends, however it ends.
struct Reap(u32);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}
