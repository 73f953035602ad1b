//! SQLite backend: survives restarts; the embedded default of `serve`.
//!
//! Why it looks like this:
//! - A few connections in WAL mode instead of one behind a mutex: readers
//!   never wait for each other or for the writer, so one tenant's cache call
//!   does not queue behind another's (BENCHMARKS.md, "cache"). Writers still
//!   take SQLite's write lock one at a time (`busy_timeout` waits for it).
//! - The quota: triggers keep each namespace's byte count in `cache_usage`,
//!   whatever statement changes `cache`, so a write checks it in O(1) and
//!   evicts only when over (expired rows first, then by `used_at`).
//! - `used_at` is refreshed by a read only when older than [`TOUCH_EVERY`]:
//!   a hit stays a plain read (the warm quote path), and LRU order is exact
//!   to that resolution.
//! - Writes run in `BEGIN IMMEDIATE` transactions, so `add`'s "is there a
//!   live entry?" and its insert are one atomic step for every connection.
//! - It is a cache: a file from an older schema is emptied, not migrated.
//!
//! - Small entries read recently are answered from memory (`front.rs`); the
//!   file stays the truth, and every write drops the front's copy. The file
//!   belongs to one process (one node per data directory).
//!
//! Calls run on the calling thread (a hit is a few microseconds; handing it
//! to a blocking pool would cost more than it saves).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::front::Front;
use connect_runtime::capabilities::cache::{
    CacheBackend, CacheError, CacheFuture, Namespace, USE_RESOLUTION, unix_ms,
};

