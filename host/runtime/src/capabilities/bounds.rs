//! Bounds one tenant's instances share: outgoing requests in flight and
//! log lines per second. The runtime keeps one `TenantBounds` per tenant;
//! every sandbox of that tenant gets a clone.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

/// What one tenant's instances share.
#[derive(Clone)]
pub struct TenantBounds {
    /// Outgoing requests in flight across the tenant's instances.
    pub requests: Arc<Semaphore>,
    pub requests_refused: Arc<AtomicU64>,
    pub log: Arc<LogBudget>,
}

/// Log lines per second for one tenant: lines past the rate are dropped,
/// counted, and summed up in one line per second at most.
pub struct LogBudget {
    limiter: DefaultDirectRateLimiter,
    per_sec: u32,
    dropped: AtomicU64,
    /// Dropped since the last summary line.
    unreported: AtomicU64,
    last_summary: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for LogBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogBudget")
            .field("per_sec", &self.per_sec)
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl LogBudget {
    pub fn new(per_sec: u32) -> Self {
        let per_sec = per_sec.max(1);
        let n = NonZeroU32::new(per_sec).expect("at least 1");
        Self {
            limiter: RateLimiter::direct(Quota::per_second(n)),
            per_sec,
            dropped: AtomicU64::new(0),
            unreported: AtomicU64::new(0),
            last_summary: Mutex::new(None),
        }
    }

    /// Whether a line may be written now. When not, it is counted and, at
    /// most once a second, `summary` is called with the lines dropped since
    /// the last summary and the rate.
    pub fn admit(&self, summary: impl FnOnce(u64, u32)) -> bool {
        if self.limiter.check().is_ok() {
            return true;
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.unreported.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last_summary.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            *last = Some(Instant::now());
            summary(self.unreported.swap(0, Ordering::Relaxed), self.per_sec);
        }
        false
    }

    /// Lines dropped since the tenant's first.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The bounds of every tenant, created on a tenant's first instance.
pub struct BoundsRegistry {
    requests_per_tenant: usize,
    log_lines_per_sec: u32,
    tenants: Mutex<HashMap<Arc<str>, TenantBounds>>,
}

/// What a tenant's bounds refused so far (for metrics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoundsStats {
    pub tenant: Arc<str>,
    pub log_lines_dropped: u64,
    pub requests_refused: u64,
}

impl BoundsRegistry {
    pub fn new(requests_per_tenant: usize, log_lines_per_sec: u32) -> Self {
        Self {
            requests_per_tenant,
            log_lines_per_sec,
            tenants: Mutex::default(),
        }
    }

    pub fn tenant(&self, id: &Arc<str>) -> TenantBounds {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants
            .entry(id.clone())
            .or_insert_with(|| TenantBounds {
                requests: Arc::new(Semaphore::new(self.requests_per_tenant)),
                requests_refused: Arc::default(),
                log: Arc::new(LogBudget::new(self.log_lines_per_sec)),
            })
            .clone()
    }

    /// Tenants whose bounds refused anything, by tenant id.
    pub fn stats(&self) -> Vec<BoundsStats> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let mut stats: Vec<BoundsStats> = tenants
            .iter()
            .map(|(id, b)| BoundsStats {
                tenant: id.clone(),
                log_lines_dropped: b.log.dropped(),
                requests_refused: b.requests_refused.load(Ordering::Relaxed),
            })
            .filter(|s| s.log_lines_dropped > 0 || s.requests_refused > 0)
            .collect();
        stats.sort_by(|a, b| a.tenant.cmp(&b.tenant));
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_to_the_rate_with_one_summary() {
        let budget = LogBudget::new(10);
        let mut summaries = Vec::new();
        let admitted = (0..1000)
            .filter(|_| budget.admit(|n, rate| summaries.push((n, rate))))
            .count();
        assert!((10..=11).contains(&admitted), "{admitted}");
        assert_eq!(budget.dropped(), 1000 - admitted as u64);
        assert_eq!(summaries, vec![(1, 10)], "one summary line per second");
    }
}
