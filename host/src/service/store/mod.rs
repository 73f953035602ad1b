//! The durable state of the service behind one boundary: storefronts and
//! what is configured on them, plugin settings (secrets sealed), API keys,
//! webhook secrets, orders with their history, and the outbox.
//!
//! Why it looks like this:
//! - Operation-named, async methods (not SQL, not a connection): a backend
//!   decides how to run them. SQLite runs them on blocking threads with a
//!   small connection pool; PostgreSQL on its own async client.
//! - Several small traits by concern, joined in [`Store`], so no file grows
//!   past one concern; the service holds one `Arc<dyn Store>` picked by
//!   [`open`] from `[store] url`, and never chooses a backend itself.
//! - `async_trait` (boxed futures) because the service needs `dyn`
//!   dispatch over backends; a store call costs a database round trip, so
//!   one allocation per call does not show.
//! - Rows are the service's own types where the API shows them as stored
//!   (departments, customers, mappings); order rows are [`OrderRow`], which
//!   the service turns into its view.

pub mod cluster;
#[cfg(feature = "testing")]
pub mod conformance;
#[cfg(feature = "postgres-store")]
pub mod postgres;
mod rows;
pub mod sqlite;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use cluster::{Change, ChangeFeed, Holder, LeaseStore, MarkStore};
pub use rows::*;

use crate::service::domain::mappings::Mapping;
use crate::service::domain::storefronts::{ConnectSettings, Customer, CustomerLink, Department};
use crate::service::infra::metrics::OutboxDepth;
use connect_runtime::contract::OrderUpdate;

/// A store operation that failed for a reason of the store itself (the
/// database is unreachable, full, or its data unreadable): never bad input,
/// which the service rejects before calling the store.
#[derive(Debug, thiserror::Error)]
#[error("the database failed: {0:#}")]
pub struct StoreError(#[source] pub anyhow::Error);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Storefronts, their Connect settings, departments, customers and the
/// backend customers plugins linked to them.
#[async_trait]
pub trait StorefrontStore: Send + Sync {
    /// Whether the database answers (`/healthz`).
    async fn ping(&self) -> StoreResult<()>;
    /// False when the id is taken.
    async fn create_storefront(&self, id: &str, name: &str) -> StoreResult<bool>;
    async fn storefront_ids(&self) -> StoreResult<Vec<String>>;
    async fn storefront(&self, id: &str) -> StoreResult<Option<StorefrontRow>>;
    /// Replaces the choices and the set of enabled plugins, in one step.
    async fn set_connect(&self, id: &str, cs: &ConnectSettings) -> StoreResult<()>;
    /// Inserts or replaces a department with its codes per plugin.
    async fn put_department(&self, storefront: &str, d: &Department) -> StoreResult<()>;
    async fn departments(&self, storefront: &str) -> StoreResult<Vec<Department>>;
    async fn department(&self, storefront: &str, id: &str) -> StoreResult<Option<Department>>;
    /// False when there was none.
    async fn delete_department(&self, storefront: &str, id: &str) -> StoreResult<bool>;
    async fn put_customer(&self, storefront: &str, c: &Customer) -> StoreResult<()>;
    async fn customers(&self, storefront: &str) -> StoreResult<Vec<Customer>>;
    async fn customer(&self, storefront: &str, id: &str) -> StoreResult<Option<Customer>>;
    async fn customer_links(&self, storefront: &str) -> StoreResult<Vec<CustomerLink>>;
    async fn put_link(
        &self,
        storefront: &str,
        plugin: &str,
        link: &connect_runtime::contract::CustomerLink,
    ) -> StoreResult<()>;
    async fn linked_code(
        &self,
        storefront: &str,
        plugin: &str,
        email: &str,
    ) -> StoreResult<Option<String>>;
}

/// Product mappings, with their blocks per plugin.
#[async_trait]
pub trait MappingStore: Send + Sync {
    /// Inserts or replaces a mapping with its blocks.
    async fn put_mapping(&self, storefront: &str, m: &Mapping) -> StoreResult<()>;
    async fn mappings(&self, storefront: &str) -> StoreResult<Vec<Mapping>>;
    async fn mapping(&self, storefront: &str, product: &str) -> StoreResult<Option<Mapping>>;
    /// False when there was none.
    async fn delete_mapping(&self, storefront: &str, product: &str) -> StoreResult<bool>;
}

/// Plugin settings, API keys and webhook secrets: what grants access.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn plugin_settings(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> StoreResult<Option<StoredSettings>>;
    /// Stores newly configured settings; forgets the last check.
    async fn write_plugin_settings(
        &self,
        storefront: &str,
        plugin: &str,
        values_json: &str,
        sealed: Option<&str>,
    ) -> StoreResult<()>;
    async fn record_check(
        &self,
        storefront: &str,
        plugin: &str,
        ok: bool,
        summary: &str,
    ) -> StoreResult<()>;
    async fn record_refresh(
        &self,
        storefront: &str,
        plugin: &str,
        ok: bool,
        summary: &str,
    ) -> StoreResult<()>;
    /// (storefront, plugin) of enabled, configured plugins whose catalogue
    /// was never refreshed or not within the storefront's interval.
    async fn due_refreshes(&self, now: i64) -> StoreResult<Vec<(String, String)>>;
    async fn insert_key(&self, key: &KeyRow) -> StoreResult<()>;
    async fn keys(&self, storefront: &str) -> StoreResult<Vec<KeyRow>>;
    /// False when there was none.
    async fn delete_key(&self, storefront: &str, id: &str) -> StoreResult<bool>;
    /// The storefront of the key with this hash.
    async fn key_storefront(&self, hash: &str) -> StoreResult<Option<String>>;
    /// (sealed secret, created at) of a storefront's plugin.
    async fn webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> StoreResult<Option<(String, i64)>>;
    async fn put_webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
        sealed: &str,
        created_at: i64,
    ) -> StoreResult<()>;
}