/// A read refreshes an entry's `used_at` when it is older than this.
pub const TOUCH_EVERY: Duration = USE_RESOLUTION;
/// How long a write waits for another connection's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// The schema `PRAGMA user_version`; another value empties the cache.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS cache (
        ns TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        expires_at INTEGER,
        used_at INTEGER NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (ns, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS cache_lru ON cache (ns, used_at);
    CREATE INDEX IF NOT EXISTS cache_expiry ON cache (ns, expires_at) WHERE expires_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS cache_usage (
        ns TEXT PRIMARY KEY,
        bytes INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS cache_usage_insert AFTER INSERT ON cache BEGIN
        INSERT INTO cache_usage (ns, bytes) VALUES (new.ns, new.size)
        ON CONFLICT (ns) DO UPDATE SET bytes = bytes + new.size;
    END;
    CREATE TRIGGER IF NOT EXISTS cache_usage_delete AFTER DELETE ON cache BEGIN
        UPDATE cache_usage SET bytes = bytes - old.size WHERE ns = old.ns;
    END;
    CREATE TRIGGER IF NOT EXISTS cache_usage_update AFTER UPDATE OF size ON cache BEGIN
        UPDATE cache_usage SET bytes = bytes - old.size + new.size WHERE ns = new.ns;
    END;";

pub struct SqliteCache {
    connections: Box<[Mutex<Connection>]>,
    /// Where the next call starts looking for a free connection.
    next: AtomicUsize,
    max_bytes_per_namespace: i64,
    path: PathBuf,
    front: Front,
}

impl SqliteCache {
    /// Opens (or creates) the cache file with a connection per core.
    pub fn open(path: &Path, max_bytes_per_namespace: usize) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::open_with(path, max_bytes_per_namespace, cores.clamp(2, 8))
    }

    /// As [`SqliteCache::open`], with `connections` connections (1 puts
    /// every call behind one lock: the benchmark's baseline).
    pub fn open_with(
        path: &Path,
        max_bytes_per_namespace: usize,
        connections: usize,
    ) -> anyhow::Result<Self> {
        let first = connect(path)?;
        prepare(&first).with_context(|| {
            format!(
                "preparing the cache database {}; if it is damaged, delete it (it is only a cache)",
                path.display()
            )
        })?;
        let mut all = vec![Mutex::new(first)];
        for _ in 1..connections.max(1) {
            all.push(Mutex::new(connect(path)?));
        }
        Ok(Self {
            connections: all.into(),
            next: AtomicUsize::new(0),
            max_bytes_per_namespace: max_bytes_per_namespace.try_into().unwrap_or(i64::MAX),
            path: path.to_owned(),
            front: Front::default(),
        })
    }

    /// Runs `f` on a free connection (or waits for one).
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> Result<R, CacheError> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut guard = None;
        for i in 0..n {
            if let Ok(conn) = self.connections[(start + i) % n].try_lock() {
                guard = Some(conn);
                break;
            }
        }
        let mut conn = match guard {
            Some(conn) => conn,
            None => self.connections[start]
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        };
        f(&mut conn).map_err(|e| CacheError::Unavailable {
            backend: "sqlite",
            detail: format!("{}: {e}", self.path.display()),
            remedy: "check the data directory's disk (free space, permissions); \
                     deleting the cache file is safe while the service is stopped",
        })
    }

    fn store(
        &self,
        ns: &Namespace,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
        only_if_absent: bool,
    ) -> Result<bool, CacheError> {
        let size = (key.len() + value.len()) as i64;
        let budget = self.max_bytes_per_namespace;
        let (stored, evicted) = self.with(|conn| {
            let now = unix_ms();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if only_if_absent {
                let live: Option<i64> = tx
                    .prepare_cached(
                        "SELECT 1 FROM cache WHERE ns = ?1 AND key = ?2
                         AND (expires_at IS NULL OR expires_at > ?3)",
                    )?
                    .query_row((ns.as_str(), key, now), |row| row.get(0))
                    .optional()?;
                if live.is_some() {
                    return Ok((false, Vec::new()));
                }
            }
            tx.prepare_cached("DELETE FROM cache WHERE ns = ?1 AND key = ?2")?
                .execute((ns.as_str(), key))?;
            if size > budget {
                tx.commit()?;
                return Ok((false, Vec::new()));
            }
            let evicted = make_room(&tx, ns, size, budget, now)?;
            let expires = ttl.map(|ttl| now.saturating_add(ttl.as_millis() as i64));
            tx.prepare_cached(
                "INSERT INTO cache (ns, key, value, expires_at, used_at, size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute((ns.as_str(), key, value, expires, now, size))?;
            tx.commit()?;
            Ok((true, evicted))
        })?;
        // After the commit: a reader from now on sees the file's new state.
        self.front.forget(ns, key);
        for gone in &evicted {
            self.front.forget(ns, gone);
        }
        Ok(stored)
    }

    /// The file's entry, with its expiry and last use (refreshed if due).
    fn read(&self, ns: &Namespace, key: &str, now: i64) -> Result<Option<Stored>, CacheError> {
        self.with(|conn| {
            let row: Option<Stored> = conn
                .prepare_cached(
                    "SELECT value, expires_at, used_at FROM cache WHERE ns = ?1 AND key = ?2
                     AND (expires_at IS NULL OR expires_at > ?3)",
                )?
                .query_row((ns.as_str(), key, now), |row| {
                    Ok(Stored {
                        value: row.get(0)?,
                        expires_at: row.get(1)?,
                        used_at: row.get(2)?,
                    })
                })
                .optional()?;
            Ok(row.map(|mut row| {
                if now - row.used_at >= TOUCH_EVERY.as_millis() as i64 && touch(conn, ns, key, now)
                {
                    row.used_at = now;
                }
                row
            }))
        })
    }
}

struct Stored {
    value: Vec<u8>,
    expires_at: Option<i64>,
    used_at: i64,
}

/// Refreshes an entry's `used_at`, best effort and without waiting: while
/// another connection writes, a hit only misses this touch.
fn touch(conn: &Connection, ns: &Namespace, key: &str, now: i64) -> bool {
    let touched = conn.busy_timeout(Duration::ZERO).and_then(|()| {
        conn.prepare_cached("UPDATE cache SET used_at = ?3 WHERE ns = ?1 AND key = ?2")
            .and_then(|mut s| s.execute((ns.as_str(), key, now)))
    });
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!(error = %e, "cache: could not restore the busy timeout");
    }
    match touched {
        Ok(_) => true,
        Err(e) => {
            tracing::debug!(error = %e, "cache: could not refresh an entry's last use");
            false
        }
    }
}

fn connect(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("opening the cache database {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .with_context(|| format!("setting up the cache database {}", path.display()))?;
    Ok(conn)
}

fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version != SCHEMA_VERSION {
        conn.execute_batch("DROP TABLE IF EXISTS cache; DROP TABLE IF EXISTS cache_usage;")?;
    }
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    conn.execute(
        "DELETE FROM cache WHERE expires_at IS NOT NULL AND expires_at <= ?1",
        [unix_ms()],
    )?;
    Ok(())
}

