//! Orders, jobs and webhooks through real HTTP.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use common::{Api, card_request, pen_order, problems};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn first_order(body: &Value) -> &Value {
    &body["Details"]["Orders"][0]
}

#[tokio::test]
async fn accepted_order_decrements_stock_and_creates_a_job() {
    let api = Api::start().await;
    let (status, body) = api.post("orders/submit", &pen_order("web-1", 100)).await;
    assert_eq!(status, StatusCode::OK);
    let o = first_order(&body);
    assert_eq!(o["ID"], 1);
    assert_eq!(o["OrderNo"], "SO000001");
    assert_eq!(o["UniqueSubmitOrderID"], "web-1");
    let (_, stock) = api.get("stockitems?id=1").await;
    assert_eq!(stock["Details"]["Items"][0]["FreeStock"], 4900);
    assert_eq!(stock["Details"]["Items"][0]["Allocated"], 100);

    let (_, orders) = api.get("orders?orderIDs=1").await;
    let order = &orders["Details"]["Items"][0];
    assert_eq!(order["CustomerCode"], "WEBSHOP");
    assert_eq!(order["Status"], "Received");
    assert_eq!(order["JobNos"], json!(["J000001"]));
    assert_eq!(order["Items"][0]["Quantity"], 100);
    let (_, jobs) = api.get("jobs?orderID=1").await;
    assert_eq!(jobs["Details"]["Items"][0]["JobNo"], "J000001");
    assert_eq!(jobs["Details"]["Items"][0]["Status"], "Received");
    assert_eq!(api.sim.state().jobs().len(), 1);
}

