//! The runtime: one engine, the loaded plugins, the pool of live instances
//! and the cache backend. `Runtime::price`, `Runtime::stock`, ... run an
//! export for a tenant in that tenant's sandbox, taking and answering the
//! host's own contract types whatever version the plugin speaks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context as _, bail};
use tokio::sync::Semaphore;
use wasmtime::{Engine, Store};

use crate::bindings::PluginInstance;
use crate::capabilities::bounds::{BoundsRegistry, BoundsStats};
use crate::capabilities::cache::{CacheBackend, MemoryCache, Namespace, TenantCache};
use crate::contract::*;
use crate::engine::{self, AllocatorKind, EngineOptions, EpochTicker};
use crate::error::CallError;
use crate::plugin::{Plugin, PluginLoader};
use crate::pool::{InstancePool, PoolStats};
use crate::sandbox::{Grant, HostState, Limits, Sandbox};
use crate::tenant::TenantSpec;
use crate::versions::Versions;

mod exports;

/// How the runtime is built.
pub struct RuntimeConfig {
    pub engine: EngineOptions,
    pub limits: Limits,
    /// Idle instances kept alive across all tenants.
    pub pool_capacity: usize,
    /// Where precompiled plugins are kept; `None` compiles on every start.
    pub artifacts_dir: Option<PathBuf>,
    pub cache: Arc<dyn CacheBackend>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        let engine = EngineOptions::default();
        Self {
            pool_capacity: engine.max_instances as usize / 2,
            engine,
            limits: Limits::default(),
            artifacts_dir: None,
            cache: Arc::new(MemoryCache::new(64 << 20)),
        }
    }
}

pub struct Runtime {
    engine: Engine,
    allocator: AllocatorKind,
    loader: PluginLoader,
    /// Every version of every plugin: see `versions`.
    plugins: RwLock<Versions>,
    pool: InstancePool,
    /// Bounds instances in flight so that, with the idle ones, they never
    /// exceed what the engine's allocator was sized for.
    in_flight: Semaphore,
    cache: Arc<dyn CacheBackend>,
    limits: Limits,
    /// See `sandbox`: long-running calls share fewer threads than there are.
    slow_lane: Arc<Semaphore>,
    /// Per-tenant requests in flight and log lines per second.
    bounds: BoundsRegistry,
    _ticker: EpochTicker,
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Self> {
        if config.limits.memory_bytes > config.engine.max_memory_bytes {
            bail!(
                "the memory cap ({} MiB) exceeds the engine's maximum memory size ({} MiB)",
                config.limits.memory_bytes >> 20,
                config.engine.max_memory_bytes >> 20
            );
        }
        let max = config.engine.max_instances as usize;
        if config.pool_capacity >= max {
            bail!(
                "the instance pool ({}) must be smaller than the instance limit ({max})",
                config.pool_capacity
            );
        }
        let (engine, allocator) = engine::build(&config.engine)?;
        let loader = PluginLoader::new(&engine, config.artifacts_dir)?;
        Ok(Self {
            _ticker: EpochTicker::start(&engine),
            engine,
            allocator,
            loader,
            plugins: RwLock::default(),
            pool: InstancePool::new(config.pool_capacity),
            in_flight: Semaphore::new(max - config.pool_capacity),
            cache: config.cache,
            bounds: BoundsRegistry::new(
                config.limits.http.max_requests_per_tenant,
                config.limits.log_lines_per_sec,
            ),
            limits: config.limits,
            slow_lane: Arc::new(Semaphore::new(slow_lane_permits())),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn allocator(&self) -> AllocatorKind {
        self.allocator
    }

    pub fn loader(&self) -> &PluginLoader {
        &self.loader
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// Per tenant: log lines dropped and outgoing requests refused so far.
    pub fn bounds_stats(&self) -> Vec<BoundsStats> {
        self.bounds.stats()
    }

    /// Loads a plugin from a `.wasm` file (see [`Runtime::add_plugin`]).
    pub async fn load_plugin(&self, path: &Path) -> anyhow::Result<Arc<Plugin>> {
        let plugin = self.loader.load(path).await?;
        self.add_plugin(plugin)
    }

    /// Makes a loaded plugin callable. The same id and version as a loaded
    /// one is refused: a file never silently takes over another's tenants
    /// (and their secrets). The same id with another version is added
    /// beside the others; tenants that name no version run the newest.
    pub fn add_plugin(&self, plugin: Plugin) -> anyhow::Result<Arc<Plugin>> {
        let plugin = Arc::new(plugin);
        self.plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(plugin.clone())
            .with_context(|| format!("{} refused", plugin.source.display()))?;
        tracing::info!(plugin = &*plugin.id, version = plugin.info.version, contract = %plugin.contract, source = %plugin.source.display(), "plugin loaded");
        Ok(plugin)
    }

    /// Loads every `*.wasm` file of a directory, in name order. A file that
    /// does not load is reported with its reason, never fatal: the others
    /// still serve.
    pub async fn load_dir(&self, dir: &Path) -> anyhow::Result<DirLoad> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading the plugins directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        paths.sort();
        let mut outcome = DirLoad::default();
        for path in paths {
            match self.load_plugin(&path).await {
                Ok(plugin) => outcome.loaded.push(plugin),
                Err(err) => {
                    let reason = format!("{err:#}");
                    tracing::error!(file = %path.display(), reason, "plugin not loaded");
                    outcome.failed.push(FailedPlugin { path, reason });
                }
            }
        }
        Ok(outcome)
    }

    /// The newest version of plugin `id`.
    pub fn plugin(&self, id: &str) -> Result<Arc<Plugin>, CallError> {
        self.plugin_version(id, None)
    }

    /// `version` of plugin `id` (`None`: its newest).
    pub fn plugin_version(
        &self,
        id: &str,
        version: Option<&str>,
    ) -> Result<Arc<Plugin>, CallError> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id, version)
    }

    /// The newest version of each plugin.
    pub fn plugins(&self) -> Vec<Arc<Plugin>> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .newest()
    }