/// Evicts from `ns` until `need` more bytes fit in `budget`: expired rows
/// first, then the least recently used. Answers the keys evicted.
fn make_room(
    conn: &Connection,
    ns: &Namespace,
    need: i64,
    budget: i64,
    now: i64,
) -> rusqlite::Result<Vec<String>> {
    let used = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.prepare_cached("SELECT bytes FROM cache_usage WHERE ns = ?1")?
            .query_row([ns.as_str()], |row| row.get(0))
            .optional()
            .map(|bytes| bytes.unwrap_or(0))
    };
    if used(conn)? + need <= budget {
        return Ok(Vec::new());
    }
    let mut evicted: Vec<String> = conn
        .prepare_cached("DELETE FROM cache WHERE ns = ?1 AND expires_at <= ?2 RETURNING key")?
        .query_map((ns.as_str(), now), |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let excess = used(conn)? + need - budget;
    if excess <= 0 {
        return Ok(evicted);
    }
    // The shortest run of least recently used rows that frees `excess`.
    let lru = conn
        .prepare_cached(
            "DELETE FROM cache WHERE ns = ?1 AND key IN (
                 SELECT key FROM (
                     SELECT key, size, SUM(size) OVER (ORDER BY used_at, key) AS running
                     FROM cache WHERE ns = ?1
                 ) WHERE running - size < ?2
             ) RETURNING key",
        )?
        .query_map((ns.as_str(), excess), |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    evicted.extend(lru);
    Ok(evicted)
}

impl CacheBackend for SqliteCache {
    fn get<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>> {
        let now = unix_ms();
        let every = TOUCH_EVERY.as_millis() as i64;
        let ticket = match self.front.get(ns, key, now, every) {
            Ok(hit) => {
                // The file's LRU order decides its evictions: keep it
                // seeing reads the front answers.
                if hit.touch
                    && self
                        .with(|conn| Ok(touch(conn, ns, key, now)))
                        .unwrap_or(false)
                {
                    self.front.used(ns, key, now);
                }
                return CacheFuture::ready(Ok(Some(hit.value)));
            }
            Err(ticket) => ticket,
        };
        let found = self.read(ns, key, now).map(|row| {
            row.map(|row| {
                let (expires, used) = (row.expires_at, row.used_at);
                self.front.fill(ticket, ns, key, &row.value, expires, used);
                row.value
            })
        });
        CacheFuture::ready(found)
    }

    fn set<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, ()> {
        let done = self.store(ns, key, value, ttl, false).map(drop);
        CacheFuture::ready(done)
    }

    fn add<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, bool> {
        let stored = self.store(ns, key, value, ttl, true);
        CacheFuture::ready(stored)
    }

    fn delete<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, ()> {
        let done = self.with(|conn| {
            conn.prepare_cached("DELETE FROM cache WHERE ns = ?1 AND key = ?2")?
                .execute((ns.as_str(), key))
                .map(drop)
        });
        self.front.forget(ns, key);
        CacheFuture::ready(done)
    }

    fn clear<'a>(&'a self, ns: &'a Namespace) -> CacheFuture<'a, ()> {
        let done = self.with(|conn| {
            conn.prepare_cached("DELETE FROM cache WHERE ns = ?1")?
                .execute([ns.as_str()])
                .map(drop)
        });
        self.front.forget_namespace(ns);
        CacheFuture::ready(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_of_the_former_schema_is_emptied_and_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE cache (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                     expires_at INTEGER, PRIMARY KEY (ns, key)) WITHOUT ROWID;
                 INSERT INTO cache VALUES ('t', 'old', x'00', NULL);",
            )
            .unwrap();
        let cache = SqliteCache::open(&path, 1000).unwrap();
        let ns = Namespace::new("t", "p");
        cache.set(&ns, "k", b"v", None).await.unwrap();
        assert_eq!(
            cache.get(&ns, "k").await.unwrap().as_deref(),
            Some(&b"v"[..])
        );
        let rows: i64 = cache
            .with(|c| c.query_row("SELECT COUNT(*) FROM cache", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(rows, 1, "the former schema's rows are gone");
    }
}
