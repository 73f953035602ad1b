//! What a connector remembers of each back-office job's progress, so the
//! status it reports never moves backwards and a webhook delivered twice
//! (back offices retry, and may deliver out of order) counts once.
//!
//! A connector ranks its back office's statuses (`0..=FINAL`, higher is
//! further along; every final status ranks [`FINAL`]); [`Progress`] keeps
//! the last rank and text per job in the tenant cache.

use crate::cache::{Cache, digest};
use crate::platform::Platform;

/// The rank of a final status (delivered, cancelled): nothing follows it.
pub const FINAL: u8 = 50;

pub struct Progress<'a> {
    p: &'a dyn Platform,
    /// How long a job's memory is kept.
    ttl_secs: u32,
}

impl<'a> Progress<'a> {
    pub fn new(p: &'a dyn Platform, ttl_secs: u32) -> Self {
        Progress { p, ttl_secs }
    }

    /// The last status remembered for `job`: (rank, text).
    pub fn last(&self, job: &str) -> Option<(u8, String)> {
        Cache::new(self.p).get(&format!("stage:{job}"))
    }

    /// True (and remembered) when a status of `rank` and `text` moves `job`
    /// on, or is the first seen; false when it would move it backwards or
    /// repeat the last one (same rank and text, or a second final status).
    pub fn advance(&self, job: &str, rank: u8, text: &str) -> bool {
        match self.last(job) {
            Some((l, _)) if l > rank => return false,
            Some((l, t)) if l == rank && (l == FINAL || t.eq_ignore_ascii_case(text)) => {
                return false;
            }
            _ => {}
        }
        let key = format!("stage:{job}");
        Cache::new(self.p).set(&key, &(rank, text), self.ttl_secs);
        true
    }

    /// True the first time a delivery of `event` about `job` with `detail`
    /// (a status text, a consignment number) is seen; the event and detail
    /// are compared without case, the job exactly. The cache's atomic `add`,
    /// so two instances handling the same retry cannot both count it.
    pub fn first_time(&self, event: &str, job: &str, detail: &str) -> bool {
        let (event, detail) = (event.to_ascii_lowercase(), detail.to_ascii_lowercase());
        let key = format!("wh:{}", digest(&[&event, job, &detail]));
        self.p.cache_add(&key, b"1", self.ttl_secs)
    }
}

#[cfg(test)]
mod tests;