    /// Every loaded version of plugin `id`, oldest first.
    pub fn versions(&self, id: &str) -> Vec<Arc<Plugin>> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .of(id)
    }

    /// The newest version's self-description.
    pub fn info(&self, plugin: &str) -> Result<PluginInfo, CallError> {
        Ok(self.plugin(plugin)?.info.clone())
    }

    /// Runs one export for a tenant, on a pooled instance when one is idle.
    /// The version is resolved once, here: the call holds it to the end,
    /// whatever is switched meanwhile, and its pooled instances are keyed by
    /// it, so the next call after a switch starts on the new version.
    pub(crate) async fn invoke<T>(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        what: &'static str,
        batch: bool,
        call: impl AsyncFnOnce(
            &PluginInstance,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, CallError>>,
    ) -> Result<T, CallError> {
        let plugin = self.plugin_version(plugin, tenant.version())?;
        let _permit = self.permit().await?;
        let key = (tenant.id().clone(), plugin.key.clone());
        let mut sandbox = match self.pool.take(&key, tenant.fingerprint()) {
            Some(sandbox) => sandbox,
            None => Box::new(self.instantiate(&plugin, tenant).await?),
        };
        let (answer, poisoned) = sandbox.invoke(what, batch, call).await;
        if !poisoned {
            self.pool.put(key, sandbox);
        }
        answer
    }

    /// Forgets a tenant's live instances and cached data for a plugin (its
    /// settings or its version changed, or it was removed).
    /// A cache that fails to clear is logged: its entries still expire.
    pub async fn reset_tenant(&self, tenant: &str, plugin: &str) {
        self.pool.evict_tenant(tenant);
        if let Err(e) = self.cache.clear(&Namespace::new(tenant, plugin)).await {
            tracing::error!(
                tenant,
                plugin,
                "the cache kept the old settings' entries: {e}"
            );
        }
    }

    /// Drops the idle instances of a plugin version no tenant runs any more.
    pub fn retire(&self, plugin: &Plugin) {
        self.pool.evict_plugin(&plugin.key);
    }

    pub(crate) async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, CallError> {
        // A free slot is the common case: take it without arming a timer
        // (a measurable share of a warm quote; see BENCHMARKS.md).
        if let Ok(permit) = self.in_flight.try_acquire() {
            return Ok(permit);
        }
        let wait = self.limits.call_timeout;
        match tokio::time::timeout(wait, self.in_flight.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(CallError::Unavailable {
                message: format!(
                    "every instance slot stayed busy for {} ms",
                    wait.as_millis()
                ),
            }),
        }
    }

    async fn instantiate(
        &self,
        plugin: &Plugin,
        tenant: &TenantSpec,
    ) -> Result<Sandbox, CallError> {
        let grant = Grant {
            tenant: tenant.id().clone(),
            plugin: plugin.key.clone(),
            egress: Arc::new(tenant.egress(&plugin.info)),
            cache: TenantCache {
                backend: self.cache.clone(),
                ns: Namespace::new(tenant.id(), &plugin.info.id),
            },
            limits: self.limits.clone(),
            bounds: self.bounds.tenant(tenant.id()),
            slow_lane: self.slow_lane.clone(),
        };
        Sandbox::new(
            &plugin.pre,
            grant,
            Some(tenant.settings()),
            tenant.fingerprint(),
        )
        .await
    }
}

/// What [`Runtime::load_dir`] found.
#[derive(Debug, Default)]
pub struct DirLoad {
    pub loaded: Vec<Arc<Plugin>>,
    pub failed: Vec<FailedPlugin>,
}

/// A plugin file that did not load, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FailedPlugin {
    pub path: PathBuf,
    pub reason: String,
}

/// Long-running calls may occupy all but one of the executor's threads.
fn slow_lane_permits() -> usize {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    threads.saturating_sub(1).max(1)
}
