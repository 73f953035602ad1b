//! The SQLite store: one file, the embedded default for one node.
//!
//! Why it looks like this:
//! - WAL mode with full sync (an accepted order must survive a power cut)
//!   and foreign keys, as before the store boundary: files made by earlier
//!   versions open and keep their data (same migrations 1.., by
//!   `PRAGMA user_version`).
//! - Calls run on tokio's blocking threads, never on the async workers: a
//!   slow fsync stalls one blocking thread, not every request.
//! - One writer connection (SQLite takes writes one at a time anyway, and
//!   queueing on our lock is fairer than `busy_timeout` polling) and a few
//!   reader connections, which WAL lets read while the writer writes.

mod cluster;
mod migrations;
mod orders;
mod outbox;
mod registry;
mod settings;
mod storefronts;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use rusqlite::Connection;

use super::{StoreError, StoreResult};
use migrations::MIGRATIONS;

pub struct SqliteStore {
    pool: Arc<Pool>,
}

struct Pool {
    writer: Mutex<Connection>,
    readers: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl SqliteStore {
    /// Opens (or creates) the database file and migrates it.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
        }
        let mut writer = connect(path)?;
        migrate(&mut writer)
            .with_context(|| format!("migrating the database {}", path.display()))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let readers = (0..cores.clamp(2, 4))
            .map(|_| connect(path).map(Mutex::new))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            pool: Arc::new(Pool {
                writer: Mutex::new(writer),
                readers: readers.into(),
                next: AtomicUsize::new(0),
            }),
        })
    }

    /// Runs `f` on a reader connection, on a blocking thread.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let pool = self.pool.clone();
        blocking(move || {
            let conn = pool
                .free_reader()
                .unwrap_or_else(|start| lock(&pool.readers[start]));
            f(&conn)
        })
        .await
    }

    /// Runs a point lookup `f` (one row by key, through a cached statement:
    /// microseconds, and in WAL mode a reader never waits for the writer)
    /// on this thread when a reader connection is free, sparing the two
    /// thread hand-offs of the blocking pool, which were most of a warm REST
    /// price's cost (BENCHMARKS.md, round 2); on a blocking thread when every
    /// reader is busy, so a request never waits here for a lock.
    async fn read_point<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        match self.try_read_here(f) {
            Ok(answer) => answer.map_err(StoreError::from),
            Err(f) => self.read(f).await,
        }
    }

    /// `f` on a free reader connection now, or `f` back when none is free.
    fn try_read_here<T, F: FnOnce(&Connection) -> rusqlite::Result<T>>(
        &self,
        f: F,
    ) -> Result<rusqlite::Result<T>, F> {
        match self.pool.free_reader() {
            Ok(conn) => Ok(f(&conn)),
            Err(_) => Err(f),
        }
    }

    /// Runs `f` in a transaction on the writer connection, on a blocking
    /// thread; commits when it answers `Ok`.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let pool = self.pool.clone();
        blocking(move || {
            let mut conn = lock(&pool.writer);
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

impl Pool {
    /// A reader connection nobody holds, trying each in turn from the next
    /// one; when all are busy, `Err` names the one to wait for.
    fn free_reader(&self) -> Result<std::sync::MutexGuard<'_, Connection>, usize> {
        let n = self.readers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        (0..n)
            .find_map(|i| self.readers[(start + i) % n].try_lock().ok())
            .ok_or(start)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> rusqlite::Result<T> + Send + 'static,
) -> StoreResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(StoreError::from),
        Err(e) => Err(StoreError(anyhow::anyhow!("a database task failed: {e}"))),
    }
}

fn lock(m: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn connect(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("opening the database {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )
    .context("configuring the database")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let version = version.max(0) as usize;
    if version > MIGRATIONS.len() {
        anyhow::bail!(
            "the database has schema version {version}, newer than this connect-host knows ({}); \
             run a newer connect-host or restore a backup",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("migration {}", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrates_a_fresh_file_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        super::SqliteStore::open(&path).unwrap();
        let store = super::SqliteStore::open(&path).unwrap();
        let v: i64 = super::lock(&store.pool.writer)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, super::MIGRATIONS.len());
    }
}
