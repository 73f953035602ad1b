//! The tenant-private cache behind the `cache` import.
//!
//! Plugins name keys freely; the host prefixes every key with a
//! [`Namespace`] (tenant and plugin) that the guest cannot see or choose, so
//! one tenant's plugin can never read another tenant's entries.
//!
//! Every backend ([`MemoryCache`] here; the SQLite and Redis ones of
//! `connect-host`, or an embedder's own) keeps the same promises, checked by one
//! conformance suite (`conformance`, feature `testing`): TTLs, an atomic
//! `add`, and a byte quota per namespace (key plus value bytes) that evicts
//! expired entries first, then the least recently used.
//!
//! The trait is async because the Redis backend waits on the network: the
//! `cache` import is an async host function (see `bindings/imports.rs`), so
//! a Redis round trip parks the guest's fiber instead of a tokio worker.
//! The embedded backends answer inside the first poll.
//!
//! A failing backend never fails the plugin's call: [`TenantCache`] turns a
//! [`CacheError`] into a miss (`get`), a dropped write (`set`, `delete`) or a
//! granted `add`, and logs it at most once per [`ERROR_LOG_EVERY`].

mod memory;

#[cfg(feature = "testing")]
pub mod conformance;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub use memory::MemoryCache;

/// The coarsest resolution at which a backend may record an entry's last
/// use (entries used within it may leave in either order).
pub const USE_RESOLUTION: Duration = Duration::from_secs(1);

/// The scope of a cache entry: one tenant's use of one plugin.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Namespace(Arc<str>);

/// Between tenant and plugin in [`Namespace::as_str`].
const SEPARATOR: char = '\u{1f}';

impl Namespace {
    pub fn new(tenant: &str, plugin: &str) -> Self {
        // The unit separator cannot appear in tenant or plugin ids (the host
        // validates both), so distinct pairs never collide.
        Self(format!("{tenant}{SEPARATOR}{plugin}").into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `tenant/plugin`: readable, and as unambiguous (ids have no `/`).
    pub fn display(&self) -> String {
        self.0.replace(SEPARATOR, "/")
    }
}

/// A backend's answer. The embedded backends answer at once, without an
/// allocation (a warm quote makes a cache call or two); Redis's waits.
pub enum CacheFuture<'a, T> {
    Ready(std::future::Ready<Result<T, CacheError>>),
    Waiting(Pin<Box<dyn Future<Output = Result<T, CacheError>> + Send + 'a>>),
}

impl<'a, T> CacheFuture<'a, T> {
    pub fn ready(answer: Result<T, CacheError>) -> Self {
        Self::Ready(std::future::ready(answer))
    }

    pub fn waiting(answer: impl Future<Output = Result<T, CacheError>> + Send + 'a) -> Self {
        Self::Waiting(Box::pin(answer))
    }
}

impl<T> Future for CacheFuture<'_, T> {
    type Output = Result<T, CacheError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Ready(answer) => Pin::new(answer).poll(cx),
            Self::Waiting(answer) => answer.as_mut().poll(cx),
        }
    }
}

/// Why a backend could not answer. The message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The backend failed or did not answer in time (Redis down, disk full).
    #[error("the {backend} cache is unavailable ({detail}); {remedy}")]
    Unavailable {
        backend: &'static str,
        /// What failed; never holds a secret (no URL with a password).
        detail: String,
        /// What the operator should do.
        remedy: &'static str,
    },
}

/// A cache backend. Every method is atomic on its own; an entry's size
/// against the namespace's quota is `key.len() + value.len()`.
pub trait CacheBackend: Send + Sync + 'static {
    fn get<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>>;
    /// `ttl` of `None` keeps the entry until evicted. A value larger than
    /// the whole quota is not stored (and the key's old value is dropped).
    fn set<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, ()>;
    /// Stores only if there is no live entry; true when stored. Atomic
    /// across every user of the backend (for Redis: every node).
    fn add<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, bool>;
    fn delete<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, ()>;
    /// Drops every entry of a namespace (a tenant's settings changed).
    fn clear<'a>(&'a self, ns: &'a Namespace) -> CacheFuture<'a, ()>;
}

/// The guest-facing handle: a backend bound to one namespace.
#[derive(Clone)]
pub struct TenantCache {
    pub backend: Arc<dyn CacheBackend>,
    pub ns: Namespace,
}

/// Longest key a guest may use, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest value a guest may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 8 << 20;

