//! The log of calls received, so tests can assert what a client did
//! ("exactly one submit", "no second estimate request").

use crate::model::CallRecord;
use crate::time::now_rfc3339;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Oldest calls are dropped past this many, so a long-running simulator
/// does not grow without bound.
pub const MAX_CALLS: usize = 100_000;

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

    pub fn clear(&self) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
