//! Helpers shared by the integration tests: a started simulator, an
//! authenticated client and JSON shortcuts.
// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tharstern_sim::{SimHandle, Simulator, SimulatorBuilder};

pub struct Api {
    pub sim: SimHandle,
    pub client: reqwest::Client,
    pub token: String,
}

pub fn basic(token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(token)
    )
}

/// A simulator with demo data and quick webhook retries.
pub fn builder() -> SimulatorBuilder {
    Simulator::builder()
        .demo_data()
        .webhook_backoff(Duration::from_millis(50))
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

    /// Authenticates over HTTP with the demo user.
    pub async fn login(&self) -> String {
        let (status, body) = self
            .get_anon(
                "authentication/GenerateAPIToken?email=api@example.com&password=secret&applicationId=tests",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body["Details"]["Token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    pub fn url(&self, path: &str) -> String {
        self.sim.url(path)
    }

    async fn parse(response: reqwest::Response) -> (StatusCode, Value) {
        let status = response.status();
        let text = response.text().await.expect("body");
        let value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .header("Authorization", basic(&self.token))
            .send()
            .await
            .expect("request");
        Self::parse(r).await
    }

    pub async fn get_anon(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        Self::parse(r).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("Authorization", basic(&self.token))
            .json(body)
            .send()
            .await
            .expect("request");
        Self::parse(r).await
    }

    /// POST with a raw body; answers status and raw text.
    pub async fn post_raw(&self, path: &str, body: &str) -> (StatusCode, String) {
        let r = self
            .client
            .post(self.url(path))
            .header("Authorization", basic(&self.token))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        (r.status(), r.text().await.expect("body"))
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let r = self
            .client
            .get(self.sim.admin_url(path))
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.expect("json")
    }

    pub async fn admin_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.sim.admin_url(path));
        if let Some(b) = body {
            req = req.json(b);
        }
        Self::parse(req.send().await.expect("request")).await
    }
}

/// The problems of a 400 answer.
pub fn problems(body: &Value) -> Vec<String> {
    body["Details"]["Result"]["Problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A priced request for 250 business cards.
pub fn card_request(title: &str) -> Value {
    serde_json::json!({
        "Title": title,
        "ProductTypeId": 1,
        "Quantity": 250,
        "Customer": {"Code": "WEBSHOP"},
    })
}

/// An order of pens (stock item 1).
pub fn pen_order(unique: &str, quantity: i64) -> Value {
    serde_json::json!({"Orders": [{
        "UniqueSubmitOrderID": unique,
        "InvoiceCustomer": {"Code": "WEBSHOP"},
        "OrderDate": "2026-11-29",
        "RequiredDate": "2026-12-06",
        "Ref1": "PO-1",
        "Items": [{"StockItemID": 1, "Quantity": quantity, "Description": "Pens"}]
    }]})
}
