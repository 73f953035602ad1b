//! `/_sim` inspection and control, the library API (async and blocking
//! start), generated data, and the binary.

mod common;

use common::{Api, card_request, pen_order};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tharstern_sim::Simulator;
use tharstern_sim::model::JobStatus;

#[tokio::test]
async fn inspection_lists_everything() {
    let api = Api::start().await;
    api.post("estrequest", &card_request("inspect me")).await;
    api.post("orders/submit", &pen_order("insp-1", 2)).await;
    api.post(
        "customers",
        &json!({"Name": "New Dept", "Email": "new@dept.example"}),
    )
    .await;

    let estimates = api.admin_get("estimates").await;
    assert_eq!(estimates[0]["Title"], "inspect me");
    assert_eq!(estimates[0]["Breakdown"]["Total"], 27.31);
    assert_eq!(estimates[0]["Request"]["ProductTypeId"], 1);
    assert_eq!(
        api.admin_get("orders").await.as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(api.admin_get("jobs").await[0]["JobNo"], "J000001");
    assert_eq!(
        api.admin_get("customers").await.as_array().map(Vec::len),
        Some(6)
    );
    assert_eq!(api.admin_get("stockitems").await[0]["FreeStock"], 4998);
    assert_eq!(api.admin_get("subscriptions").await, json!([]));
    assert_eq!(api.admin_get("deliveries").await, json!([]));
    let summary = api.admin_get("").await;
    assert_eq!(summary["Orders"], 1);
    assert_eq!(summary["Products"], 17);

    // Calls: every API call (and only those), with method, path, query, status.
    let calls = api.admin_get("calls").await;
    let calls = calls.as_array().expect("calls");
    assert_eq!(calls.len(), 4, "login + 3 calls");
    assert_eq!(calls[0]["Endpoint"], "authentication/GenerateAPIToken");
    assert_eq!(calls[0]["Status"], 200);
    assert!(
        calls[0]["Query"]
            .as_str()
            .is_some_and(|q| q.contains("applicationId=tests"))
    );
    assert_eq!(calls[2]["Method"], "POST");
    assert_eq!(calls[2]["Path"], "/TharsternAPI/api/orders/submit");
    assert!(
        calls[2]["ReceivedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let submits = api.admin_get("calls?endpoint=orders/submit").await;
    assert_eq!(submits.as_array().map(Vec::len), Some(1));
    let posts = api.admin_get("calls?method=post").await;
    assert_eq!(posts.as_array().map(Vec::len), Some(3));

    // In-process views agree.
    let state = api.sim.state();
    assert_eq!(
        state.orders()[0].unique_submit_order_id.as_deref(),
        Some("insp-1")
    );
    assert_eq!(api.sim.calls().len(), 4);
    assert_eq!(state.calls_to("estrequest").len(), 1);
}

#[tokio::test]
async fn reset_clears_calls_and_faults_and_optionally_data() {
    let api = Api::start().await;
    api.post("orders/submit", &pen_order("r-1", 2)).await;
    let mut faults = tharstern_sim::FaultConfig::default();
    faults.global.latency_ms = Some(1);
    api.sim.set_faults(faults).expect("faults");

    let (status, _) = api.admin_send(Method::POST, "reset", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(api.sim.calls().is_empty());
    assert_eq!(api.sim.faults(), tharstern_sim::FaultConfig::default());
    assert_eq!(api.sim.state().orders().len(), 1, "data kept");

    let (status, _) = api.admin_send(Method::POST, "reset?data=true", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(api.sim.state().orders().is_empty());
    assert_eq!(api.sim.state().stock_items()[0].free_stock, 5000);
    // Order numbering starts again, tokens stay valid.
    let (_, body) = api.post("orders/submit", &pen_order("r-1", 2)).await;
    assert_eq!(body["Details"]["Orders"][0]["OrderNo"], "SO000001");
    let (status, _) = api.admin_send(Method::GET, "nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn library_handle() {
    let sim = Simulator::builder()
        .demo_data()
        .token_lifetime(Duration::from_secs(30))
        .start()
        .await
        .expect("starts");
    assert_ne!(sim.addr().port(), 0);
    assert_eq!(
        sim.base_url(),
        format!("http://127.0.0.1:{}/TharsternAPI/api/", sim.addr().port())
    );
    assert_eq!(sim.state().token_lifetime(), Duration::from_secs(30));
    let token = sim.issue_token();
    let r = reqwest::Client::new()
        .get(sim.url("/stockitems"))
        .header("Authorization", common::basic(&token))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sim.calls()[0].endpoint.as_deref(), Some("stockitems"));
    assert!(
        sim.advance_job("J000001", Some(JobStatus::Finished), None)
            .is_err()
    );

    // Bad fault configurations are refused at start.
    let mut faults = tharstern_sim::FaultConfig::default();
    faults.global.hang_rate = Some(-1.0);
    assert!(Simulator::builder().faults(faults).start().await.is_err());

    // After shutdown the port stops answering.
    let url = sim.url("producttypes");
    sim.shutdown();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let mut stopped = false;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if client.get(&url).send().await.is_err() {
            stopped = true;
            break;
        }
    }
    assert!(stopped, "port still answers after shutdown");
}

/// From a plain (non-async) test: the simulator brings its own runtime.
#[test]
fn start_in_background_from_sync_code() {
    let sim = tharstern_sim::Simulator::builder()
        .demo_data()
        .products(10)
        .start_in_background()
        .expect("starts");
    let addr = sim.addr();
    let token = sim.issue_token();
    // A bare HTTP/1.1 request over std's TcpStream: no runtime on this side.
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let auth = common::basic(&token);
    write!(
        stream,
        "GET /TharsternAPI/api/products?customerCode=WEBSHOP&pageSize=1 HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""TotalItemCount":27"#), "{answer}");
    assert_eq!(sim.state().catalog().products.len(), 27);
    drop(sim);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "stopped on drop"
    );
}

#[tokio::test]
async fn generated_data_is_deterministic_and_paged() {
    let a = Api::with(common::builder().products(2500).customers(30).seed(5)).await;
    let b = Api::with(common::builder().products(2500).customers(30).seed(5)).await;
    let (_, pa) = a
        .get("products?customerCode=WEBSHOP&page=3&pageSize=1000")
        .await;
    let (_, pb) = b
        .get("products?customerCode=WEBSHOP&page=3&pageSize=1000")
        .await;
    assert_eq!(pa, pb);
    assert_eq!(pa["Details"]["TotalItemCount"], 2517);
    assert_eq!(pa["Details"]["Items"].as_array().map(Vec::len), Some(517));
    let (_, c) = a.get("customers?customerCode=CUST00030").await;
    assert_eq!(
        c["Details"]["Items"][0]["Email"],
        "buyer00030@customer00030.example"
    );
    let (_, mine) = a.get("products?customerCode=CUST00001").await;
    assert_eq!(
        mine["Details"]["TotalItemCount"], 84,
        "2500 products round robin over 30"
    );
    let (_, gen_product) = a.get("products?productCode=GEN-002500").await;
    assert_eq!(gen_product["Details"]["TotalItemCount"], 1);
}

/// Runs the real binary, reads its address from stdout, and talks to it.
#[tokio::test]
async fn binary_serves_the_api_with_flags() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tharstern-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--products",
            "100",
            "--seed",
            "3",
            "--token-lifetime-secs",
            "60",
            "--fault",
            "estimates:server-error-rate=1,latency-ms=10",
            "--rate-limit-rate",
            "0",
            "--max-page-size",
            "50",
            "--products-are-stock-items",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("line");
    let base = line
        .trim()
        .strip_prefix("tharstern-sim listening on ")
        .expect("banner")
        .to_string();
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .get(format!(
            "{base}authentication/GenerateAPIToken?email=api@example.com&password=secret&applicationId=bin"
        ))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let token = token["Details"]["Token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let get = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("Authorization", common::basic(&token))
            .send()
    };
    let products: serde_json::Value = get("products?customerCode=WEBSHOP")
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(products["Details"]["TotalItemCount"], 117);
    assert_eq!(
        products["Details"]["Items"].as_array().map(Vec::len),
        Some(50),
        "--max-page-size caps the default page of 100"
    );
    let pen = &products["Details"]["Items"][12];
    assert_eq!(
        (&pen["Code"], &pen["FreeStock"]),
        (&"STK-PEN".into(), &5000.into())
    );
    let stock = get("stockitems").await.expect("request");
    assert_eq!(stock.status(), StatusCode::NOT_FOUND);
    let estimates = get("estimates").await.expect("request");
    assert_eq!(estimates.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn binary_help_documents_every_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_tharstern-sim"))
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--products",
        "--customers",
        "--seed",
        "--token-lifetime-secs",
        "--auto-advance-secs",
        "--latency-ms",
        "--server-error-rate",
        "--hang-rate",
        "--malformed-json-rate",
        "--truncated-json-rate",
        "--rate-limit-rate",
        "--success-false-rate",
        "--fault",
        "--hang-secs",
        "--retry-after-secs",
        "--webhook-backoff-ms",
        "--max-page-size",
        "--products-are-stock-items",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_tharstern-sim"))
        .args(["--fault", "nosuch:hang-rate=1"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
}
