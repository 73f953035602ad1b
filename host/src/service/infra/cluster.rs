//! This node among others sharing the store: its name, the changes it
//! announces and follows, and the leases that give one node at a time a
//! storefront's background job. On SQLite (one node) the feed is silent and
//! every lease is this node's.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::service::Service;
use crate::service::infra::time::now_ms;
use crate::service::store::{Change, Holder};

/// A name for this process among the nodes: host, process id and a random
/// part, so a restarted node never mistakes the claims of its previous life
/// for its own.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    let random = crate::service::infra::secrets::random::<4>().map_or(0, u32::from_be_bytes);
    format!("{host}/{}/{random:08x}", std::process::id())
}

impl Service {
    /// This node holding something for `ttl` from now.
    pub(crate) fn holder(&self, ttl: Duration) -> Holder {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        Holder {
            node: self.node.clone(),
            until_ms: now_ms().saturating_add(ttl_ms),
        }
    }

    /// Tells the other nodes what changed. A failure is logged, not
    /// returned: the change itself is committed, and a node that misses the
    /// word resynchronises when its feed reconnects.
    pub(crate) async fn announce(&self, change: Change) {
        if let Err(e) = self.store.announce(&change).await {
            tracing::warn!(?change, error = %e, "telling the other nodes of a change failed");
        }
    }

    /// Runs `job` if this node gets the lease `name` for `ttl`, then gives
    /// the lease up; `None` when another node holds it. A node that dies
    /// mid-job holds it until `ttl` runs out, then another node may run it.
    pub(crate) async fn under_lease<T>(
        &self,
        name: &str,
        ttl: Duration,
        job: impl AsyncFnOnce() -> T,
    ) -> Option<T> {
        match self.store.take_lease(name, &self.holder(ttl)).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::warn!(lease = name, error = %e, "taking a lease failed; skipping its job");
                return None;
            }
        }
        let out = job().await;
        if let Err(e) = self.store.drop_lease(name, &self.node).await {
            tracing::warn!(lease = name, error = %e, "giving a lease up failed; it lapses by itself");
        }
        Some(out)
    }
}

/// Applies what other nodes announce to this node's copies, until shutdown.
/// Nothing to do when the store has no feed (one node).
pub async fn follow_changes(svc: Arc<Service>) {
    let Some(mut feed) = svc.store.subscribe() else {
        return;
    };
    let mut shutdown = svc.shutdown_signal();
    loop {
        let change = tokio::select! {
            c = feed.recv() => c,
            _ = shutdown.changed() => return,
        };
        match change {
            Ok(change) => apply(&svc, change).await,
            Err(RecvError::Lagged(_)) => apply(&svc, Change::Resync).await,
            Err(RecvError::Closed) => return,
        }
    }
}

async fn apply(svc: &Service, change: Change) {
    tracing::debug!(?change, "change announced");
    match change {
        Change::Orders => svc.outbox_wake.notify_one(),
        Change::Storefront => svc.memo.invalidate(),
        Change::PluginSettings { storefront, plugin } => {
            svc.memo.invalidate();
            // Idle instances know the settings they were made with; cached
            // data does not.
            svc.runtime.reset_tenant(&storefront, &plugin).await;
        }
        Change::Registry => svc.sync_registry().await,
        Change::Resync => {
            svc.memo.invalidate();
            svc.sync_registry().await;
            svc.outbox_wake.notify_one();
        }
    }
}
