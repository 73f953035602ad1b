//! The tenant-private cache behind the `cache` import.
//!
//! Plugins name keys freely; the host prefixes every key with a
//! [`Namespace`] (tenant and plugin) that the guest cannot see or choose, so
//! one tenant's plugin can never read another tenant's entries.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

/// The scope of a cache entry: one tenant's use of one plugin.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Namespace(Arc<str>);

impl Namespace {
    pub fn new(tenant: &str, plugin: &str) -> Self {
        // The unit separator cannot appear in tenant or plugin ids (the host
        // validates both), so distinct pairs never collide.
        Self(format!("{tenant}\u{1f}{plugin}").into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A cache backend. Implementations must be cheap to call from a guest's
/// host function: no network round trips on `get` for the embedded ones.
pub trait CacheBackend: Send + Sync + 'static {
    fn get(&self, ns: &Namespace, key: &str) -> Option<Vec<u8>>;
    /// `ttl` of `None` keeps the entry until evicted.
    fn set(&self, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>);
    /// Stores only if there is no live entry; true when stored. Atomic.
    fn add(&self, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>) -> bool;
    fn delete(&self, ns: &Namespace, key: &str);
    /// Drops every entry of a namespace (a tenant's settings changed).
    fn clear(&self, ns: &Namespace);
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
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        if key.len() > MAX_KEY_BYTES {
            return None;
        }
        self.backend.get(&self.ns, key)
    }

    pub fn set(&self, key: &str, value: &[u8], ttl_seconds: u32) {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            tracing::warn!(
                namespace = self.ns.as_str(),
                key_bytes = key.len(),
                value_bytes = value.len(),
                "cache entry over the size bound: not stored"
            );
            return;
        }
        let ttl = (ttl_seconds > 0).then(|| Duration::from_secs(ttl_seconds.into()));
        self.backend.set(&self.ns, key, value, ttl);
    }

    pub fn add(&self, key: &str, value: &[u8], ttl_seconds: u32) -> bool {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            return false;
        }
        let ttl = (ttl_seconds > 0).then(|| Duration::from_secs(ttl_seconds.into()));
        self.backend.add(&self.ns, key, value, ttl)
    }

    pub fn delete(&self, key: &str) {
        self.backend.delete(&self.ns, key);
    }
}

/// In-memory backend: one map per namespace, each behind its own lock so
/// tenants do not contend, with a byte budget per namespace.
pub struct MemoryCache {
    namespaces: RwLock<HashMap<Namespace, Arc<Mutex<Entries>>>>,
    max_bytes_per_namespace: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, MemEntry>,
    bytes: usize,
}

struct MemEntry {
    value: Box<[u8]>,
    expires: Option<Instant>,
}

impl MemEntry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

impl MemoryCache {
    pub fn new(max_bytes_per_namespace: usize) -> Self {
        Self {
            namespaces: RwLock::default(),
            max_bytes_per_namespace,
        }
    }

    fn entries(&self, ns: &Namespace) -> Option<Arc<Mutex<Entries>>> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(ns)
            .cloned()
    }

    fn entries_or_insert(&self, ns: &Namespace) -> Arc<Mutex<Entries>> {
        if let Some(entries) = self.entries(ns) {
            return entries;
        }
        let mut all = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        all.entry(ns.clone()).or_default().clone()
    }
}

impl MemoryCache {
    fn store(
        &self,
        ns: &Namespace,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
        only_if_absent: bool,
    ) -> bool {
        let size = key.len() + value.len();
        if size > self.max_bytes_per_namespace {
            return false;
        }
        let entries = self.entries_or_insert(ns);
        let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if only_if_absent && entries.map.get(key).is_some_and(|e| e.live(now)) {
            return false;
        }
        entries.remove(key);
        entries.make_room(size, self.max_bytes_per_namespace);
        entries.bytes += size;
        entries.map.insert(
            key.to_owned(),
            MemEntry {
                value: value.into(),
                expires: ttl.map(|ttl| now + ttl),
            },
        );
        true
    }
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= key.len() + old.value.len();
        }
    }

    /// Frees room for `need` bytes within `budget`: expired entries first,
    /// then arbitrary ones (this is a bounded cache, not an LRU).
    fn make_room(&mut self, need: usize, budget: usize) {
        if self.bytes + need <= budget {
            return;
        }
        let now = Instant::now();
        self.map.retain(|k, e| {
            let keep = e.live(now);
            if !keep {
                self.bytes -= k.len() + e.value.len();
            }
            keep
        });
        while self.bytes + need > budget {
            let Some(key) = self.map.keys().next().cloned() else {
                break;
            };
            self.remove(&key);
        }
    }
}

impl CacheBackend for MemoryCache {
    fn get(&self, ns: &Namespace, key: &str) -> Option<Vec<u8>> {
        let entries = self.entries(ns)?;
        let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.map.get(key)?;
        if entry.live(Instant::now()) {
            return Some(entry.value.to_vec());
        }
        entries.remove(key);
        None
    }

    fn set(&self, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>) {
        self.store(ns, key, value, ttl, false);
    }

    fn add(&self, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>) -> bool {
        self.store(ns, key, value, ttl, true)
    }

    fn delete(&self, ns: &Namespace, key: &str) {
        if let Some(entries) = self.entries(ns) {
            entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(key);
        }
    }

    fn clear(&self, ns: &Namespace) {
        self.namespaces
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(ns);
    }
}

/// SQLite backend: survives restarts; the embedded default.
pub struct SqliteCache {
    conn: Mutex<rusqlite::Connection>,
}