impl TenantCache {
    /// The entry, or `None` when missing, expired or the backend failed.
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        if key.len() > MAX_KEY_BYTES {
            return None;
        }
        self.backend
            .get(&self.ns, key)
            .await
            .unwrap_or_else(|e| self.failed("get", e, None))
    }

    /// Stores the entry; dropped when over the bounds or the backend failed.
    pub async fn set(&self, key: &str, value: &[u8], ttl_seconds: u32) {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            tracing::warn!(
                namespace = %self.ns.display(),
                key_bytes = key.len(),
                value_bytes = value.len(),
                "cache entry over the size bound: not stored"
            );
            return;
        }
        let result = self.backend.set(&self.ns, key, value, ttl(ttl_seconds));
        result.await.unwrap_or_else(|e| self.failed("set", e, ()))
    }

    /// True when stored. A failed backend answers true: the contract's
    /// `add` is a lease that spares concurrent calls the same work, and a
    /// caller that loses waits for the winner's entry in this very cache,
    /// which cannot come. Granting it keeps the plugin working (at worst
    /// two calls do the work, which connectors already tolerate: they look
    /// before they create), where refusing would fail every such call.
    pub async fn add(&self, key: &str, value: &[u8], ttl_seconds: u32) -> bool {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            return false;
        }
        let result = self.backend.add(&self.ns, key, value, ttl(ttl_seconds));
        result.await.unwrap_or_else(|e| self.failed("add", e, true))
    }

    pub async fn delete(&self, key: &str) {
        let result = self.backend.delete(&self.ns, key);
        result
            .await
            .unwrap_or_else(|e| self.failed("delete", e, ()))
    }

    fn failed<T>(&self, op: &'static str, error: CacheError, answer: T) -> T {
        ERROR_LOG.log(op, &self.ns, &error);
        answer
    }
}

fn ttl(seconds: u32) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds.into()))
}

/// Backend failures are logged at most once per this, with a count of the
/// ones left out: a Redis outage fails every cache call of every tenant.
pub const ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// The process's rate limit on cache error lines.
static ERROR_LOG: ErrorLog = ErrorLog {
    next_at_ms: AtomicU64::new(0),
    suppressed: AtomicU64::new(0),
};

struct ErrorLog {
    /// Milliseconds since [`epoch`] before which lines are only counted.
    next_at_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl ErrorLog {
    fn log(&self, op: &str, ns: &Namespace, error: &CacheError) {
        let now = epoch().elapsed().as_millis() as u64;
        let next = self.next_at_ms.load(Ordering::Relaxed);
        let due = now >= next
            && self
                .next_at_ms
                .compare_exchange(
                    next,
                    now + ERROR_LOG_EVERY.as_millis() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if !due {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
        tracing::error!(
            namespace = %ns.display(),
            op,
            suppressed,
            "cache {op} failed, answered as if the cache were empty: {error}"
        );
    }
}

/// A fixed instant early in the process (monotonic time as a number).
pub fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Wall-clock milliseconds since the Unix epoch (what persistent backends
/// store expiry times in).
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that always fails: what a plugin sees is the soft answer.
    struct Down;

    fn down<'a, T: Send + 'a>() -> CacheFuture<'a, T> {
        CacheFuture::waiting(async {
            Err(CacheError::Unavailable {
                backend: "test",
                detail: "down".into(),
                remedy: "none",
            })
        })
    }

    impl CacheBackend for Down {
        fn get<'a>(&'a self, _: &'a Namespace, _: &'a str) -> CacheFuture<'a, Option<Vec<u8>>> {
            down()
        }
        fn set<'a>(
            &'a self,
            _: &'a Namespace,
            _: &'a str,
            _: &'a [u8],
            _: Option<Duration>,
        ) -> CacheFuture<'a, ()> {
            down()
        }
        fn add<'a>(
            &'a self,
            _: &'a Namespace,
            _: &'a str,
            _: &'a [u8],
            _: Option<Duration>,
        ) -> CacheFuture<'a, bool> {
            down()
        }
        fn delete<'a>(&'a self, _: &'a Namespace, _: &'a str) -> CacheFuture<'a, ()> {
            down()
        }
        fn clear<'a>(&'a self, _: &'a Namespace) -> CacheFuture<'a, ()> {
            down()
        }
    }

    #[tokio::test]
    async fn a_failed_backend_is_a_miss_a_dropped_write_and_a_granted_lease() {
        let cache = TenantCache {
            backend: Arc::new(Down),
            ns: Namespace::new("t", "p"),
        };
        assert_eq!(cache.get("k").await, None);
        cache.set("k", b"v", 0).await;
        cache.delete("k").await;
        assert!(cache.add("lease", b"1", 10).await, "a lease fails open");
        assert!(!cache.add(&"k".repeat(MAX_KEY_BYTES + 1), b"1", 10).await);
    }
}
