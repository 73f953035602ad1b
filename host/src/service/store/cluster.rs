//! What several nodes sharing one store need from it beyond data: leases
//! (one node at a time does a job, and the job moves when that node dies),
//! a feed of changes (a node learns at once what another one changed) and
//! short-lived marks (an admin session, a webhook signature seen) that every
//! node must honour, whichever node set them.
//!
//! Both are kept in the store itself, not in a coordinator beside it: a node
//! that can reach the store can take part, and one that cannot does no work
//! anyway. On SQLite (one node) the leases still work, and the feed is empty.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::StoreResult;

/// A node and the moment (ms since the epoch) until which what it takes is
/// its own; past it, another node may take it over.
#[derive(Clone, Debug)]
pub struct Holder {
    pub node: String,
    pub until_ms: i64,
}

/// Named leases: each storefront's catalogue refresh, each storefront's
/// status polling.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `name` for `holder`, or renews it when `holder.node`
    /// holds it already; false while another node holds it unexpired.
    async fn take_lease(&self, name: &str, holder: &Holder) -> StoreResult<bool>;
    /// Gives the lease up, if `node` holds it.
    async fn drop_lease(&self, name: &str, node: &str) -> StoreResult<()>;
}

/// Something a node changed that other nodes keep a copy of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    /// An order is due for delivery (accepted, or retried by an operator).
    Orders,
    /// A storefront's row or Connect settings.
    Storefront,
    /// A storefront's settings for one plugin.
    PluginSettings { storefront: String, plugin: String },
    /// A plugin version uploaded, or storefronts switched to another.
    Registry,
    /// Changes may have been missed (the feed reconnected or fell behind):
    /// forget every copy.
    Resync,
}

/// Announces changes to every node sharing the store.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Tells every node (this one included). Best effort: a node that
    /// misses it gets [`Change::Resync`].
    async fn announce(&self, change: &Change) -> StoreResult<()>;
    /// The changes announced from now on; `None` when no other node can
    /// share this store (SQLite).
    fn subscribe(&self) -> Option<broadcast::Receiver<Change>>;
}

/// Short-lived marks every node sees: admin sessions, signed webhooks
/// already accepted. Keys are digests, never a secret itself; expired marks
/// are dropped as new ones are set.
#[async_trait]
pub trait MarkStore: Send + Sync {
    /// Sets `key` until `until` (Unix seconds); false (nothing changed)
    /// when it is set and unexpired.
    async fn mark(&self, key: &str, until: i64) -> StoreResult<bool>;
    /// Whether `key` is set and unexpired.
    async fn marked(&self, key: &str) -> StoreResult<bool>;
    async fn unmark(&self, key: &str) -> StoreResult<()>;
    /// Clears every key starting with `prefix`; answers how many of them
    /// were unexpired.
    async fn unmark_prefix(&self, prefix: &str) -> StoreResult<usize>;
}
