//! The plugins' tenant cache as the service runs it: the SQLite and Redis
//! backends (the runtime brings the in-memory one), and `[cache]`, resolved
//! once at start-up into one `Arc<dyn CacheBackend>`: nothing else in the
//! service knows which backend it is.

use std::sync::Arc;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::Config;
use crate::service::infra::secrets::redact_url;
use connect_runtime::capabilities::cache::{CacheBackend, MemoryCache};

mod front;
#[cfg(feature = "redis-cache")]
mod redis;
mod sqlite;

#[cfg(feature = "redis-cache")]
pub use redis::RedisCache;
pub use sqlite::{SqliteCache, TOUCH_EVERY};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Where the cache lives. Empty: the SQLite file
    /// `<data_dir>/cache.sqlite` (one node; survives restarts).
    /// `redis://[[user]:password@]host[:port][/db]`: Redis, shared by
    /// several nodes. `memory:`: this process only (lost on restart).
    /// `--print-config` and the logs show it without its password.
    pub url: String,
    /// Bytes (keys plus values) each storefront's cache may hold per
    /// plugin, in KiB. A write over it evicts expired entries first, then
    /// the least recently used.
    pub max_kib_per_tenant: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_kib_per_tenant: 64 << 10,
        }
    }
}

impl CacheConfig {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if !(1..=(4 << 20)).contains(&self.max_kib_per_tenant) {
            bail!("cache.max_kib_per_tenant must be between 1 and 4194304 (4 GiB)");
        }
        Ok(())
    }

    fn max_bytes(&self) -> usize {
        (self.max_kib_per_tenant as usize) << 10
    }
}

/// The backend `[cache]` names. A Redis that does not answer yet is logged,
/// not fatal: cache calls miss until it does.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn CacheBackend>> {
    let c = &config.cache;
    let url = c.url.trim();
    if url.is_empty() {
        let path = config.cache_path();
        tracing::info!(path = %path.display(), max_kib_per_tenant = c.max_kib_per_tenant, "cache: SQLite");
        return Ok(Arc::new(SqliteCache::open(&path, c.max_bytes())?));
    }
    if url == "memory:" {
        tracing::info!(max_kib_per_tenant = c.max_kib_per_tenant, "cache: memory");
        return Ok(Arc::new(MemoryCache::new(c.max_bytes())));
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        return open_redis(url, c.max_bytes()).await;
    }
    bail!(
        "cache.url {} is not a cache this host knows: leave it empty (SQLite in the data \
         directory), or use redis://[[user]:password@]host[:port][/db] or memory:",
        redact_url(url)
    )
}

#[cfg(feature = "redis-cache")]
async fn open_redis(url: &str, max_bytes: usize) -> anyhow::Result<Arc<dyn CacheBackend>> {
    let cache = RedisCache::open(url, max_bytes)?;
    match cache.ping().await {
        Ok(()) => tracing::info!(url = %redact_url(url), max_bytes, "cache: Redis"),
        Err(e) => {
            tracing::error!("cache: Redis does not answer yet, cache calls miss until it does: {e}")
        }
    }
    Ok(Arc::new(cache))
}

#[cfg(not(feature = "redis-cache"))]
async fn open_redis(url: &str, _: usize) -> anyhow::Result<Arc<dyn CacheBackend>> {
    bail!(
        "cache.url {} names Redis, but this connect-host was built without it: \
         rebuild with the cargo feature `redis-cache` (on by default)",
        redact_url(url)
    )
}
