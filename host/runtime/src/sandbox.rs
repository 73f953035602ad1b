//! One plugin instance bound to one tenant: its `Store`, the capabilities it
//! was granted, and the limits every call runs under.
//!
//! Limits of a call:
//! - a memory cap per linear memory (a resource limiter that remembers when
//!   it refused, so the failure is reported as such);
//! - an execution deadline: guest time, measured with epoch interruption,
//!   excluding time spent waiting in host calls (so slow backends do not
//!   count against it); a running guest yields to the executor every tick;
//! - a wall-clock timeout around the whole call, host I/O included;
//! - outgoing requests in flight (per instance and per tenant), response
//!   size and head size, log lines per tenant per second (`capabilities`).
//!
//! A trap, a deadline or a timeout poisons the instance: the caller drops it
//! and the tenant's next call starts from a fresh one.
//!
//! Fairness: a call that is still computing after one epoch tick joins the
//! *slow lane*, a semaphore with fewer permits than the executor has worker
//! threads. It runs a tick at a time and queues behind other long-running
//! calls, so however many tenants' plugins spin, short calls of other
//! tenants always find a free worker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{CallHook, Engine, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{PluginInstance, PluginPre};
use crate::capabilities::bounds::TenantBounds;
use crate::capabilities::cache::TenantCache;
use crate::capabilities::http::{EgressHooks, EgressPolicy, HttpLimits};
use crate::capabilities::log::LogContext;
use crate::capabilities::output::OutputTail;
use crate::contract::Settings;
use crate::error::CallError;

/// Per-call limits of every sandbox.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Cap of each linear memory of an instance.
    pub memory_bytes: usize,
    /// Guest execution time allowed per call.
    pub deadline: Duration,
    /// Wall-clock time allowed per call, host I/O included.
    pub call_timeout: Duration,
    /// Execution deadline of batch calls (catalogue refresh).
    pub batch_deadline: Duration,
    /// Wall-clock timeout of batch calls.
    pub batch_timeout: Duration,
    pub http: HttpLimits,
    /// Log lines per second per tenant; the rest are dropped and counted.
    pub log_lines_per_sec: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            deadline: Duration::from_secs(1),
            call_timeout: Duration::from_secs(30),
            batch_deadline: Duration::from_secs(60),
            batch_timeout: Duration::from_secs(600),
            http: HttpLimits::default(),
            log_lines_per_sec: 100,
        }
    }
}

/// Everything a sandbox is created with.
pub struct Grant {
    pub tenant: Arc<str>,
    pub plugin: Arc<str>,
    pub egress: Arc<EgressPolicy>,
    pub cache: TenantCache,
    pub limits: Limits,
    /// Shared by the tenant's sandboxes: requests in flight, log lines.
    pub bounds: TenantBounds,
    /// Shared by every sandbox of the runtime; see the module docs.
    pub slow_lane: Arc<Semaphore>,
}

/// The `T` of a sandbox's `Store`.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: EgressHooks,
    cache: TenantCache,
    log: LogContext,
    memory: MemoryCap,
    clock: ExecClock,
    output: OutputTail,
    lane: LaneSlot,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl HostState {
    /// The tenant's cache, for the `cache` import of every contract version.
    pub(crate) fn cache(&self) -> &TenantCache {
        &self.cache
    }

    /// The tenant's log, for the `log` import of every contract version.
    pub(crate) fn logger(&self) -> &LogContext {
        &self.log
    }
}

/// The linker every plugin is instantiated with. WASI is linked so that any
/// `wasm32-wasip2` program instantiates, but the context grants nothing: no
/// preopened directories, no environment or arguments, no sockets, and
/// stdout/stderr only into a bounded in-memory tail.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::bindings::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// Refuses memory growth past the cap and remembers that it did.
struct MemoryCap {
    limit: usize,
    refused: bool,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Guest execution time of the current call: wall time since the call began
/// minus time spent in host functions.
struct ExecClock {
    started: Instant,
    in_host_since: Option<Instant>,
    host_time: Duration,
    budget: Duration,
    exceeded: bool,
}

impl ExecClock {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            in_host_since: None,
            host_time: Duration::ZERO,
            budget: Duration::MAX,
            exceeded: false,
        }
    }

    fn start(&mut self, budget: Duration) {
        *self = Self {
            budget,
            ..Self::new()
        };
    }

    fn guest_time(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
            .saturating_sub(self.host_time)
    }
}

/// This store's place in the slow lane.
#[derive(Clone)]
struct LaneSlot {
    lane: Arc<Semaphore>,
    held: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
    /// Nanoseconds spent queueing for the lane since the last tick: not
    /// guest time.
    waited_ns: Arc<AtomicU64>,
}

impl LaneSlot {
    fn release(&self) {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Gives up the lane, lets others run, and queues for it again.
    fn next_turn(&self) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        let slot = self.clone();
        Box::pin(async move {
            slot.release();
            tokio::task::yield_now().await;
            let queued = Instant::now();
            let permit = slot.lane.clone().acquire_owned().await.ok();
            *slot.held.lock().unwrap_or_else(|e| e.into_inner()) = permit;
            slot.waited_ns
                .fetch_add(queued.elapsed().as_nanos() as u64, Ordering::Relaxed);
        })
    }
}

/// A live instance of one plugin for one tenant.
pub struct Sandbox {
    store: Store<HostState>,
    plugin: PluginInstance,
    limits: Limits,
    /// Identifies the tenant settings this instance was bound with.
    pub fingerprint: u64,
}

