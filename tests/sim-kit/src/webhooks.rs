//! Webhook delivery: one POST with retries and exponential backoff, and a
//! worker that delivers a queue of events in order. What an event looks
//! like, who receives it and how attempts are recorded belongs to each
//! simulator.
//!
//! A delivery counts as done on a 2xx answer; anything else (another
//! status, a connection error, no answer within the timeout) is retried, so
//! a receiver that did the work but answered late sees the event again.

use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often and how patiently an event is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first plus the retries).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Time allowed for one attempt.
    pub timeout: Duration,
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn wait_after(&self, attempt: u32) -> Duration {
        self.backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
    }
}

/// One HTTP POST to make.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    /// Sent as given, after `Content-Type: application/json`.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1-based.
    pub attempt: u32,
    /// HTTP status of the receiver's answer, if one came.
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub success: bool,
}

/// POSTs `out` until a 2xx answer or `policy.max_attempts`, calling
/// `record` after every attempt. False when the simulator is shutting down
/// (the rest of the queue is abandoned), true otherwise (also when every
/// attempt failed).
pub async fn deliver(
    client: &reqwest::Client,
    out: &Outgoing,
    policy: &RetryPolicy,
    shutdown: &mut watch::Receiver<bool>,
    mut record: impl FnMut(&Attempt),
) -> bool {
    for attempt in 1..=policy.max_attempts {
        let mut request = client
            .post(&out.url)
            .timeout(policy.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in &out.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let sent = request.body(out.body.clone()).send().await;
        let (http_status, error) = match sent {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let success = http_status.is_some_and(|s| (200..300).contains(&s));
        if !success {
            tracing::warn!(url = %out.url, attempt, ?http_status, ?error, "webhook delivery failed");
        }
        record(&Attempt {
            attempt,
            http_status,
            error,
            success,
        });
        if success {
            return true;
        }
        if attempt < policy.max_attempts {
            tokio::select! {
                _ = tokio::time::sleep(policy.wait_after(attempt)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return false,
            }
        }
    }
    true
}

/// Takes events off `rx` one at a time and hands each to `handle`, in
/// order, until the queue closes, the switch turns, or `handle` answers
/// false (shutting down).
pub async fn run_in_order<T, F, Fut>(
    mut rx: mpsc::UnboundedReceiver<T>,
    shutdown: watch::Receiver<bool>,
    mut handle: F,
) where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut stop = shutdown.clone();
    loop {
        let event = tokio::select! {
            e = rx.recv() => match e {
                Some(e) => e,
                None => return,
            },
            _ = stop.wait_for(|stop| *stop) => return,
        };
        if !handle(event).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        let p = RetryPolicy {
            max_attempts: 4,
            backoff: Duration::from_millis(100),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(p.wait_after(1), Duration::from_millis(100));
        assert_eq!(p.wait_after(3), Duration::from_millis(400));
    }
}