impl SqliteCache {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = rusqlite::Connection::open(path)
            .with_context(|| format!("opening the cache database {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS cache (
                 ns TEXT NOT NULL,
                 key TEXT NOT NULL,
                 value BLOB NOT NULL,
                 expires_at INTEGER,
                 PRIMARY KEY (ns, key)
             ) WITHOUT ROWID;
             DELETE FROM cache WHERE expires_at IS NOT NULL AND expires_at <= unixepoch('subsec') * 1000;",
        )
        .with_context(|| format!("preparing the cache database {}", path.display()))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn now_ms() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    fn with<R>(
        &self,
        what: &str,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R>,
    ) -> Option<R> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        match f(&conn) {
            Ok(r) => Some(r),
            Err(err) => {
                // A cache failure must not fail the plugin call: it behaves as a miss.
                tracing::error!(error = %err, "cache {what} failed");
                None
            }
        }
    }
}

impl CacheBackend for SqliteCache {
    fn get(&self, ns: &Namespace, key: &str) -> Option<Vec<u8>> {
        use rusqlite::OptionalExtension;
        self.with("read", |c| {
            c.prepare_cached(
                "SELECT value FROM cache WHERE ns = ?1 AND key = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
            )?
            .query_row((ns.as_str(), key, Self::now_ms()), |row| row.get(0))
            .optional()
        })
        .flatten()
    }

    fn set(&self, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>) {
        let expires = ttl.map(|ttl| Self::now_ms() + ttl.as_millis() as i64);
        self.with("write", |c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO cache (ns, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute((ns.as_str(), key, value, expires))
        });
    }

    fn add(&self, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>) -> bool {
        let now = Self::now_ms();
        let expires = ttl.map(|ttl| now + ttl.as_millis() as i64);
        // One statement: replaces only an expired entry, so it is atomic.
        self.with("add", |c| {
            c.prepare_cached(
                "INSERT INTO cache (ns, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE cache.expires_at IS NOT NULL AND cache.expires_at <= ?5",
            )?
            .execute((ns.as_str(), key, value, expires, now))
        })
        .is_some_and(|changed| changed == 1)
    }

    fn delete(&self, ns: &Namespace, key: &str) {
        self.with("delete", |c| {
            c.prepare_cached("DELETE FROM cache WHERE ns = ?1 AND key = ?2")?
                .execute((ns.as_str(), key))
        });
    }

    fn clear(&self, ns: &Namespace) {
        self.with("clear", |c| {
            c.prepare_cached("DELETE FROM cache WHERE ns = ?1")?
                .execute([ns.as_str()])
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends() -> Vec<(
        &'static str,
        Arc<dyn CacheBackend>,
        Option<tempfile::TempDir>,
    )> {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteCache::open(&dir.path().join("cache.db")).unwrap();
        vec![
            ("memory", Arc::new(MemoryCache::new(1 << 20)), None),
            ("sqlite", Arc::new(sqlite), Some(dir)),
        ]
    }

    #[test]
    fn namespaces_are_isolated_and_ttls_expire() {
        for (name, backend, _dir) in backends() {
            let a = Namespace::new("tenant-a", "p");
            let b = Namespace::new("tenant-b", "p");
            backend.set(&a, "k", b"va", None);
            assert_eq!(backend.get(&a, "k").as_deref(), Some(&b"va"[..]), "{name}");
            assert_eq!(backend.get(&b, "k"), None, "{name}: namespaces leak");
            backend.set(&a, "short", b"x", Some(Duration::from_millis(30)));
            std::thread::sleep(Duration::from_millis(60));
            assert_eq!(backend.get(&a, "short"), None, "{name}: ttl ignored");
            backend.delete(&a, "k");
            assert_eq!(backend.get(&a, "k"), None, "{name}");
            assert!(backend.add(&a, "lease", b"1", None), "{name}");
            assert!(
                !backend.add(&a, "lease", b"2", None),
                "{name}: add replaced a live entry"
            );
            assert!(
                backend.add(&b, "lease", b"1", None),
                "{name}: add saw another namespace"
            );
            backend.set(&a, "short-lease", b"x", Some(Duration::from_millis(30)));
            std::thread::sleep(Duration::from_millis(60));
            assert!(
                backend.add(&a, "short-lease", b"y", None),
                "{name}: an expired entry blocks add"
            );
            assert_eq!(
                backend.get(&a, "short-lease").as_deref(),
                Some(&b"y"[..]),
                "{name}"
            );
            backend.set(&a, "k2", b"v", None);
            backend.clear(&a);
            assert_eq!(backend.get(&a, "k2"), None, "{name}");
        }
    }

    #[test]
    fn memory_cache_stays_within_its_budget() {
        let cache = MemoryCache::new(1000);
        let ns = Namespace::new("t", "p");
        for i in 0..100 {
            cache.set(&ns, &format!("key{i:03}"), &[0u8; 94], None);
        }
        {
            let entries = cache.entries(&ns).unwrap();
            let entries = entries.lock().unwrap();
            assert!(entries.bytes <= 1000, "{} bytes", entries.bytes);
            assert_eq!(entries.bytes, entries.map.len() * 100);
        }
        assert!(
            cache.get(&ns, "key099").is_some(),
            "the newest entry must be kept"
        );
    }

    #[test]
    fn sqlite_cache_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let ns = Namespace::new("t", "p");
        SqliteCache::open(&path)
            .unwrap()
            .set(&ns, "k", b"kept", None);
        assert_eq!(
            SqliteCache::open(&path).unwrap().get(&ns, "k").as_deref(),
            Some(&b"kept"[..])
        );
    }
}
