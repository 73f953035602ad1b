//! Webhooks as printIQ sends them (printiq.md section 5): printIQ staff
//! link each event to a URL (here: the admin API or `--webhook-url`); the
//! body is the bare JSON object, with no envelope, event field or
//! signature. A non-2xx delivery is retried 3 times with backoff, so a
//! receiver may see an event more than once. Each URL has one worker that
//! delivers its events in order.

use crate::faults::Faults;
use crate::model::WebhookDelivery;
use serde::{Deserialize, Serialize};
use sim_kit::time::now_rfc3339;
use sim_kit::webhooks::{Outgoing, RetryPolicy, deliver, run_in_order};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// The events the simulator sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Event {
    CreateQuote,
    CreateJob,
    CompleteJob,
    CreateConsignment,
}

impl Event {
    pub const ALL: [Event; 4] = [
        Event::CreateQuote,
        Event::CreateJob,
        Event::CompleteJob,
        Event::CreateConsignment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::CreateQuote => "CreateQuote",
            Event::CreateJob => "CreateJob",
            Event::CompleteJob => "CompleteJob",
            Event::CreateConsignment => "CreateConsignment",
        }
    }

    pub fn parse(text: &str) -> Option<Event> {
        Event::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// `url` plus `event={name}` as a query parameter.
pub fn event_url(base: &str, event: Event) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}event={}", event.as_str())
}

#[derive(Debug)]
struct Queued {
    id: i64,
    event: Event,
    url: String,
    key: String,
    body: Vec<u8>,
}

#[derive(Debug, Default)]
struct DeliveryLog {
    entries: Mutex<Vec<WebhookDelivery>>,
    next_id: AtomicI64,
}

/// Event URLs, one worker per URL, and the delivery log.
#[derive(Debug)]
pub struct WebhookHub {
    urls: Mutex<BTreeMap<Event, String>>,
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Queued>>>,
    next_event_id: AtomicI64,
    log: Arc<DeliveryLog>,
    client: reqwest::Client,
    policy: RetryPolicy,
    runtime: tokio::runtime::Handle,
    shutdown: watch::Receiver<bool>,
}

impl WebhookHub {
    pub fn new(
        policy: RetryPolicy,
        runtime: tokio::runtime::Handle,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            urls: Mutex::default(),
            queues: Mutex::default(),
            next_event_id: AtomicI64::new(0),
            log: Arc::default(),
            client: reqwest::Client::new(),
            policy,
            runtime,
            shutdown,
        }
    }

    /// Links every event to `base?event={Name}`.
    pub fn link_all(&self, base: &str) {
        let mut urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
        for event in Event::ALL {
            urls.insert(event, event_url(base, event));
        }
    }

    /// Links one event to a URL exactly as given.
    pub fn link(&self, event: Event, url: String) {
        self.urls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event, url);
    }

    pub fn unlink_all(&self) {
        self.urls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn links(&self) -> BTreeMap<Event, String> {
        self.urls.lock().unwrap_or_else(|e| e.into_inner()).clone()
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

    /// Queues an event for its URL, if one is linked. Never blocks.
    pub fn publish(&self, event: Event, key: &str, body: Vec<u8>, faults: &Arc<Faults>) {
        let Some(url) = self.links().get(&event).cloned() else {
            return;
        };
        let queued = Queued {
            id: self.next_event_id.fetch_add(1, Ordering::Relaxed) + 1,
            event,
            url: url.clone(),
            key: key.to_string(),
            body,
        };
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let queue = queues.entry(url.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let worker = Worker {
                client: self.client.clone(),
                log: self.log.clone(),
                policy: self.policy,
                shutdown: self.shutdown.clone(),
                faults: faults.clone(),
            };
            self.runtime.spawn(worker.run(rx));
            tx
        });
        // A closed queue means the worker stopped (shutdown): nothing to do.
        let _ = queue.send(queued);
    }
}

struct Worker {
    client: reqwest::Client,
    log: Arc<DeliveryLog>,
    policy: RetryPolicy,
    shutdown: watch::Receiver<bool>,
    faults: Arc<Faults>,
}

impl Worker {
    async fn run(self, rx: mpsc::UnboundedReceiver<Queued>) {
        let worker = &self;
        run_in_order(rx, self.shutdown.clone(), |event| async move {
            worker.deliver(&event).await
        })
        .await;
    }

    /// Delivers one event with retries, and once more when the duplicate
    /// fault hits; false when shutting down.
    async fn deliver(&self, event: &Queued) -> bool {
        let out = Outgoing {
            url: event.url.clone(),
            headers: Vec::new(),
            body: event.body.clone(),
        };
        let mut shutdown = self.shutdown.clone();
        let mut duplicate = false;
        loop {
            let mut delivered = false;
            let going = deliver(&self.client, &out, &self.policy, &mut shutdown, |a| {
                delivered |= a.success;
                self.record(event, a, duplicate)
            })
            .await;
            if !going {
                return false;
            }
            if duplicate || !delivered || !self.faults.duplicate_webhook() {
                return true;
            }
            duplicate = true;
        }
    }

    fn record(&self, event: &Queued, a: &sim_kit::webhooks::Attempt, duplicate: bool) {
        let delivery = WebhookDelivery {
            id: self.log.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            event_id: event.id,
            event: event.event.as_str().to_string(),
            url: event.url.clone(),
            key: event.key.clone(),
            attempt: a.attempt,
            duplicate,
            http_status: a.http_status,
            error: a.error.clone(),
            success: a.success,
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
    fn event_urls() {
        assert_eq!(
            event_url("http://h/hook", Event::CreateJob),
            "http://h/hook?event=CreateJob"
        );
        assert_eq!(
            event_url("http://h/hook?sf=a", Event::CompleteJob),
            "http://h/hook?sf=a&event=CompleteJob"
        );
        assert_eq!(
            Event::parse("createconsignment"),
            Some(Event::CreateConsignment)
        );
    }
}
