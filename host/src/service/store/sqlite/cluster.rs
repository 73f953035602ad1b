//! Leases and marks in SQLite, and its change feed: none, since only one
//! node opens the file.

use async_trait::async_trait;
use rusqlite::params;
use tokio::sync::broadcast;

use super::SqliteStore;
use crate::service::infra::time::{now, now_ms};
use crate::service::store::{Change, ChangeFeed, Holder, LeaseStore, MarkStore, StoreResult};

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn take_lease(&self, name: &str, holder: &Holder) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.clone());
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT INTO leases (name, holder, until_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                   until_ms = excluded.until_ms
                 WHERE leases.holder = excluded.holder OR leases.until_ms < ?4",
                params![name, holder.node, holder.until_ms, now_ms()],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn drop_lease(&self, name: &str, node: &str) -> StoreResult<()> {
        let (name, node) = (name.to_owned(), node.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![name, node],
            )?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ChangeFeed for SqliteStore {
    async fn announce(&self, _: &Change) -> StoreResult<()> {
        Ok(())
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Change>> {
        None
    }
}

#[async_trait]
impl MarkStore for SqliteStore {
    async fn mark(&self, key: &str, until: i64) -> StoreResult<bool> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM marks WHERE until <= ?1", [now()])?;
            let n = tx.execute(
                "INSERT INTO marks (key, until) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, until],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn marked(&self, key: &str) -> StoreResult<bool> {
        let key = key.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT 1 FROM marks WHERE key = ?1 AND until > ?2")?
                .exists(params![key, now()])
        })
        .await
    }

    async fn unmark(&self, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM marks WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }

    async fn unmark_prefix(&self, prefix: &str) -> StoreResult<usize> {
        let prefix = prefix.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM marks WHERE until <= ?1", [now()])?;
            tx.execute(
                "DELETE FROM marks WHERE substr(key, 1, length(?1)) = ?1",
                [prefix],
            )
        })
        .await
    }
}
