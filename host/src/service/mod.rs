//! The storefront service behind `connect-host serve`: storefronts and their
//! Connect settings, plugin settings with encrypted secrets, departments,
//! customers and product mappings in SQLite; price and stock through the
//! plugin the storefront chose; orders through a durable outbox; catalogue
//! refreshes; metrics.
//!
//! By layer: [`domain`] (what the service does), [`store`] and [`cache`]
//! (where it keeps things), [`workers`] (background loops), [`http`] (the
//! REST API, admin pages and webhooks, which only call the domain), and
//! [`infra`] (secrets, metrics, time, this node among others).

pub mod cache;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod infra;
pub mod store;
pub mod workers;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{Notify, watch};

use connect_runtime::runtime::{Runtime, RuntimeConfig};

use domain::registry;
use http::{auth, webhook_auth};
use infra::{cluster, memo, metrics, secrets};
use workers::{outbox, status_poller};

pub use config::Config;
pub use error::{Result, ServiceError};

/// Everything the service's operations need. Shared as `Arc<Service>`.
pub struct Service {
    pub config: Config,
    pub runtime: Arc<Runtime>,
    /// Everything durable (`[store]`).
    pub store: Arc<dyn store::Store>,
    pub secrets: secrets::SecretBox,
    pub metrics: metrics::Metrics,
    pub auth: auth::Auth,
    /// Webhook throttles (per node; replays are marked in the store).
    pub webhook_guard: webhook_auth::Guard,
    /// Plugin files in the plugins directory (and stored uploads) that did
    /// not load, with why.
    pub failed_plugins: Vec<connect_runtime::runtime::FailedPlugin>,
    /// Settings every request reads, kept decoded between writes.
    memo: memo::Memo,
    /// Wakes the delivery worker when an order is accepted or retried.
    outbox_wake: Notify,
    /// This node's name among the nodes sharing the store.
    pub node: String,
    shutdown: watch::Sender<bool>,
}

impl Service {
    /// Opens the data directory (database, key, token, cache), builds the
    /// runtime and loads the plugins.
    pub async fn open(config: Config) -> anyhow::Result<Arc<Self>> {
        let data_dir = &config.storage.data_dir;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let store = store::open(&config).await?;
        let secrets = secrets::SecretBox::load(&config.secret_key_path())?;
        let auth = auth::Auth::from_config(&config)?;

        let mut rc = RuntimeConfig::default();
        rc.limits.deadline = Duration::from_millis(config.runtime.deadline_ms);
        rc.limits.call_timeout = Duration::from_millis(config.runtime.timeout_ms);
        rc.limits.batch_timeout = Duration::from_secs(config.runtime.batch_timeout_secs);
        rc.limits.memory_bytes = (config.runtime.memory_mib as usize) << 20;
        rc.limits.http.max_requests_per_instance = config.runtime.max_requests_per_instance;
        rc.limits.http.max_requests_per_tenant = config.runtime.max_requests_per_tenant;
        rc.limits.http.max_response_header_bytes = config.runtime.max_response_header_kib << 10;
        rc.limits.log_lines_per_sec = config.runtime.log_lines_per_sec;
        rc.engine.max_memory_bytes = rc.engine.max_memory_bytes.max(rc.limits.memory_bytes);
        rc.artifacts_dir = Some(config.precompiled_dir());
        rc.cache = cache::open(&config).await?;
        let runtime = Arc::new(Runtime::new(rc)?);

        let plugins_dir = config.plugins_dir();
        seed_plugins(&plugins_dir)?;
        let loaded = runtime.load_dir(&plugins_dir).await?;
        let mut failed = loaded.failed;
        failed.extend(registry::load_stored(&runtime, store.as_ref()).await?);
        if runtime.plugins().is_empty() {
            tracing::warn!(dir = %plugins_dir.display(), "no plugins loaded: put plugin components (*.wasm) there");
        }

        let (shutdown, _) = watch::channel(false);
        Ok(Arc::new(Self {
            failed_plugins: failed,
            metrics: metrics::Metrics::new(config.metrics.max_storefront_labels),
            webhook_guard: webhook_auth::Guard::new(&config.webhooks),
            config,
            runtime,
            store,
            secrets,
            auth,
            memo: memo::Memo::default(),
            outbox_wake: Notify::new(),
            node: cluster::node_name(),
            shutdown,
        }))
    }

    /// Starts the delivery worker, the catalogue scheduler, the status
    /// poller and the follower of other nodes' changes. They stop
    /// when [`Service::shutdown`] is called; await the handles to drain.
    pub fn start_background(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(outbox::run(self.clone())),
            tokio::spawn(workers::catalogue::run(self.clone())),
            tokio::spawn(status_poller::run(self.clone())),
            tokio::spawn(cluster::follow_changes(self.clone())),
        ]
    }

    /// Asks the background tasks to stop.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        self.outbox_wake.notify_waiters();
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

/// Puts the bundled Tharstern connector into an empty plugins directory.
fn seed_plugins(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the plugins directory {}", dir.display()))?;
    #[cfg(feature = "bundled-plugin")]
    {
        let empty = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .all(|e| e.path().extension().is_none_or(|x| x != "wasm"));
        if empty {
            let bundled = connect_bundled::THARSTERN;
            let target = dir.join(bundled.file_name);
            std::fs::write(&target, bundled.bytes).with_context(|| {
                format!(
                    "seeding {} with the bundled Tharstern plugin",
                    dir.display()
                )
            })?;
            tracing::info!(plugin = %target.display(), "seeded the plugins directory with the bundled Tharstern connector");
        }
    }
    Ok(())
}
