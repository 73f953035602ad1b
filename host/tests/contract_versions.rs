//! Plugins of every contract version this host knows run side by side in
//! one runtime: the rogue plugin, frozen on `connect:plugin@0.1.0`, next to
//! the Tharstern connector and the SDK's minimal connector on `0.2.0`, each
//! answering through the same typed runtime API. A plugin built for a
//! version the host does not know is refused at load, naming both.

mod common;

use std::path::Path;

use connect_runtime::bindings::ContractVersion;
use connect_runtime::contract::{CustomerContext, StockRequest};
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;

/// A pricing API as the minimal connector expects: `GET /v1/price` with a
/// bearer key answers 12.50 GBP per 100.
async fn price_api() -> std::net::SocketAddr {
    use axum::extract::Query;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;
    async fn price(
        headers: HeaderMap,
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> Result<axum::Json<serde_json::Value>, StatusCode> {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer k-123") {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let qty: i64 = q
            .get("qty")
            .and_then(|q| q.parse().ok())
            .ok_or(StatusCode::BAD_REQUEST)?;
        Ok(axum::Json(
            serde_json::json!({"minor_units": qty * 1250 / 100, "currency": "GBP"}),
        ))
    }
    let app = axum::Router::new().route("/v1/price", get(price)).route(
        "/v1/health",
        get(|| async { axum::Json(serde_json::json!({"ok": true})) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_of_both_versions_load_and_answer_side_by_side() {
    let sim = common::sim().await;
    let rt = runtime();
    let rogue = rt
        .load_plugin(Path::new(connect_artifacts::ROGUE))
        .await
        .unwrap();
    let tharstern = rt
        .load_plugin(Path::new(connect_artifacts::THARSTERN))
        .await
        .unwrap();
    let minimal = rt
        .load_plugin(Path::new(connect_artifacts::MINIMAL))
        .await
        .unwrap();
    assert_eq!(rogue.contract, ContractVersion::V0_1_0);
    assert_eq!(tharstern.contract, ContractVersion::V0_2_0);
    assert_eq!(minimal.contract, ContractVersion::V0_2_0);
    let prices = price_api().await;
    let settings = vec![
        ("api_url".to_string(), format!("http://{prices}/v1")),
        ("api_key".to_string(), "k-123".to_string()),
    ];
    let settings = rt
        .configure("minimal", settings)
        .await
        .expect("valid settings");
    let small = TenantSpec::new("small", settings).with_private_networks(true);

    // Interleaved, so both kinds of instance are live in the pool at once.
    let old = TenantSpec::new("old", vec![]);
    let new = common::tenant(&rt, "new", common::settings(&sim, &[])).await;
    for round in 0..3 {
        let echo = common::price_request("echo", 1, common::no_customer());
        let quote = rt.price(&old, "rogue", &echo).await.expect("0.1.0 price");
        assert_eq!(quote.total.currency, "GBP", "round {round}: {quote:?}");

        let req = common::price_request("1", 250, common::no_customer());
        let quote = rt
            .price(&new, "tharstern", &req)
            .await
            .expect("0.2.0 price");
        assert!(quote.total.minor_units > 0, "round {round}: {quote:?}");
        assert_eq!(quote.cached, round > 0, "round {round}: {quote:?}");

        let report = rt
            .check_connection(&new, "tharstern")
            .await
            .expect("0.2.0 check");
        assert!(report.checks.len() >= 3, "{report:?}");

        let req = common::price_request("BC-STD", 100, common::no_customer());
        let quote = rt
            .price(&small, "minimal", &req)
            .await
            .expect("SDK example price");
        assert_eq!(
            (quote.total.minor_units, quote.total.currency.as_str()),
            (1_250, "GBP")
        );
    }
    let report = rt.check_connection(&small, "minimal").await.unwrap();
    assert!(report.summary.contains("Connected"), "{report:?}");
    let stock = StockRequest {
        product_ref: "BC-STD".into(),
        customer: CustomerContext::default(),
        minimum_order: None,
    };
    let unsupported = rt.stock(&small, "minimal", &stock).await.unwrap_err();
    assert_eq!(unsupported.kind(), "unsupported", "{unsupported}");

    // A 0.1.0 plugin's typed errors arrive as the host's typed errors.
    let err = rt.check_connection(&old, "rogue").await.unwrap_err();
    assert_eq!(err.kind(), "unsupported", "{err}");
    let quote = rt
        .price(
            &old,
            "rogue",
            &common::price_request("echo", 7, common::no_customer()),
        )
        .await
        .unwrap();
    assert_eq!(quote.total.minor_units, 700);
    assert_eq!(quote.customer_code, "ROGUE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_of_an_unknown_contract_version_is_refused_naming_both() {
    // The rogue plugin with its exported interface renamed to a version
    // this host does not know (same length, so the binary stays valid).
    let bytes = std::fs::read(connect_artifacts::ROGUE).unwrap();
    let (from, to) = (
        b"connect:plugin/plugin@0.1.0",
        b"connect:plugin/plugin@9.9.0",
    );
    let mut patched = bytes.clone();
    let mut hits = 0;
    let mut i = 0;
    while let Some(at) = patched[i..].windows(from.len()).position(|w| w == from) {
        patched[i + at..i + at + to.len()].copy_from_slice(to);
        i += at + to.len();
        hits += 1;
    }
    assert!(hits > 0, "the rogue plugin does not name its export");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.wasm");
    std::fs::write(&path, &patched).unwrap();

    let rt = runtime();
    let err = rt
        .load_plugin(&path)
        .await
        .expect_err("an unknown version loads");
    let message = format!("{err:#}");
    assert!(message.contains("connect:plugin@9.9.0"), "{message}");
    assert!(
        message.contains("0.1.0") && message.contains("0.2.0"),
        "{message}"
    );

    // The same host still loads the original.
    rt.load_plugin(Path::new(connect_artifacts::ROGUE))
        .await
        .unwrap();
}
