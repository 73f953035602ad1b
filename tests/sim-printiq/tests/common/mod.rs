//! Helpers shared by the integration tests: a started simulator, a logged-in
//! client, JSON shortcuts and a webhook receiver.
#![allow(dead_code)]

use printiq_sim::{
    DEMO_API_KEY, DEMO_API_NAME, DEMO_APPLICATION_KEY, DEMO_APPLICATION_NAME, DEMO_PASSWORD,
    DEMO_USER_NAME, SimHandle, Simulator, SimulatorBuilder,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Api {
    pub sim: SimHandle,
    pub client: reqwest::Client,
    pub token: String,
}

/// A simulator with demo data and quick webhook retries.
pub fn builder() -> SimulatorBuilder {
    Simulator::builder()
        .demo_data()
        .webhook_backoff(Duration::from_millis(50))
}

pub fn login_query() -> String {
    format!(
        "UserName={DEMO_USER_NAME}&Password={DEMO_PASSWORD}&ApplicationName={DEMO_APPLICATION_NAME}&ApplicationKey={DEMO_APPLICATION_KEY}"
    )
}

impl Api {
    pub async fn start() -> Api {
        Api::with(builder()).await
    }

    pub async fn with(builder: SimulatorBuilder) -> Api {
        let sim = builder.start().await.expect("simulator starts");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut api = Api {
            sim,
            client,
            token: String::new(),
        };
        api.token = api.login().await;
        api
    }

    /// Logs in over HTTP as the community client does: POST, query, no body.
    pub async fn login(&self) -> String {
        let r = self
            .client
            .post(format!(
                "{}?{}",
                self.sim.quote_process_url("GetApplicationLogInToken"),
                login_query()
            ))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::OK);
        let token: String = r.json().await.expect("a JSON string");
        assert!(!token.is_empty(), "demo credentials accepted");
        token
    }

    /// POSTs a QuoteProcess call with the token; answers status and JSON.
    pub async fn qp(&self, call: &str, body: Value) -> (StatusCode, Value) {
        self.qp_with_token(call, &self.token.clone(), body).await
    }

    pub async fn qp_with_token(&self, call: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.sim.quote_process_url(call))
            .query(&[("LoginToken", token)])
            .json(&body)
            .send()
            .await
            .expect("call");
        let status = r.status();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// GETs a webhook-service path with the demo headers.
    pub async fn ws_get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.sim.webhook_service_url(path))
            .header("PrintIQ-API-Name", DEMO_API_NAME)
            .header("PrintIQ-API-Key", DEMO_API_KEY)
            .send()
            .await
            .expect("call");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn ws_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.sim.webhook_service_url(path))
            .header("PrintIQ-API-Name", DEMO_API_NAME)
            .header("PrintIQ-API-Key", DEMO_API_KEY)
            .json(&body)
            .send()
            .await
            .expect("call");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// GetPrice for a product code; answers the QuoteNo.
    pub async fn price(&self, code: &str, quantity: i64, reference: &str) -> Value {
        let (status, body) = self
            .qp(
                "GetPrice",
                json!({"CustomerCode": "WEBSHOP", "ProductCode": code,
                       "SelectedQuantity": {"Quantity": quantity, "Kinds": 1},
                       "CustomerReference": reference, "JobTitle": reference,
                       "AcceptQuote": false}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["IsError"], false, "{body}");
        body
    }

    /// An order quote with one delivery; answers the QuoteNo.
    pub async fn order_quote(&self, reference: &str) -> String {
        let (_, body) = self
            .qp(
                "CreateQuoteWithDelivery",
                json!({"CustomerCode": "WEBSHOP", "ProductCode": "FLY-A5",
                       "SelectedQuantity": {"Quantity": 1000},
                       "CustomerReference": reference, "JobTitle": reference,
                       "Deliveries": [{"Quantity": 1000, "FreightMethod": "Standard",
                         "DestinationAddress": {"Name": "Ann Buyer", "AddressLine1": "1 High St",
                           "City": "London", "Postcode": "N1 1AA", "Country": "GB"}}]}),
            )
            .await;
        assert_eq!(body["IsError"], false, "{body}");
        body["QuoteDetails"]["QuoteNo"]
            .as_str()
            .expect("QuoteNo")
            .to_string()
    }

    pub async fn accept(&self, quote_no: &str) -> Value {
        let (status, body) = self.qp("AcceptQuote", json!({"QuoteNo": quote_no})).await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    pub async fn admin(&self, path: &str) -> Value {
        self.client
            .get(self.sim.admin_url(path))
            .send()
            .await
            .expect("admin")
            .json()
            .await
            .expect("json")
    }
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub query: String,
    pub body: Value,
}

/// A webhook receiver on a free port that answers 500 to the first
/// `fail_first` requests and 200 after.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        use axum::extract::{RawQuery, State};
        use axum::http::StatusCode as S;
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    move |State(r): State<Arc<Mutex<Vec<Received>>>>,
                          RawQuery(q): RawQuery,
                          body: String| async move {
                        let mut list = r.lock().expect("lock");
                        list.push(Received {
                            query: q.unwrap_or_default(),
                            body: serde_json::from_str(&body).unwrap_or(Value::Null),
                        });
                        if list.len() <= fail_first {
                            S::INTERNAL_SERVER_ERROR
                        } else {
                            S::OK
                        }
                    },
                ),
            )
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            received,
            _stop: tx,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits until `pred` holds for what was received (up to 10 s).
    pub async fn wait_for(&self, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.received();
        panic!("receiver never saw what was expected; got {got:#?}");
    }
}

/// Waits until `pred` holds (up to 10 s).
pub async fn eventually(mut pred: impl FnMut() -> bool) {
    for _ in 0..200 {
        if pred() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition never held");
}
