//! The log of calls received, so tests can assert what a client did
//! ("exactly one submit", "no second quote").

use crate::time::now_rfc3339;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Oldest calls are dropped past this many, so a long-running simulator
/// does not grow without bound.
pub const MAX_CALLS: usize = 100_000;

/// One HTTP call the simulator received (admin endpoints excepted).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallRecord {
    #[serde(rename = "ID")]
    pub id: u64,
    pub method: String,
    /// The path as sent (original case).
    pub path: String,
    pub query: Option<String>,
    /// Canonical endpoint name, if the path matched one.
    pub endpoint: Option<String>,
    /// Status answered; `None` while the call is still open (e.g. hanging).
    pub status: Option<u16>,
    /// The fault injected into this call, if any.
    pub fault: Option<String>,
    pub received_at: String,
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Default)]
pub struct CallLog {
    calls: Mutex<VecDeque<CallRecord>>,
    next_id: AtomicU64,
}

/// Marks a request with its call record (request extension).
#[derive(Debug, Clone, Copy)]
pub struct CallId(pub u64);

impl CallLog {
    /// Records a call as it arrives; its status is filled in by `finish`.
    pub fn start(&self, method: &str, path: &str, query: Option<&str>) -> CallId {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        // Taken under the lock, so IDs ascend along the queue.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        if calls.len() >= MAX_CALLS {
            calls.pop_front();
        }
        calls.push_back(CallRecord {
            id,
            method: method.to_string(),
            path: path.to_string(),
            query: query.map(str::to_string),
            endpoint: None,
            status: None,
            fault: None,
            received_at: now_rfc3339(),
            duration_ms: None,
        });
        CallId(id)
    }

    fn update(&self, id: CallId, f: impl FnOnce(&mut CallRecord)) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        // IDs ascend, so the record is found by binary search.
        if let Ok(i) = calls.binary_search_by_key(&id.0, |c| c.id) {
            f(&mut calls[i]);
        }
    }

    /// Notes the endpoint and an injected fault while the call is still open
    /// (a hanging call never finishes).
    pub fn annotate(&self, id: CallId, endpoint: Option<&str>, fault: Option<&str>) {
        self.update(id, |c| {
            if let Some(e) = endpoint {
                c.endpoint = Some(e.to_string());
            }
            if let Some(f) = fault {
                c.fault = Some(f.to_string());
            }
        });
    }

    pub fn finish(&self, id: CallId, status: u16, duration_ms: u64) {
        self.update(id, |c| {
            c.status = Some(status);
            c.duration_ms = Some(duration_ms);
        });
    }

    pub fn all(&self) -> Vec<CallRecord> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Calls to one endpoint (canonical name, case-insensitive).
    pub fn to_endpoint(&self, endpoint: &str) -> Vec<CallRecord> {
        self.all()
            .into_iter()
            .filter(|c| {
                c.endpoint
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(endpoint))
            })
            .collect()
    }

    pub fn clear(&self) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The body of a logging middleware: records the call (unless its path
    /// starts with `skip_prefix`, the admin API), puts its [`CallId`] into
    /// the request's extensions and notes the status and duration.
    pub async fn record(&self, skip_prefix: &str, mut req: Request, next: Next) -> Response {
        let path = req.uri().path().to_string();
        if path.starts_with(skip_prefix) {
            return next.run(req).await;
        }
        let method = req.method().clone();
        let id = self.start(method.as_str(), &path, req.uri().query());
        req.extensions_mut().insert(id);
        let started = Instant::now();
        let response = next.run(req).await;
        let elapsed = started.elapsed();
        self.finish(id, response.status().as_u16(), elapsed.as_millis() as u64);
        tracing::debug!(%method, %path, status = response.status().as_u16(), ms = elapsed.as_millis() as u64, "call");
        response
    }
}
