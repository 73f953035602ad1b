//! Injected faults over real HTTP: what is done behind each one.

mod common;

use common::{Api, Receiver, builder};
use printiq_sim::{Event, FaultConfig, FaultSpec, INJECTED_ERROR, INVALID_LOGIN_TOKEN};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

fn on(endpoint: &str, spec: FaultSpec) -> FaultConfig {
    let mut c = FaultConfig::default();
    c.endpoints.insert(endpoint.into(), spec);
    c
}

fn price_body() -> serde_json::Value {
    json!({"CustomerCode": "WEBSHOP", "ProductCode": "BC-STD",
           "SelectedQuantity": {"Quantity": 100}, "CustomerReference": "f"})
}

#[tokio::test]
async fn accept_quote_times_out_after_doing_the_work() {
    let api = Api::start().await;
    let quote_no = api.order_quote("order-timeout").await;
    api.sim
        .set_faults(FaultConfig {
            hang_secs: Some(3),
            ..on(
                "AcceptQuote",
                FaultSpec {
                    timeout_after_work_rate: Some(1.0),
                    ..Default::default()
                },
            )
        })
        .expect("valid");
    let started = Instant::now();
    let r = api
        .client
        .post(api.sim.quote_process_url("AcceptQuote"))
        .query(&[("LoginToken", api.token.as_str())])
        .json(&json!({"QuoteNo": quote_no}))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()), "the client gives up");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The job exists although the client never heard of it.
    assert_eq!(api.sim.jobs_for_reference("order-timeout").len(), 1);
    let (_, details) = api
        .qp("GetQuoteDetails", json!({"QuoteNo": quote_no}))
        .await;
    assert_eq!(details["QuoteDetails"]["QuoteAccepted"], true);
    let call = &api.sim.calls_to("AcceptQuote")[0];
    assert_eq!(call.fault.as_deref(), Some("timeout_after_work"));
    // A blind retry makes a second job: the simulator does not help.
    api.sim.reset();
    api.accept(&quote_no).await;
    assert_eq!(
        api.sim.counts().duplicate_job_references["order-timeout"],
        2
    );
}

#[tokio::test]
async fn held_back_answer_comes_late() {
    let api = Api::start().await;
    let quote_no = api.order_quote("late").await;
    api.sim
        .set_faults(FaultConfig {
            hang_secs: Some(1),
            ..on(
                "AcceptQuote",
                FaultSpec {
                    timeout_after_work_rate: Some(1.0),
                    ..Default::default()
                },
            )
        })
        .expect("valid");
    let started = Instant::now();
    let body = api.accept(&quote_no).await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(body["IsError"], false);
}

