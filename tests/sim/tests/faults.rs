//! Every injected fault, through real HTTP, set both in-process and via
//! `/_sim/faults`.

mod common;

use common::{Api, basic, card_request};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tharstern_sim::{FaultConfig, FaultSpec};

fn only(endpoint: &str, spec: FaultSpec) -> FaultConfig {
    let mut config = FaultConfig::default();
    config.endpoints.insert(endpoint.to_string(), spec);
    config
}

async fn raw_get(api: &Api, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = api
        .client
        .get(api.url(path))
        .header("Authorization", basic(&api.token))
        .send()
        .await
        .expect("request");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.expect("body"))
}

#[tokio::test]
async fn latency_global_and_per_endpoint() {
    let api = Api::start().await;
    api.sim
        .set_faults(only(
            "estrequest",
            FaultSpec {
                latency_ms: Some(1000),
                ..Default::default()
            },
        ))
        .expect("faults");
    let t = Instant::now();
    api.get("products").await;
    assert!(t.elapsed() < Duration::from_millis(800), "not slowed");
    let t = Instant::now();
    let (status, _) = api.post("estrequest", &card_request("slow")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(1000));

    let mut global = FaultConfig::default();
    global.global.latency_ms = Some(300);
    api.sim.set_faults(global).expect("faults");
    let t = Instant::now();
    api.get("producttypes").await;
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn server_errors() {
    let api = Api::start().await;
    api.sim
        .set_faults(only(
            "products",
            FaultSpec {
                server_error_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("faults");
    let (status, body) = api.get("products").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["Status"]["Success"], false);
    let (status, _) = api.get("producttypes").await;
    assert_eq!(status, StatusCode::OK);
    let calls = api.sim.state().calls_to("products");
    assert_eq!(calls[0].fault.as_deref(), Some("server_error"));
    assert_eq!(calls[0].status, Some(500));
}

#[tokio::test]
async fn rate_limiting_with_retry_after() {
    let api = Api::start().await;
    let mut config = only(
        "estimates",
        FaultSpec {
            rate_limit_rate: Some(1.0),
            ..Default::default()
        },
    );
    config.retry_after_secs = Some(7);
    api.sim.set_faults(config).expect("faults");
    let (status, headers, _) = raw_get(&api, "estimates").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangs_hold_one_call_without_blocking_others() {
    let api = Api::start().await;
    api.sim
        .set_faults(only(
            "orders/submit",
            FaultSpec {
                hang_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("faults");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(2000))
        .build()
        .expect("client");
    let hung = client
        .post(api.url("orders/submit"))
        .header("Authorization", basic(&api.token))
        .json(&common::pen_order("hang-1", 1))
        .send();
    let other = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = Instant::now();
        let (status, _) = api.get("producttypes").await;
        (status, t.elapsed())
    };
    let (hung, (status, took)) = tokio::join!(hung, other);
    assert!(hung.is_err_and(|e| e.is_timeout()), "client timed out");
    assert_eq!(status, StatusCode::OK);
    assert!(took < Duration::from_millis(1500), "served meanwhile");
    // The hung call is logged, still open, with its fault; nothing was created.
    let call = &api.sim.state().calls_to("orders/submit")[0];
    assert_eq!(call.fault.as_deref(), Some("hang"));
    assert_eq!(call.status, None);
    assert!(api.sim.state().orders().is_empty());
}

#[tokio::test]
async fn malformed_and_truncated_json() {
    let api = Api::start().await;
    let (_, _, good) = raw_get(&api, "stockitems").await;
    assert!(serde_json::from_str::<Value>(&good).is_ok());

    api.sim
        .set_faults(only(
            "stockitems",
            FaultSpec {
                malformed_json_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("faults");
    let (status, _, text) = raw_get(&api, "stockitems").await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(
        api.sim.state().calls_to("stockitems")[1].fault.as_deref(),
        Some("malformed_json")
    );

    api.sim
        .set_faults(only(
            "stockitems",
            FaultSpec {
                truncated_json_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("faults");
    let (status, _, text) = raw_get(&api, "stockitems").await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert!(good.starts_with(&text) && text.len() < good.len());
    // Side effects still happen behind a spoilt answer.
    let mut c = FaultConfig::default();
    c.global.truncated_json_rate = Some(1.0);
    api.sim.set_faults(c).expect("faults");
    let (status, text) = api
        .post_raw(
            "estrequest",
            &card_request("behind a truncated answer").to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(api.sim.state().estimates().len(), 1);
}

#[tokio::test]
async fn token_lifetime_fault_expires_tokens() {
    let api = Api::start().await;
    let (status, _) = api.get("products").await;
    assert_eq!(status, StatusCode::OK);
    api.sim
        .set_faults(FaultConfig {
            token_lifetime_secs: Some(0),
            ..Default::default()
        })
        .expect("faults");
    let (status, _) = api.get("products").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.sim.reset();
    let (status, _) = api.get("products").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn success_false_although_the_estimate_was_created() {
    let api = Api::start().await;
    api.sim
        .set_faults(only(
            "estrequest",
            FaultSpec {
                success_false_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("faults");
    let (status, body) = api.post("estrequest", &card_request("quirk-7f3a")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Status"]["Success"], false);
    assert!(body["Details"]["Estimate"].is_null());
    // It was created all the same: found by its title.
    let (_, found) = api.get("estimates?keyword=quirk-7f3a").await;
    assert_eq!(found["Details"]["TotalItemCount"], 1);
    assert_eq!(api.sim.state().estimates().len(), 1);
    assert_eq!(
        api.sim.state().calls_to("estrequest")[0].fault.as_deref(),
        Some("success_false")
    );
    // Invalid requests are still plain 400s.
    let (status, _) = api.post("estrequest", &json!({"ProductTypeId": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn endpoint_settings_override_global_ones() {
    let api = Api::start().await;
    let mut config = FaultConfig::default();
    config.global.server_error_rate = Some(1.0);
    config.endpoints.insert(
        "Authentication/GenerateAPIToken".into(),
        FaultSpec {
            server_error_rate: Some(0.0),
            ..Default::default()
        },
    );
    api.sim.set_faults(config).expect("faults");
    // Keys are stored canonically.
    assert!(
        api.sim
            .faults()
            .endpoints
            .contains_key("authentication/GenerateAPIToken")
    );
    let token = api.login().await;
    assert_eq!(token.len(), 36);
    let (status, _) = api.get("products").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

async fn statuses(seed: u64) -> Vec<u16> {
    let mut config = FaultConfig::default();
    config.global.server_error_rate = Some(0.5);
    let api = Api::with(common::builder().seed(seed)).await;
    api.sim.set_faults(config).expect("faults");
    let mut out = Vec::new();
    for _ in 0..40 {
        out.push(api.get("producttypes").await.0.as_u16());
    }
    out
}

#[tokio::test]
async fn seeded_faults_replay_identically() {
    let a = statuses(7).await;
    let b = statuses(7).await;
    let c = statuses(8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains(&500) && a.contains(&200));
}

#[tokio::test]
async fn faults_over_http_admin() {
    let api = Api::start().await;
    let config = json!({
        "Global": {"LatencyMs": 0},
        "Endpoints": {"PRODUCTS": {"ServerErrorRate": 1.0}},
        "HangSecs": 5
    });
    let (status, body) = api.admin_send(Method::PUT, "faults", Some(&config)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Endpoints"]["products"]["ServerErrorRate"], 1.0);
    let got = api.admin_get("faults").await;
    assert_eq!(got, body);
    let (status, _) = api.get("products").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

    for bad in [
        json!({"Global": {"ServerErrorRate": 2}}),
        json!({"Endpoints": {"nope": {}}}),
        json!({"Global": {"Nonsense": 1}}),
    ] {
        let (status, _) = api.admin_send(Method::PUT, "faults", Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, _) = api.admin_send(Method::POST, "reset", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        api.admin_get("faults").await,
        json!({"Global": {}, "Endpoints": {}})
    );
    let (status, _) = api.get("products").await;
    assert_eq!(status, StatusCode::OK);
}
