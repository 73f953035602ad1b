//! The soak's storefront traffic: a fixed mix of prices, stock readings,
//! checkouts (a price, then an order by that quote), plain orders and order
//! reads, each answer counted by operation and outcome.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::service_support::{SF, TOKEN};

/// Plain orders at most: on Tharstern, orders of one pen, so that the
/// simulator's 5,000 pens, less the mapping's minimum order of 100, never
/// run out (an order short of stock is parked, which would read as lost).
pub const STOCK_ORDERS: usize = 4000;

/// Answers by operation and outcome (`ok`, or the error's kind).
#[derive(Default)]
pub struct Counts(Mutex<BTreeMap<(&'static str, String), u64>>);

impl Counts {
    pub fn add(&self, op: &'static str, outcome: String) {
        *self.0.lock().unwrap().entry((op, outcome)).or_default() += 1;
    }

    pub fn snapshot(&self) -> BTreeMap<(&'static str, String), u64> {
        self.0.lock().unwrap().clone()
    }
}

/// A service answer's outcome: `ok`, the typed error kind, or what was
/// wrong with it (`untyped-<status>`, `transport`).
pub fn outcome(answer: &Result<(u16, Value), String>) -> String {
    match answer {
        Ok((status, _)) if (200..300).contains(status) => "ok".into(),
        Ok((status, body)) => body["error"]["kind"]
            .as_str()
            .map_or_else(|| format!("untyped-{status}"), str::to_string),
        Err(_) => "transport".into(),
    }
}

pub struct Traffic {
    pub http: reqwest::Client,
    pub base: String,
    pub counts: Counts,
    /// Orders placed (each accepted, or refused with a 4xx).
    pub orders: AtomicUsize,
    /// The line of the orders placed without a price first: a stock item
    /// on Tharstern (at most [`STOCK_ORDERS`] of them), a product on printIQ.
    pub plain_order: (&'static str, u32),
    pub plain_orders: AtomicUsize,
    /// Ids of accepted orders, for reads.
    pub accepted: Mutex<Vec<String>>,
}

impl Traffic {
    pub fn new(base: &str, plain_order: (&'static str, u32)) -> Self {
        Traffic {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: base.to_string(),
            counts: Counts::default(),
            orders: AtomicUsize::new(0),
            plain_order,
            plain_orders: AtomicUsize::new(0),
            accepted: Mutex::default(),
        }
    }

    /// The body of a 2xx answer.
    async fn call(
        &self,
        op: &'static str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        match self.send(op, method, path, body).await {
            Ok((200..=299, v)) => Some(v),
            _ => None,
        }
    }

    /// Sends one request and counts its outcome.
    async fn send(
        &self,
        op: &'static str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let mut req = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}/api/v1/storefronts/{SF}{path}", self.base),
            )
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.json::<Value>().await {
                    Ok(v) => Ok((status, v)),
                    Err(_) => Ok((status, Value::Null)),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        self.counts.add(op, outcome(&answer));
        answer
    }

    /// One worker's loop: a fixed mix, shifted per worker.
    pub async fn run(&self, worker: usize, until: Instant) {
        let mut i = worker * 3;
        while Instant::now() < until {
            i += 1;
            let customer = if i.is_multiple_of(2) { "alice" } else { "bob" };
            // Mostly 200 quantities x 2 customers, a bounded set the quote
            // cache answers once warm; every 4th a new quantity (a new
            // estimate in Tharstern, a quote in printIQ), as a busy shop's
            // long tail.
            let quantity = if i % 4 == 1 {
                10_000 + i
            } else {
                100 + (i * 7 % 200) * 25
            };
            match i % 10 {
                0..=3 => {
                    self.call("price", "POST", "/price",
                        Some(json!({"product": "business-cards", "quantity": quantity, "customer": customer})))
                        .await;
                }
                4 | 5 => {
                    self.call("stock", "POST", "/stock", Some(json!({"product": "pens"})))
                        .await;
                }
                6 => {
                    // Price, then order by that quote: the storefront's checkout.
                    let Some(p) = self
                        .call("price", "POST", "/price",
                            Some(json!({"product": "business-cards", "quantity": quantity, "customer": customer})))
                        .await
                    else {
                        continue;
                    };
                    self.order(
                        customer,
                        json!({"product": "business-cards", "quantity": quantity,
                        "quote_ref": p["quote_ref"], "price": p["price"]}),
                    )
                    .await;
                }
                7 if self.plain_orders.fetch_add(1, SeqCst) < STOCK_ORDERS => {
                    let (product, quantity) = self.plain_order;
                    self.order(customer, json!({"product": product, "quantity": quantity}))
                        .await;
                }
                _ => {
                    let id = {
                        let accepted = self.accepted.lock().unwrap();
                        (!accepted.is_empty()).then(|| accepted[i % accepted.len()].clone())
                    };
                    if let Some(id) = id {
                        self.call("read", "GET", &format!("/orders/{id}"), None)
                            .await;
                    }
                }
            }
        }
    }

    /// Posts an order until it is accepted, resubmitting with the same id
    /// after no answer or a 5xx, as a storefront does. A 4xx is final (and
    /// the order then counts as lost).
    async fn order(&self, customer: &str, line: Value) {
        let id = format!("S-{:06}", self.orders.fetch_add(1, SeqCst));
        let body = json!({"id": id, "customer": customer, "lines": [line]});
        loop {
            match self
                .send("order", "POST", "/orders", Some(body.clone()))
                .await
            {
                Ok((200..=299, _)) => {
                    self.accepted.lock().unwrap().push(id);
                    return;
                }
                Ok((400..=499, _)) => return,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}