#[tokio::test]
async fn server_errors_do_nothing_and_are_html() {
    let api = Api::start().await;
    api.sim
        .set_faults(on(
            "GetPrice",
            FaultSpec {
                server_error_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("valid");
    let (status, body) = api.qp("GetPrice", price_body()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.as_str().is_some_and(|t| t.contains("<html>")));
    assert!(api.sim.quotes().is_empty());
    // Other endpoints are untouched.
    let (status, _) = api.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn is_error_before_and_after_the_work() {
    let api = Api::start().await;
    api.sim
        .set_faults(on(
            "GetPrice",
            FaultSpec {
                is_error_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("valid");
    let (status, body) = api.qp("GetPrice", price_body()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["IsError"], true);
    assert_eq!(body["ErrorMessage"], INJECTED_ERROR);
    assert!(api.sim.quotes().is_empty(), "nothing done");

    api.sim
        .set_faults(on(
            "GetPrice",
            FaultSpec {
                is_error_after_work_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("valid");
    let (status, body) = api.qp("GetPrice", price_body()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["IsError"], true);
    assert!(body["QuoteDetails"].is_null());
    assert_eq!(
        api.sim.quotes().len(),
        1,
        "the quote exists behind the error"
    );
}

#[tokio::test]
async fn malformed_and_truncated_bodies_after_the_work() {
    let api = Api::start().await;
    let quote_no = api.order_quote("broken").await;
    for spec in [
        FaultSpec {
            malformed_json_rate: Some(1.0),
            ..Default::default()
        },
        FaultSpec {
            truncated_json_rate: Some(1.0),
            ..Default::default()
        },
    ] {
        api.sim.set_faults(on("AcceptQuote", spec)).expect("valid");
        let (status, body) = api.qp("AcceptQuote", json!({"QuoteNo": quote_no})).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.is_string(), "not JSON: {body}");
    }
    assert_eq!(api.sim.jobs().len(), 2);
}

#[tokio::test]
async fn expired_token_fault_and_lifetime_override() {
    let api = Api::start().await;
    api.sim
        .set_faults(on(
            "GetQuoteDetails",
            FaultSpec {
                expired_token_rate: Some(1.0),
                ..Default::default()
            },
        ))
        .expect("valid");
    let (_, body) = api.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
    assert_eq!(body["ErrorMessage"], INVALID_LOGIN_TOKEN);
    api.sim.reset();
    // The token stays expired; a new login gets through.
    let (_, still) = api
        .qp("GetTreeNodes", json!({"CustomerCode": "WEBSHOP"}))
        .await;
    assert_eq!(still["ErrorMessage"], INVALID_LOGIN_TOKEN);
    let fresh = api.login().await;
    let (_, ok) = api
        .qp_with_token("GetTreeNodes", &fresh, json!({"CustomerCode": "WEBSHOP"}))
        .await;
    assert_eq!(ok["IsError"], false);
    // TokenLifetimeSecs 0 expires every token at once.
    api.sim
        .set_faults(FaultConfig {
            token_lifetime_secs: Some(0),
            ..Default::default()
        })
        .expect("valid");
    let (_, gone) = api
        .qp_with_token("GetTreeNodes", &fresh, json!({"CustomerCode": "WEBSHOP"}))
        .await;
    assert_eq!(gone["ErrorMessage"], INVALID_LOGIN_TOKEN);
}

#[tokio::test]
async fn latency_and_hang() {
    let api = Api::start().await;
    api.sim
        .set_faults(FaultConfig {
            hang_secs: Some(60),
            global: FaultSpec {
                latency_ms: Some(200),
                ..Default::default()
            },
            ..on(
                "GetFilters",
                FaultSpec {
                    hang_rate: Some(1.0),
                    ..Default::default()
                },
            )
        })
        .expect("valid");
    let started = Instant::now();
    api.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    let r = api
        .client
        .post(api.sim.quote_process_url("GetFilters"))
        .query(&[("LoginToken", api.token.as_str())])
        .json(&json!({"TreeNodeID": 1111, "CustomerCode": "WEBSHOP"}))
        .timeout(Duration::from_millis(600))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
    let open = api.sim.calls_to("GetFilters");
    assert_eq!(open[0].fault.as_deref(), Some("hang"));
    assert!(open[0].status.is_none(), "still open");
}

#[tokio::test]
async fn same_seed_same_faults() {
    let run = |seed: u64| async move {
        let faults = on(
            "GetQuoteDetails",
            FaultSpec {
                server_error_rate: Some(0.5),
                ..Default::default()
            },
        );
        let api = Api::with(builder().seed(seed).faults(faults)).await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(api.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await.0);
        }
        statuses
    };
    let a = run(7).await;
    assert_eq!(a, run(7).await);
    assert!(a.contains(&StatusCode::OK) && a.contains(&StatusCode::INTERNAL_SERVER_ERROR));
}

#[tokio::test]
async fn duplicate_webhook_fault() {
    let rx = Receiver::start(0).await;
    let api = Api::with(builder().faults(FaultConfig {
        webhook_duplicate_rate: Some(1.0),
        ..Default::default()
    }))
    .await;
    api.sim.link_webhook(Event::CreateJob, &rx.url);
    let q = api.order_quote("dup").await;
    api.accept(&q).await;
    let got = rx.wait_for(|r| r.len() >= 2).await;
    assert_eq!(got[0].body, got[1].body);
    assert!(api.sim.deliveries().iter().any(|d| d.duplicate));
}

#[tokio::test]
async fn faults_through_the_admin_api() {
    let api = Api::start().await;
    let url = api.sim.admin_url("faults");
    let bad = api
        .client
        .put(&url)
        .json(&json!({"Endpoints": {"NoSuch": {"IsErrorRate": 2}}}))
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let good: serde_json::Value = api
        .client
        .put(&url)
        .json(&json!({"Endpoints": {"acceptquote": {"TimeoutAfterWorkRate": 1}}, "HangSecs": 5}))
        .send()
        .await
        .expect("put")
        .json()
        .await
        .expect("json");
    assert_eq!(
        good["Endpoints"]["AcceptQuote"]["TimeoutAfterWorkRate"],
        1.0
    );
    let reset = api
        .client
        .post(api.sim.admin_url("reset?data=true"))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(api.sim.faults(), FaultConfig::default());
}
