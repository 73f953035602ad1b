//! The process-wide wasmtime [`Engine`]: configuration, the pooling
//! allocator probe, and the epoch ticker that interrupts runaway guests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances. Guest execution deadlines are measured in
/// these ticks, and a running guest yields to the executor once per tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Which instance allocator the engine ended up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocatorKind {
    /// Pre-reserved slots with copy-on-write memory images: fast instantiation.
    Pooling,
    /// Plain mmap per instance: used when the machine cannot reserve the pool.
    OnDemand,
}

/// What the engine is sized for.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Try the pooling allocator first (falls back to on-demand if it cannot
    /// be reserved).
    pub pooling: bool,
    /// Instances that may be alive at once (pooled and in flight).
    pub max_instances: u32,
    /// Upper bound of one linear memory; the per-tenant cap is enforced
    /// separately by the sandbox's resource limiter and must not exceed this.
    pub max_memory_bytes: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            pooling: true,
            max_instances: 1_000,
            max_memory_bytes: 256 << 20,
        }
    }
}

/// Builds the engine. Returns which allocator it uses.
pub fn build(options: &EngineOptions) -> anyhow::Result<(Engine, AllocatorKind)> {
    if options.pooling {
        match Engine::new(&config(Some(pooling(options)))) {
            Ok(engine) => return Ok((engine, AllocatorKind::Pooling)),
            Err(err) => tracing::warn!(
                error = %format!("{err:#}"),
                "pooling allocator unavailable on this machine; using on-demand allocation"
            ),
        }
    }
    let engine = Engine::new(&config(None))
        .map_err(anyhow::Error::from)
        .context("creating the wasmtime engine")?;
    Ok((engine, AllocatorKind::OnDemand))
}

fn config(pooling: Option<PoolingAllocationConfig>) -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        // Component-model async is not used: keeping concurrency support off
        // avoids per-store bookkeeping that triples the cost of a sync call.
        .concurrency_support(false)
        .epoch_interruption(true)
        .memory_init_cow(true)
        .max_wasm_stack(1 << 20)
        .async_stack_size(2 << 20);
    if std::env::var_os("CONNECT_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if let Some(pooling) = pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    }
    config
}

fn pooling(options: &EngineOptions) -> PoolingAllocationConfig {
    let n = options.max_instances;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n)
        // A Rust guest component holds a handful of core instances (the
        // program, the WASI adapter shims); leave room for more.
        .max_core_instances_per_component(32)
        .total_core_instances(n.saturating_mul(8))
        .max_memories_per_component(4)
        .total_memories(n.saturating_mul(2))
        .max_tables_per_component(16)
        .total_tables(n.saturating_mul(8))
        .total_stacks(n)
        .max_memory_size(options.max_memory_bytes)
        // Freed slots stay bound to their plugin's memory image, so the
        // next instance of that plugin skips mapping it again.
        .max_unused_warm_slots(n / 4);
    // Resetting a freed slot: rewrite the pages the guest dirtied and keep
    // them, rather than dropping them with `madvise`, so the next instance
    // in the slot takes no page faults and the process no TLB shootdown.
    // With the PAGEMAP_SCAN ioctl (Linux >= 6.7) wasmtime rewrites only the
    // dirty pages, so up to 1 MiB of a memory is cheap to keep; without it,
    // it would `memset` the whole kept size on every reset, so keep 64 KiB.
    // Tables (function references, a few KiB) are always kept. Measured on
    // the cold-tenant quote: 62 -> 38 us (see BENCHMARKS.md).
    let pagemap = PoolingAllocationConfig::is_pagemap_scan_available();
    pool.pagemap_scan(if pagemap { Enabled::Yes } else { Enabled::No })
        .linear_memory_keep_resident(if pagemap { 1 << 20 } else { 64 << 10 })
        .table_keep_resident(64 << 10);
    pool
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on a background thread,
/// until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            // A weak handle: the ticker must not keep the engine alive.
            let engine = engine.weak();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("epoch-ticker".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        match engine.upgrade() {
                            Some(engine) => engine.increment_epoch(),
                            None => break,
                        }
                    }
                })
                .expect("spawning the epoch ticker thread")
        };
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
