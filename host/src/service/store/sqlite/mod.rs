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
//! - Group commit: writes that queue while another commits are committed
//!   together, each in a savepoint of one transaction (one that fails is
//!   rolled back alone), so a burst pays one fsync per batch instead of one
//!   per write (accepted orders and delivery outcomes, BENCHMARKS.md round
//!   2). A write answers only after its batch is durable.

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
    /// Writes waiting for the next commit.
    queue: Mutex<Vec<Job>>,
    /// Transactions committed by the writer (batches, not writes).
    commits: std::sync::atomic::AtomicU64,
    readers: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

/// A queued write.
type Job = Box<dyn QueuedWrite>;
/// What to tell a write's caller once its commit's outcome is known.
type Reply = Box<dyn FnOnce(Result<(), &str>) + Send>;

trait QueuedWrite: Send {
    /// Runs the write in its savepoint of the open transaction.
    fn run(self: Box<Self>, conn: &Connection) -> Reply;
    /// The transaction could not begin: the write never ran.
    fn refuse(self: Box<Self>, why: &str);
}

struct Write<T, F> {
    f: F,
    answer: tokio::sync::oneshot::Sender<StoreResult<T>>,
}

impl<T, F> QueuedWrite for Write<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> Reply {
        let Write { f, answer } = *self;
        let out = in_savepoint(conn, f);
        Box::new(move |committed| {
            let out = match (out, committed) {
                (Ok(t), Ok(())) => Ok(t),
                (Ok(_), Err(e)) => Err(StoreError(anyhow::anyhow!("committing: {e}"))),
                (Err(e), _) => Err(StoreError::from(e)),
            };
            let _ = answer.send(out);
        })
    }

    fn refuse(self: Box<Self>, why: &str) {
        let _ = self.answer.send(Err(StoreError(anyhow::anyhow!(
            "beginning a transaction: {why}"
        ))));
    }
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
                queue: Mutex::default(),
                commits: Default::default(),
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
    /// thread (with the writes queued meanwhile: group commit); answers once
    /// the transaction is committed, or `f`'s error (its savepoint rolled
    /// back, the others' writes kept).
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        lock(&self.pool.queue).push(Box::new(Write { f, answer }));
        let pool = self.pool.clone();
        // Commits this write, unless a commit already under way takes it.
        // Not awaited: a committer may go on with later batches, and this
        // caller needs only its own answer.
        tokio::task::spawn_blocking(move || pool.commit_queued());
        answered.await.map_err(|_| {
            StoreError(anyhow::anyhow!(
                "a database write failed unanswered (its task ended)"
            ))
        })?
    }
}

/// `f` inside a savepoint: released when it answers `Ok`, rolled back when
/// it fails, so the transaction around it goes on either way. Should the
/// savepoint itself fail to end, the whole transaction is rolled back: no
/// write of the batch may then be committed (the rest of the batch is
/// refused, and every earlier write learns the commit failed).
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.execute_batch("SAVEPOINT job")?;
    let answer = f(conn);
    let end = if answer.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    match conn.execute_batch(end) {
        Ok(()) => answer,
        Err(e) => {
            tracing::error!(error = %e, "ending a write's savepoint failed; rolling its batch back");
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            // A failed write's own error is what its caller needs to see.
            answer.and(Err(e))
        }
    }
}

impl Pool {
    /// Commits every queued write in one transaction, batch after batch
    /// until the queue is empty (nothing when another call took them).
    fn commit_queued(&self) {
        let mut conn = lock(&self.writer);
        loop {
            let jobs = std::mem::take(&mut *lock(&self.queue));
            if jobs.is_empty() {
                return;
            }
            let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            {
                Ok(tx) => tx,
                Err(e) => {
                    let e = e.to_string();
                    // Nothing ran: each caller learns why.
                    for job in jobs {
                        job.refuse(&e);
                    }
                    continue;
                }
            };
            let mut replies: Vec<Reply> = Vec::with_capacity(jobs.len());
            for job in jobs {
                // Some failures (disk full, I/O) make SQLite roll the whole
                // transaction back: the writes after must not run outside it.
                if tx.is_autocommit() {
                    job.refuse("an earlier write of its batch failed and rolled the batch back");
                } else {
                    replies.push(job.run(&tx));
                }
            }
            let committed = tx.commit().map_err(|e| e.to_string());
            self.commits.fetch_add(1, Ordering::Relaxed);
            for reply in replies {
                reply(committed.as_ref().map(|_| ()).map_err(String::as_str));
            }
        }
    }

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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_commit_together_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(super::SqliteStore::open(&dir.path().join("db.sqlite")).unwrap());
        store
            .write(|c| c.execute_batch("CREATE TABLE t (x INTEGER UNIQUE)"))
            .await
            .unwrap();
        let before = store.pool.commits.load(super::Ordering::Relaxed);
        let writes: Vec<_> = (0..200)
            .map(|i| {
                let store = store.clone();
                // Write 100 repeats 0's value: it alone fails.
                let x = if i == 100 { 0 } else { i };
                tokio::spawn(async move {
                    store
                        .write(move |c| c.execute("INSERT INTO t VALUES (?1)", [x]))
                        .await
                })
            })
            .collect();
        let mut failed = Vec::new();
        for (i, w) in writes.into_iter().enumerate() {
            if w.await.unwrap().is_err() {
                failed.push(i);
            }
        }
        assert_eq!(failed, [100]);
        let rows: i64 = store
            .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(rows, 199, "every other write is durable");
        let commits = store.pool.commits.load(super::Ordering::Relaxed) - before;
        assert!(
            commits < 200,
            "{commits} commits for 200 concurrent writes: none shared"
        );
    }

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