/// Orders as the API and the status updates see them.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Accepts an order into the outbox, due now, with its first event.
    /// False when the id was accepted before (nothing changes).
    async fn insert_order(&self, order: &NewOrder) -> StoreResult<bool>;
    async fn order_hash(&self, storefront: &str, id: &str) -> StoreResult<Option<String>>;
    /// An order with its history.
    async fn order(&self, storefront: &str, id: &str) -> StoreResult<Option<OrderRow>>;
    /// Newest first, without history.
    async fn orders(
        &self,
        storefront: &str,
        state: Option<OrderState>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRow>>;
    /// A failed order back to pending with fresh attempts; false when it
    /// was not failed.
    async fn retry_order(&self, storefront: &str, id: &str) -> StoreResult<bool>;
    /// Applies a plugin's updates to the matching orders of a storefront,
    /// each with an event of kind `source`; answers how many matched.
    async fn apply_updates(
        &self,
        storefront: &str,
        plugin: &str,
        updates: &[OrderUpdate],
        source: EventKind,
    ) -> StoreResult<usize>;
    async fn outbox_depth(&self) -> StoreResult<Vec<OutboxDepth>>;
    /// (storefront, id) of delivered orders without tracking, created
    /// since `since`, quiet since `quiet_since`; the longest quiet first.
    async fn orders_due_for_status(
        &self,
        since: i64,
        quiet_since: i64,
        limit: u32,
    ) -> StoreResult<Vec<(String, String)>>;
    async fn mark_status_polled(&self, storefront: &str, id: &str) -> StoreResult<()>;
}

/// The outbox's delivery bookkeeping. A claim is held by one node until
/// its lease runs out; the node renews it while it delivers, so an order
/// held by a node that died is due again one lease later, on any node.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// At start: puts back to `pending` (with an `interrupted` event) the
    /// orders whose delivery can no longer finish; answers how many. Those
    /// whose lease ran out, and on a store only one node opens (SQLite)
    /// every order left `delivering`.
    async fn recover(&self) -> StoreResult<usize>;
    /// Claims up to `limit` due orders for `holder` (`pending` ->
    /// `delivering`, attempt counted, event written), oldest due first;
    /// orders whose lease ran out are put back first.
    async fn claim(&self, holder: &Holder, limit: usize) -> StoreResult<Vec<Claimed>>;
    /// Extends every claim `holder.node` holds to `holder.until_ms`;
    /// answers how many.
    async fn renew_claims(&self, holder: &Holder) -> StoreResult<usize>;
    /// Puts `node`'s claims back to `pending` (deliveries cancelled at
    /// shutdown); answers how many.
    async fn release_claims(&self, node: &str) -> StoreResult<usize>;
    /// Records a delivery; false (nothing written) when the claim was lost:
    /// its lease ran out and the order was claimed again.
    async fn record_delivered(
        &self,
        c: &Claimed,
        r: &connect_runtime::contract::OrderReceipt,
    ) -> StoreResult<bool>;
    /// Records a failed attempt: back to `pending` at `next_attempt_ms`,
    /// or parked as `failed` when `park`; false when the claim was lost.
    async fn record_failure(&self, c: &Claimed, f: &FailedAttempt) -> StoreResult<bool>;
}