#[tokio::test]
async fn order_with_an_estimate_line_keeps_its_price() {
    let api = Api::start().await;
    let (_, est) = api.post("estrequest", &card_request("Cards")).await;
    let id = est["Details"]["Estimate"]["ID"].clone();
    let order = json!({"Orders": [{
        "UniqueSubmitOrderID": "est-1", "InvoiceCustomer": {"Code": "ACME-MKT"},
        "Items": [{"EstimateID": id, "StockItemID": 0, "Quantity": 250, "Price": 27.3}]
    }]});
    let (_, text) = api.post_raw("orders/submit", &order.to_string()).await;
    assert!(text.contains(r#""ID":1"#), "{text}");
    let (_, text) = {
        let r = api
            .client
            .get(api.url("orders?uniqueSubmitOrderID=est-1"))
            .header("Authorization", common::basic(&api.token))
            .send()
            .await
            .expect("request");
        (r.status(), r.text().await.expect("body"))
    };
    assert!(text.contains(r#""Price":27.30"#), "{text}");
    assert!(text.contains(r#""StockItemID":null"#), "{text}");
}

#[tokio::test]
async fn failed_orders_have_id_zero_and_a_reason() {
    let api = Api::start().await;
    let cases = [
        (
            json!({"UniqueSubmitOrderID": "a", "InvoiceCustomer": {"Code": "NOPE"},
                "Items": [{"StockItemID": 1, "Quantity": 1}]}),
            "Customer 'NOPE' does not exist",
        ),
        (
            json!({"UniqueSubmitOrderID": "b", "InvoiceCustomer": {"Code": "WEBSHOP"},
                "Items": [{"StockItemID": 99, "Quantity": 1}]}),
            "stock item 99 does not exist",
        ),
        (
            json!({"UniqueSubmitOrderID": "c", "InvoiceCustomer": {"Code": "WEBSHOP"},
                "Items": [{"EstimateID": 99, "Quantity": 1}]}),
            "estimate 99 does not exist",
        ),
        (
            json!({"UniqueSubmitOrderID": "d", "InvoiceCustomer": {"Code": "WEBSHOP"},
                "Items": [{"StockItemID": 4, "Quantity": 1}]}),
            "Insufficient free stock",
        ),
        (
            json!({"UniqueSubmitOrderID": "e", "InvoiceCustomer": {"Code": "WEBSHOP"},
                "Items": []}),
            "no items",
        ),
        (
            json!({"UniqueSubmitOrderID": "f", "InvoiceCustomer": {"Code": "WEBSHOP"}}),
            "no items",
        ),
        (
            json!({"UniqueSubmitOrderID": "g", "InvoiceCustomer": {"Code": "WEBSHOP"},
                "Items": [{"Quantity": 1}]}),
            "neither a StockItemID nor an EstimateID",
        ),
        (
            json!({"UniqueSubmitOrderID": "h", "InvoiceCustomer": {"Code": "WEBSHOP"},
                "Items": [{"StockItemID": 1, "Quantity": "lots"}]}),
            "Quantity must be a whole number",
        ),
        (
            json!({"UniqueSubmitOrderID": "i", "Items": [{"StockItemID": 1, "Quantity": 1}]}),
            "InvoiceCustomer.Code is required",
        ),
        (json!("not an object"), "must be an object"),
    ];
    for (order, expected) in cases {
        let (status, body) = api.post("orders/submit", &json!({"Orders": [order]})).await;
        assert_eq!(status, StatusCode::OK);
        let o = first_order(&body);
        assert_eq!(o["ID"], 0, "{expected}");
        let details = o["StatusDetails"].as_str().unwrap_or_default();
        assert!(details.contains(expected), "{expected}: {details}");
    }
    assert!(api.sim.state().orders().is_empty());
    assert!(api.sim.state().jobs().is_empty());
    assert_eq!(api.sim.state().stock_items()[0].free_stock, 5000);

    // One batch, one good and one bad order: reported per order.
    let batch = json!({"Orders": [
        pen_order("ok-1", 1)["Orders"][0].clone(),
        {"UniqueSubmitOrderID": "bad-1", "InvoiceCustomer": {"Code": "NOPE"}, "Items": [{"StockItemID": 1, "Quantity": 1}]}
    ]});
    let (_, body) = api.post("orders/submit", &batch).await;
    assert_eq!(body["Details"]["Orders"][0]["ID"], 1);
    assert_eq!(body["Details"]["Orders"][1]["ID"], 0);
    // A failed order is not remembered: corrected, the same ID goes through.
    let (_, body) = api.post("orders/submit", &pen_order("bad-1", 1)).await;
    assert_eq!(first_order(&body)["ID"], 2);

    for (raw, expected) in [
        ("{", "not valid JSON"),
        ("{}", "Orders is required"),
        (r#"{"Orders": 1}"#, "must be an array"),
    ] {
        let (status, text) = api.post_raw("orders/submit", raw).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains(expected), "{text}");
    }
}

#[tokio::test]
async fn repeated_unique_submit_order_id_answers_the_existing_order() {
    let api = Api::start().await;
    let (_, first) = api.post("orders/submit", &pen_order("web-42", 10)).await;
    let (_, second) = api.post("orders/submit", &pen_order("web-42", 10)).await;
    assert_eq!(first_order(&first)["ID"], first_order(&second)["ID"]);
    assert_eq!(
        first_order(&first)["OrderNo"],
        first_order(&second)["OrderNo"]
    );
    assert_eq!(api.sim.state().orders().len(), 1);
    assert_eq!(api.sim.state().jobs().len(), 1);
    assert_eq!(api.sim.state().stock_items()[0].free_stock, 4990);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_identical_submits_create_one_order() {
    let api = Arc::new(Api::start().await);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let (status, body) = api.post("orders/submit", &pen_order("same-id", 3)).await;
            assert_eq!(status, StatusCode::OK);
            (
                first_order(&body)["ID"].as_i64().unwrap_or(-1),
                first_order(&body)["OrderNo"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    assert!(
        answers.iter().all(|a| a == &(1, "SO000001".to_string())),
        "{answers:?}"
    );
    let state = api.sim.state();
    assert_eq!(state.orders().len(), 1);
    assert_eq!(state.jobs().len(), 1);
    assert_eq!(state.stock_items()[0].free_stock, 4997);
    assert_eq!(state.calls_to("orders/submit").len(), 100);
}

#[tokio::test]
async fn jobs_progress_and_get_a_tracking_number() {
    let api = Api::start().await;
    api.post("orders/submit", &pen_order("p-1", 10)).await;
    let advance = |body: Option<Value>| {
        let api = &api;
        async move {
            api.admin_send(Method::POST, "jobs/J000001/advance", body.as_ref())
                .await
        }
    };
    for expected in ["In Production", "Finished"] {
        let (status, job) = advance(None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(job["Status"], expected);
        assert!(job["TrackingNumber"].is_null());
    }
    let (_, job) = advance(None).await;
    assert_eq!(job["Status"], "Despatched");
    let tracking = job["TrackingNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(tracking.starts_with("TRK"), "{tracking}");
    let (status, _) = advance(None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Order mirrors the job; allocated stock leaves on despatch.
    let (_, orders) = api.get("orders?orderNOs=SO000001").await;
    assert_eq!(orders["Details"]["Items"][0]["Status"], "Despatched");
    assert_eq!(api.sim.state().stock_items()[0].allocated, 0);
    let (_, jobs) = api.get("jobs?jobNo=j000001").await;
    assert_eq!(
        jobs["Details"]["Items"][0]["TrackingNumber"],
        tracking.as_str()
    );

    // Explicit status and tracking number.
    api.post("orders/submit", &pen_order("p-2", 1)).await;
    let (status, job) = api
        .admin_send(
            Method::POST,
            "jobs/J000002/advance",
            Some(&json!({"Status": "despatched", "TrackingNumber": "DPD123"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["Status"], "Despatched");
    assert_eq!(job["TrackingNumber"], "DPD123");
    let (status, _) = api
        .admin_send(
            Method::POST,
            "jobs/J000002/advance",
            Some(&json!({"Status": "Lost"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api
        .admin_send(Method::POST, "jobs/J999999/advance", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_job_from_estimate() {
    let api = Api::start().await;
    let (_, est) = api.post("estrequest", &card_request("Cards")).await;
    let id = est["Details"]["Estimate"]["ID"].clone();
    let (status, body) = api
        .post(
            "job/createfromestimate",
            &json!({"EstimateID": id, "Ref1": "R1", "Ref2": "R2", "SetAsProductionReady": true, "SubmitToWorkflow": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Details"]["JobNo"], "J000001");
    let (_, jobs) = api.get("jobs?id=1").await;
    let job = &jobs["Details"]["Items"][0];
    assert_eq!(job["EstimateID"], 1);
    assert!(job["OrderID"].is_null());
    assert_eq!(job["Status"], "Received");
    assert_eq!(job["Ref1"], "R1");
    let (status, body) = api
        .post("job/createfromestimate", &json!({"EstimateID": 42}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problems(&body)[0].contains("Estimate 42 does not exist"));
    let (status, _) = api.post("job/createfromestimate", &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn jobs_advance_automatically() {
    let api = Api::with(common::builder().auto_advance(Duration::from_millis(200))).await;
    api.post("orders/submit", &pen_order("auto-1", 1)).await;
    let mut status = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = api.sim.state().jobs()[0].status.to_string();
        if status == "Despatched" {
            break;
        }
    }
    assert_eq!(status, "Despatched");
    assert!(api.sim.state().jobs()[0].tracking_number.is_some());
}

#[tokio::test]
async fn webhook_subscriptions_crud() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "webhooks/subscriptions",
            &json!({"Url": "http://127.0.0.1:9/hook", "Secret": "s3cret"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Details"]["ID"], 1);
    let (_, list) = api.get("webhooks/subscriptions").await;
    assert_eq!(list["Details"]["TotalItemCount"], 1);
    assert_eq!(
        list["Details"]["Items"][0]["Url"],
        "http://127.0.0.1:9/hook"
    );
    assert!(list["Details"]["Items"][0].get("Secret").is_none());
    let (status, body) = api
        .post("webhooks/subscriptions", &json!({"Url": "ftp://x"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problems(&body).len(), 2);

    let r = api
        .client
        .delete(api.url("webhooks/subscriptions/1"))
        .header("Authorization", common::basic(&api.token))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let r = api
        .client
        .delete(api.url("webhooks/subscriptions/1"))
        .header("Authorization", common::basic(&api.token))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, list) = api.get("webhooks/subscriptions").await;
    assert_eq!(list["Details"]["TotalItemCount"], 0);
}

/// What the test receiver saw: (signature header, delivery header, body).
type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A receiver that answers 500 to the first attempt of every event.
async fn start_receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    async fn hook(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> AxumStatus {
        let header = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let delivery = header("x-tharstern-delivery");
        let mut seen = seen.lock().expect("lock");
        let first = !seen.iter().any(|(_, d, _)| *d == delivery);
        seen.push((header("x-tharstern-signature"), delivery, body.to_vec()));
        if first {
            AxumStatus::INTERNAL_SERVER_ERROR
        } else {
            AxumStatus::OK
        }
    }
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_in_order() {
    let (url, seen) = start_receiver().await;
    let api = Api::start().await;
    let secret = "whsec-test";
    let (status, _) = api
        .post(
            "webhooks/subscriptions",
            &json!({"Url": url, "Secret": secret}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    api.post("orders/submit", &pen_order("hook-1", 5)).await;
    for _ in 0..3 {
        api.sim.advance_job("J000001", None, None).expect("advance");
    }

    // 4 events (created + 3 changes), each failed once then delivered.
    let mut deliveries = Vec::new();
    for _ in 0..100 {
        deliveries = api.sim.state().deliveries();
        if deliveries.iter().filter(|d| d.success).count() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(deliveries.len(), 8, "{deliveries:?}");
    assert!(
        deliveries
            .iter()
            .filter(|d| d.attempt == 1)
            .all(|d| !d.success && d.http_status == Some(500))
    );
    assert!(
        deliveries
            .iter()
            .filter(|d| d.attempt == 2)
            .all(|d| d.success)
    );

    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 8);
    let mut statuses = Vec::new();
    for (signature, _, body) in &seen {
        // Verified independently of the simulator's own code.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(signature, &format!("sha256={hex}"));
        assert!(tharstern_sim::webhooks::verify(secret, body, signature));
        assert!(!tharstern_sim::webhooks::verify("wrong", body, signature));
        let event: Value = serde_json::from_slice(body).expect("json");
        assert_eq!(event["Event"], "JobStatusChanged");
        assert_eq!(event["JobNo"], "J000001");
        assert_eq!(event["OrderID"], 1);
        assert_eq!(event["OrderNo"], "SO000001");
        assert_eq!(event["UniqueSubmitOrderID"], "hook-1");
        assert!(
            event["Timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        statuses.push(event["Status"].as_str().unwrap_or_default().to_string());
    }
    statuses.dedup();
    assert_eq!(
        statuses,
        ["Received", "In Production", "Finished", "Despatched"]
    );
    let last: Value = serde_json::from_slice(&seen[7].2).expect("json");
    assert!(
        last["TrackingNumber"]
            .as_str()
            .is_some_and(|t| t.starts_with("TRK"))
    );
}

#[tokio::test]
async fn webhook_gives_up_after_five_attempts() {
    let api = Api::start().await;
    // Nothing listens on port 9 (discard) here: every attempt fails.
    api.post(
        "webhooks/subscriptions",
        &json!({"Url": "http://127.0.0.1:9/none", "Secret": "x"}),
    )
    .await;
    api.post("orders/submit", &pen_order("dead-1", 1)).await;
    for _ in 0..100 {
        if api.sim.state().deliveries().len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Long enough for a sixth attempt, were there one.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let deliveries = api.sim.state().deliveries();
    assert_eq!(deliveries.len(), 5);
    assert!(deliveries.iter().all(|d| !d.success && d.error.is_some()));
    assert_eq!(
        deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}
