//! Webhook subscriptions and their delivery.
//!
//! Each subscription has one background worker that delivers its events in
//! order, so a subscriber never sees `Finished` after `Despatched`; a failing
//! delivery is retried with exponential backoff (up to [`MAX_ATTEMPTS`])
//! before the worker moves on to the next event.

use crate::model::{Job, JobStatus, Subscription, WebhookDelivery};
use crate::time::now_rfc3339;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sim_kit::webhooks::{Outgoing, RetryPolicy, deliver, run_in_order};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub const MAX_ATTEMPTS: u32 = 5;
pub const SIGNATURE_HEADER: &str = "X-Tharstern-Signature";
pub const EVENT_HEADER: &str = "X-Tharstern-Event";
/// The event ID; the same on every retry, so receivers can de-duplicate.
pub const DELIVERY_HEADER: &str = "X-Tharstern-Delivery";

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new(); // HMAC takes keys of any length; never happens
    };
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Checks a signature header in constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let expected = sign(secret, body);
    let (a, b) = (expected.as_bytes(), header.trim().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug)]
struct Event {
    id: i64,
    job_no: String,
    status: JobStatus,
    body: Vec<u8>,
}

#[derive(Debug)]
struct Entry {
    sub: Subscription,
    queue: mpsc::UnboundedSender<Arc<Event>>,
}

#[derive(Debug, Default)]
struct DeliveryLog {
    entries: Mutex<Vec<WebhookDelivery>>,
    next_id: AtomicI64,
}

/// Subscriptions, their workers, and the delivery log.
#[derive(Debug)]
pub struct WebhookHub {
    subs: Mutex<BTreeMap<i64, Entry>>,
    next_sub_id: AtomicI64,
    next_event_id: AtomicI64,
    log: Arc<DeliveryLog>,
    client: reqwest::Client,
    backoff: Duration,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
    shutdown: watch::Receiver<bool>,
}

impl WebhookHub {
    pub fn new(
        backoff: Duration,
        timeout: Duration,
        runtime: tokio::runtime::Handle,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            subs: Mutex::new(BTreeMap::new()),
            next_sub_id: AtomicI64::new(0),
            next_event_id: AtomicI64::new(0),
            log: Arc::default(),
            client: reqwest::Client::new(),
            backoff,
            timeout,
            runtime,
            shutdown,
        }
    }

    /// Adds a subscription and starts its worker.
    pub fn subscribe(&self, url: String, secret: String) -> Subscription {
        let sub = Subscription {
            id: self.next_sub_id.fetch_add(1, Ordering::Relaxed) + 1,
            url,
            secret,
            created_at: now_rfc3339(),
        };
        let (queue, rx) = mpsc::unbounded_channel();
        let worker = Worker {
            sub: sub.clone(),
            client: self.client.clone(),
            log: self.log.clone(),
            backoff: self.backoff,
            timeout: self.timeout,
            shutdown: self.shutdown.clone(),
        };
        self.runtime.spawn(worker.run(rx));
        self.subs.lock().unwrap_or_else(|e| e.into_inner()).insert(
            sub.id,
            Entry {
                sub: sub.clone(),
                queue,
            },
        );
        sub
    }

    /// Removes a subscription; its worker ends once its queue is drained.
    pub fn unsubscribe(&self, id: i64) -> bool {
        self.subs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
            .is_some()
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.subs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|e| e.sub.clone())
            .collect()
    }

    pub fn clear_subscriptions(&self) {
        self.subs.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.log
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn clear_deliveries(&self) {
        self.log
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Queues a `JobStatusChanged` event for every subscriber. Never blocks.
    pub fn publish(&self, job: &Job) {
        let body = serde_json::json!({
            "Event": "JobStatusChanged",
            "JobNo": job.job_no,
            "OrderID": job.order_id,
            "OrderNo": job.order_no,
            "UniqueSubmitOrderID": job.unique_submit_order_id,
            "Status": job.status,
            "TrackingNumber": job.tracking_number,
            "Timestamp": job.updated_at,
        });
        let event = Arc::new(Event {
            id: self.next_event_id.fetch_add(1, Ordering::Relaxed) + 1,
            job_no: job.job_no.clone(),
            status: job.status,
            body: serde_json::to_vec(&body).unwrap_or_default(),
        });
        for entry in self.subs.lock().unwrap_or_else(|e| e.into_inner()).values() {
            // A closed queue means the worker stopped (shutdown): nothing to do.
            let _ = entry.queue.send(event.clone());
        }
    }
}

struct Worker {
    sub: Subscription,
    client: reqwest::Client,
    log: Arc<DeliveryLog>,
    backoff: Duration,
    timeout: Duration,
    shutdown: watch::Receiver<bool>,
}

impl Worker {
    async fn run(self, rx: mpsc::UnboundedReceiver<Arc<Event>>) {
        let worker = &self;
        run_in_order(rx, self.shutdown.clone(), |event| async move {
            worker.deliver(&event).await
        })
        .await;
    }

    /// Delivers one event with retries; false when shutting down.
    async fn deliver(&self, event: &Event) -> bool {
        let out = Outgoing {
            url: self.sub.url.clone(),
            headers: vec![
                (
                    SIGNATURE_HEADER.to_string(),
                    sign(&self.sub.secret, &event.body),
                ),
                (EVENT_HEADER.to_string(), "JobStatusChanged".to_string()),
                (DELIVERY_HEADER.to_string(), event.id.to_string()),
            ],
            body: event.body.clone(),
        };
        let policy = RetryPolicy {
            max_attempts: MAX_ATTEMPTS,
            backoff: self.backoff,
            timeout: self.timeout,
        };
        let mut shutdown = self.shutdown.clone();
        deliver(&self.client, &out, &policy, &mut shutdown, |a| {
            self.record(event, a.attempt, a.http_status, a.error.clone(), a.success)
        })
        .await
    }

    fn record(
        &self,
        event: &Event,
        attempt: u32,
        http_status: Option<u16>,
        error: Option<String>,
        success: bool,
    ) {
        let delivery = WebhookDelivery {
            id: self.log.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            event_id: event.id,
            subscription_id: self.sub.id,
            url: self.sub.url.clone(),
            job_no: event.job_no.clone(),
            job_status: event.status,
            attempt,
            http_status,
            error,
            success,
            at: now_rfc3339(),
            body: String::from_utf8_lossy(&event.body).into_owned(),
        };
        self.log
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(delivery);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_known_vector() {
        // RFC 4231 test case 2.
        let s = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            s,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify("Jefe", b"what do ya want for nothing?", &s));
        assert!(!verify("Jefe", b"what do ya want for nothing!", &s));
    }
}