/// Everything durable. Implemented by every type that implements the parts.
pub trait Store:
    StorefrontStore
    + MappingStore
    + SettingsStore
    + OrderStore
    + OutboxStore
    + RegistryStore
    + LeaseStore
    + ChangeFeed
    + MarkStore
{
}

impl<T> Store for T where
    T: StorefrontStore
        + MappingStore
        + SettingsStore
        + OrderStore
        + OutboxStore
        + RegistryStore
        + LeaseStore
        + ChangeFeed
        + MarkStore
{
}

/// An uploaded plugin version as stored.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub plugin: String,
    pub version: String,
    pub sha256: String,
}

/// The plugin registry: uploaded components (by content hash), the
/// versions they are, and the version each storefront chose.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Stores an uploaded version: its component (once per content hash),
    /// the version row, and the storefronts pinned to `pins` (storefront,
    /// version) because this version refused their settings; in one step.
    async fn insert_version(
        &self,
        stored: &StoredVersion,
        bytes: &[u8],
        pins: &[(String, String)],
    ) -> StoreResult<()>;
    /// Every uploaded version, in upload order.
    async fn versions(&self) -> StoreResult<Vec<StoredVersion>>;
    /// The component stored under a content hash.
    async fn component(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;
    /// The version a storefront chose for a plugin; `None`: the newest.
    async fn choice(&self, storefront: &str, plugin: &str) -> StoreResult<Option<String>>;
    /// Pins a storefront to a version of a plugin, or (`None`) lets it
    /// follow the newest.
    async fn set_choice(
        &self,
        storefront: &str,
        plugin: &str,
        version: Option<&str>,
    ) -> StoreResult<()>;
    /// Storefronts that configured settings for a plugin, or chose a
    /// version of it, by id.
    async fn storefronts_using(&self, plugin: &str) -> StoreResult<Vec<String>>;
    /// Storefronts that configured a plugin and chose no version.
    async fn following_newest(&self, plugin: &str) -> StoreResult<Vec<String>>;
}

/// The history text of a status update: what it says, in order.
pub fn update_detail(u: &OrderUpdate) -> String {
    let mut detail = Vec::new();
    if let Some(s) = &u.status {
        detail.push(format!("status {s}"));
    }
    if let Some(j) = &u.job_no {
        detail.push(format!("job {j}"));
    }
    if let Some(t) = &u.tracking_number {
        detail.push(format!("tracking {t}"));
    }
    detail.join(", ")
}

/// `[store]` in the configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Where durable state lives. Empty: the SQLite file in the data
    /// directory (one node). `postgres://user:password@host:port/db`:
    /// PostgreSQL, shared by several nodes. `--print-config` and the logs
    /// show it without its password.
    pub url: String,
    /// Connections a node keeps to PostgreSQL at most.
    pub max_connections: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 16,
        }
    }
}

/// The store `config` names: SQLite in the data directory by default.
pub async fn open(config: &super::Config) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let url = config.store.url.trim();
    let shown = crate::service::infra::secrets::redact_url(url);
    if url.is_empty() {
        let path = config.database_path();
        let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path)).await??;
        return Ok(std::sync::Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url, &shown, config.store.max_connections).await;
    }
    anyhow::bail!(
        "store.url {shown} is not a store this host knows: leave it empty (SQLite in the data \
         directory) or give a postgres:// URL"
    )
}

#[cfg(feature = "postgres-store")]
async fn open_postgres(
    url: &str,
    shown: &str,
    max_connections: usize,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let store = postgres::PostgresStore::open(url, shown, max_connections).await?;
    tracing::info!(url = %shown, "store: PostgreSQL");
    Ok(std::sync::Arc::new(store))
}

#[cfg(not(feature = "postgres-store"))]
async fn open_postgres(
    _: &str,
    shown: &str,
    _: usize,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    anyhow::bail!(
        "store.url {shown} names PostgreSQL, but this connect-host was built without it: \
         build with the `postgres-store` feature"
    )
}