impl Sandbox {
    /// Instantiates `pre` for a tenant and, when `settings` are given, binds
    /// it to them with the plugin's `init`.
    pub(crate) async fn new(
        pre: &PluginPre,
        grant: Grant,
        settings: Option<&Settings>,
        fingerprint: u64,
    ) -> Result<Self, CallError> {
        let output = OutputTail::default();
        let wasi = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let log = LogContext {
            tenant: grant.tenant.clone(),
            plugin: grant.plugin.clone(),
            budget: grant.bounds.log.clone(),
        };
        let state = HostState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: EgressHooks {
                policy: grant.egress,
                limits: grant.limits.http,
                log: log.clone(),
                in_flight: Arc::new(Semaphore::new(grant.limits.http.max_requests_per_instance)),
                tenant: grant.bounds,
                refusal_logged: None,
            },
            cache: grant.cache,
            log,
            memory: MemoryCap {
                limit: grant.limits.memory_bytes,
                refused: false,
            },
            clock: ExecClock::new(),
            output,
            lane: LaneSlot {
                lane: grant.slow_lane,
                held: Arc::default(),
                waited_ns: Arc::default(),
            },
        };
        let mut store = Store::new(pre.engine(), state);
        store.limiter(|s| &mut s.memory);
        store.call_hook(|mut ctx, hook| {
            let clock = &mut ctx.data_mut().clock;
            match hook {
                CallHook::CallingHost => clock.in_host_since = Some(Instant::now()),
                CallHook::ReturningFromHost => {
                    if let Some(since) = clock.in_host_since.take() {
                        clock.host_time += since.elapsed();
                    }
                }
                CallHook::CallingWasm | CallHook::ReturningFromWasm => {}
            }
            Ok(())
        });
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            let waited = state.lane.waited_ns.swap(0, Ordering::Relaxed);
            let clock = &mut state.clock;
            clock.host_time += Duration::from_nanos(waited);
            if clock.guest_time(Instant::now()) >= clock.budget {
                clock.exceeded = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            // Still computing after a tick: take (another) turn in the slow lane.
            Ok(UpdateDeadline::YieldCustom(1, state.lane.next_turn()))
        });

        let limits = grant.limits;
        let budget = (limits.deadline, limits.call_timeout);
        let plugin = guarded(&mut store, budget, "instantiation", async |store| {
            pre.instantiate(store).await
        })
        .await?;
        let mut sandbox = Self {
            store,
            plugin,
            limits,
            fingerprint,
        };
        if let Some(settings) = settings {
            sandbox.init(settings).await?;
        }
        Ok(sandbox)
    }

    async fn init(&mut self, settings: &Settings) -> Result<(), CallError> {
        self.invoke("init", false, async |p, s| p.init(s, settings).await)
            .await
            .0
    }

    /// Runs one export under the call's limits (`batch`: the catalogue
    /// refresh's longer ones). On `(Err(_), poisoned = true)` the instance
    /// must be dropped.
    pub(crate) async fn invoke<T>(
        &mut self,
        what: &'static str,
        batch: bool,
        call: impl AsyncFnOnce(
            &PluginInstance,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, CallError>>,
    ) -> (Result<T, CallError>, bool) {
        let budget = if batch {
            (self.limits.batch_deadline, self.limits.batch_timeout)
        } else {
            (self.limits.deadline, self.limits.call_timeout)
        };
        let plugin = &self.plugin;
        match guarded(&mut self.store, budget, what, async |store| {
            call(plugin, store).await
        })
        .await
        {
            Ok(answer) => (answer, false),
            Err(e) => (Err(e), true),
        }
    }
}

/// Runs guest code (`what`) under a budget: `deadline` of guest time (the
/// epoch callback interrupts it past that) within `timeout` of wall-clock
/// time; the slow-lane turn is given back after, whatever happened. A trap
/// or a timeout comes back as the typed error that explains it.
async fn guarded<T>(
    store: &mut Store<HostState>,
    (deadline, timeout): (Duration, Duration),
    what: &'static str,
    run: impl AsyncFnOnce(&mut Store<HostState>) -> wasmtime::Result<T>,
) -> Result<T, CallError> {
    store.data_mut().clock.start(deadline);
    store.set_epoch_deadline(1);
    let outcome = tokio::time::timeout(timeout, run(store)).await;
    store.data().lane.release();
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(trap)) => Err(classify_trap(store, trap, deadline, what)),
        Err(_) => Err(CallError::timeout(timeout)),
    }
}

/// Turns a trap into the typed error that explains it.
fn classify_trap(
    store: &mut Store<HostState>,
    trap: wasmtime::Error,
    deadline: Duration,
    what: &str,
) -> CallError {
    let state = store.data_mut();
    let output = state.output.take();
    let tenant = state.log.tenant.clone();
    let plugin = state.log.plugin.clone();
    let error = if state.clock.exceeded {
        CallError::deadline(deadline)
    } else if state.memory.refused {
        CallError::MemoryLimit {
            limit_bytes: state.memory.limit as u64,
        }
    } else {
        // A Rust guest prints its panic message to stderr before aborting.
        let message = match output.lines().rev().find(|l| l.contains("panicked")) {
            Some(line) => line.trim().to_string(),
            None => trap_summary(&trap),
        };
        CallError::Crashed { message }
    };
    tracing::warn!(
        tenant = &*tenant, plugin = &*plugin, call = what, error = %error,
        trap = %format!("{trap:#}"), "plugin call failed; instance discarded"
    );
    error
}

fn trap_summary(trap: &wasmtime::Error) -> String {
    match trap.downcast_ref::<wasmtime::Trap>() {
        Some(code) => format!("wasm trap: {code}"),
        None => format!("{trap}"),
    }
}
