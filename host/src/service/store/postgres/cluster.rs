//! Leases and marks in PostgreSQL, and the change feed: `NOTIFY` on one channel,
//! heard by one `LISTEN`ing connection per node (outside the pool, which
//! would recycle it). The listener reconnects on its own; after a
//! reconnection it reports [`Change::Resync`], since what was announced
//! meanwhile is lost.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;
use tokio_postgres::{AsyncMessage, NoTls};

use super::PostgresStore;
use crate::service::infra::time::{now, now_ms};
use crate::service::store::{
    Change, ChangeFeed, Holder, LeaseStore, MarkStore, StoreError, StoreResult,
};

/// The `NOTIFY` channel of every change.
const CHANNEL: &str = "connect_changes";

#[async_trait]
impl LeaseStore for PostgresStore {
    async fn take_lease(&self, name: &str, holder: &Holder) -> StoreResult<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                "INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                   until_ms = excluded.until_ms
                 WHERE leases.holder = excluded.holder OR leases.until_ms < $4",
                &[&name, &holder.node, &holder.until_ms, &now_ms()],
            )
            .await?;
        Ok(n == 1)
    }

    async fn drop_lease(&self, name: &str, node: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM leases WHERE name = $1 AND holder = $2",
            &[&name, &node],
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl ChangeFeed for PostgresStore {
    async fn announce(&self, change: &Change) -> StoreResult<()> {
        let payload = serde_json::to_string(change).map_err(|e| StoreError(e.into()))?;
        let c = self.client().await?;
        c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
            .await?;
        Ok(())
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Change>> {
        let rx = self.feed.subscribe();
        if !self.listening.swap(true, Ordering::AcqRel) {
            tokio::spawn(listen(self.config.clone(), self.feed.clone()));
        }
        Some(rx)
    }
}

#[async_trait]
impl MarkStore for PostgresStore {
    async fn mark(&self, key: &str, until: i64) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("DELETE FROM marks WHERE until <= $1", &[&now()])
            .await?;
        let n = tx
            .execute(
                "INSERT INTO marks (key, until) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &until],
            )
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn marked(&self, key: &str) -> StoreResult<bool> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT 1 FROM marks WHERE key = $1 AND until > $2",
                &[&key, &now()],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn unmark(&self, key: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM marks WHERE key = $1", &[&key])
            .await?;
        Ok(())
    }

    async fn unmark_prefix(&self, prefix: &str) -> StoreResult<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("DELETE FROM marks WHERE until <= $1", &[&now()])
            .await?;
        let n = tx
            .execute("DELETE FROM marks WHERE starts_with(key, $1)", &[&prefix])
            .await?;
        tx.commit().await?;
        Ok(n as usize)
    }
}

/// Forwards every notification to `feed` until nobody subscribes any more.
async fn listen(config: tokio_postgres::Config, feed: broadcast::Sender<Change>) {
    let mut first = true;
    loop {
        match listen_once(&config, &feed, first).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "the PostgreSQL change feed dropped; reconnecting")
            }
        }
        first = false;
        if feed.receiver_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One connection's life: `Ok` when nobody listens any more.
async fn listen_once(
    config: &tokio_postgres::Config,
    feed: &broadcast::Sender<Change>,
    first: bool,
) -> anyhow::Result<()> {
    let (client, mut conn) = config.connect(NoTls).await?;
    let statement = format!("LISTEN {CHANNEL}");
    let mut subscribe = std::pin::pin!(client.batch_execute(&statement));
    let mut listening = false;
    loop {
        tokio::select! {
            r = &mut subscribe, if !listening => {
                r?;
                listening = true;
                if !first && feed.send(Change::Resync).is_err() {
                    return Ok(());
                }
            }
            m = std::future::poll_fn(|cx| conn.poll_message(cx)) => match m {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    match serde_json::from_str::<Change>(n.payload()) {
                        Ok(change) => {
                            if feed.send(change).is_err() {
                                return Ok(());
                            }
                        }
                        Err(e) => tracing::warn!(error = %format!("{e:#}"), "an unreadable change notification, ignored"),
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => anyhow::bail!("the server closed the connection"),
            }
        }
    }
}
