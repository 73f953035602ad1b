//! What every section needs: the simulators, a runtime with the real
//! plugin (Tharstern; printIQ beside it for the warm and cold quotes),
//! configured storefronts, and the machine's facts.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use connect_runtime::contract::*;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;

use super::Options;
use super::child::SimProcess;

pub const PLUGIN: &str = "tharstern";

/// State shared by the sections: the simulators (demo data) in child
/// processes, so their work and memory stay out of the measured process.
/// The printIQ one runs only for the sections that measure printIQ.
pub struct Shared {
    pub sim: SimProcess,
    pub printiq: Option<SimProcess>,
}

impl Shared {
    pub fn start(options: &Options) -> anyhow::Result<Self> {
        let printiq = Mis::PRINTIQ_SECTIONS.iter().any(|s| options.runs(s));
        Ok(Self {
            sim: options.relaunch.sim(0)?,
            printiq: if printiq {
                Some(options.relaunch.printiq_sim()?)
            } else {
                None
            },
        })
    }

    /// The simulator of `mis`.
    pub fn sim_of(&self, mis: Mis) -> anyhow::Result<&SimProcess> {
        match mis {
            Mis::Tharstern => Ok(&self.sim),
            Mis::PrintIq => self
                .printiq
                .as_ref()
                .ok_or_else(|| anyhow!("the printIQ simulator was not started")),
        }
    }
}

/// The back office a quote figure measures: the same figures, the same
/// runtime, each connector's own plugin, settings and simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mis {
    Tharstern,
    PrintIq,
}

impl Mis {
    pub const ALL: [Mis; 2] = [Mis::Tharstern, Mis::PrintIq];
    /// The sections that measure printIQ too.
    pub const PRINTIQ_SECTIONS: [&str; 2] = ["warm", "cold"];

    pub fn plugin(self) -> &'static str {
        match self {
            Mis::Tharstern => PLUGIN,
            Mis::PrintIq => "printiq",
        }
    }

    /// Prefix of a figure's label: none for Tharstern (the labels as they
    /// always were), `printIQ: ` for printIQ.
    pub fn label(self) -> &'static str {
        match self {
            Mis::Tharstern => "",
            Mis::PrintIq => "printIQ: ",
        }
    }

    /// Prefix of a figure's key: `warm.runtime.median`,
    /// `warm.printiq.runtime.median`.
    pub fn key(self) -> &'static str {
        match self {
            Mis::Tharstern => "",
            Mis::PrintIq => "printiq.",
        }
    }

    /// The plugin's `.wasm`: the one built for the tests, unless
    /// `CONNECT_BENCH_PLUGIN` (Tharstern) or `CONNECT_BENCH_PRINTIQ_PLUGIN`
    /// names another build.
    pub fn plugin_path(self) -> std::path::PathBuf {
        match self {
            Mis::Tharstern => plugin_path(),
            Mis::PrintIq => std::env::var_os("CONNECT_BENCH_PRINTIQ_PLUGIN")
                .map(Into::into)
                .unwrap_or_else(|| connect_artifacts::PRINTIQ.into()),
        }
    }

    /// Storefront settings against the simulator at `sim_url`.
    pub fn settings(self, sim_url: &str) -> Settings {
        match self {
            Mis::Tharstern => settings(sim_url, "BENCH"),
            Mis::PrintIq => [
                ("api_url", sim_url),
                ("user_name", printiq_sim::DEMO_USER_NAME),
                ("password", printiq_sim::DEMO_PASSWORD),
                ("application_name", printiq_sim::DEMO_APPLICATION_NAME),
                ("application_key", printiq_sim::DEMO_APPLICATION_KEY),
                ("customer_code", printiq_sim::WEBSHOP),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        }
    }

    /// The price request of every quote figure: 250 business cards, the
    /// storefront's own customer code (Tharstern: product type 1; printIQ:
    /// product code BC-STD).
    pub fn price_request(self) -> PriceRequest {
        let mut r = price_request();
        if self == Mis::PrintIq {
            r.product.product_ref = "code:BC-STD".into();
        }
        r
    }

    /// A runtime with this back office's plugin loaded.
    pub async fn runtime(self, config: RuntimeConfig) -> anyhow::Result<Arc<Runtime>> {
        let config = RuntimeConfig {
            artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
            ..config
        };
        let rt = Runtime::new(config)?;
        rt.load_plugin(&self.plugin_path()).await?;
        Ok(Arc::new(rt))
    }

    /// One storefront (`store-00000`) on this back office.
    pub async fn tenant(self, rt: &Runtime, sim_url: &str) -> anyhow::Result<TenantSpec> {
        if self == Mis::Tharstern {
            return Ok(tenants(rt, sim_url, 1).await?.remove(0));
        }
        let normalised = rt
            .configure(self.plugin(), self.settings(sim_url))
            .await
            .map_err(|e| anyhow!("configure {}: {e}", self.plugin()))?;
        Ok(TenantSpec::new(tenant_id(0), normalised).with_private_networks(true))
    }

    /// One quote through the runtime.
    pub async fn quote(self, rt: &Runtime, tenant: &TenantSpec) -> anyhow::Result<PriceQuote> {
        match rt.price(tenant, self.plugin(), &self.price_request()).await {
            Ok(q) => Ok(q),
            Err(e) => bail!("{}price failed for {}: {e}", self.label(), tenant.id()),
        }
    }
}

/// A current-thread tokio runtime (what one worker of the service has).
pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The Tharstern plugin's `.wasm`: the one built for the tests, unless
/// `CONNECT_BENCH_PLUGIN` names another build (for profiling experiments,
/// e.g. an unstripped build whose function names show in `perf`).
pub fn plugin_path() -> std::path::PathBuf {
    std::env::var_os("CONNECT_BENCH_PLUGIN")
        .map(Into::into)
        .unwrap_or_else(|| connect_artifacts::THARSTERN.into())
}

/// A runtime with the Tharstern plugin loaded (precompiled artifacts shared
/// with the tests).
pub async fn runtime(config: RuntimeConfig) -> anyhow::Result<Arc<Runtime>> {
    let config = RuntimeConfig {
        artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
        ..config
    };
    let rt = Runtime::new(config)?;
    rt.load_plugin(&plugin_path()).await?;
    Ok(Arc::new(rt))
}

/// Storefront settings against the simulator.
pub fn settings(sim_url: &str, application_id: &str) -> Settings {
    vec![
        ("api_url".into(), sim_url.to_owned()),
        ("email".into(), tharstern_sim::DEMO_API_EMAIL.into()),
        ("password".into(), tharstern_sim::DEMO_API_PASSWORD.into()),
        ("application_id".into(), application_id.into()),
        ("customer_code".into(), tharstern_sim::WEBSHOP.into()),
    ]
}

pub fn tenant_id(i: usize) -> String {
    format!("store-{i:05}")
}

/// `n` storefronts, each with its own application id. The settings are
/// normalised by the plugin's `configure` once (they differ only in the
/// application id, a free text).
pub async fn tenants(rt: &Runtime, sim_url: &str, n: usize) -> anyhow::Result<Vec<TenantSpec>> {
    let normalised = rt
        .configure(PLUGIN, settings(sim_url, "BENCH"))
        .await
        .map_err(|e| anyhow!("configure: {e}"))?;
    Ok((0..n)
        .map(|i| {
            let mut s = normalised.clone();
            for (k, v) in &mut s {
                if k == "application_id" {
                    *v = format!("BENCH-{i:05}");
                }
            }
            TenantSpec::new(tenant_id(i), s).with_private_networks(true)
        })
        .collect())
}

/// The price request of every quote figure: product type 1 (business
/// cards), 250 off, the storefront's own customer code.
pub fn price_request() -> PriceRequest {
    PriceRequest {
        product: ProductMapping {
            product_ref: "1".into(),
            overrides: vec![],
            advanced_json: None,
        },
        quantity: 250,
        customer: CustomerContext {
            department_code: None,
            email: None,
            name: None,
        },
        attributes: vec![],
    }
}

pub fn price_call() -> PriceRequest {
    price_request()
}

pub async fn quote(rt: &Runtime, tenant: &TenantSpec) -> anyhow::Result<PriceQuote> {
    match rt.price(tenant, PLUGIN, &price_call()).await {
        Ok(q) => Ok(q),
        Err(e) => bail!("price failed for {}: {e}", tenant.id()),
    }
}

/// Gives every tenant one quote (so each has the quote in its cache), with
/// `concurrency` calls in flight on a 2-worker runtime. Answers the time.
pub fn warm_all(
    rt: &Arc<Runtime>,
    tenants: &Arc<Vec<TenantSpec>>,
    concurrency: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    tokio.block_on(async {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let (rt, tenants, next) = (rt.clone(), tenants.clone(), next.clone());
            tasks.spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(t) = tenants.get(i) else {
                        return anyhow::Ok(());
                    };
                    quote(&rt, t).await?;
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        anyhow::Ok(())
    })?;
    Ok(started.elapsed())
}

/// Facts about the machine, printed with the figures.
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory: String,
    pub rustc: String,
    pub wasmtime: String,
    pub kernel: String,
}

impl Machine {
    pub fn summary(&self) -> String {
        format!(
            "machine: {} CPUs ({}), {} RAM, kernel {}; {}; wasmtime {}; global allocator: system (glibc malloc)",
            self.cpus, self.cpu_model, self.memory, self.kernel, self.rustc, self.wasmtime
        )
    }
}

pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".into(), |(_, v)| v.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or("unknown".into(), |kb| {
            format!("{:.1} GiB", kb as f64 / (1024.0 * 1024.0))
        });
    let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "rustc (unknown)".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model,
        memory,
        rustc,
        wasmtime: wasmtime_version().unwrap_or_else(|| "unknown".into()),
        kernel,
    }
}

/// The wasmtime version in the workspace's lock file.
fn wasmtime_version() -> Option<String> {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let text = std::fs::read_to_string(lock).ok()?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasmtime\"" {
            return lines
                .next()?
                .strip_prefix("version = \"")
                .map(|v| v.trim_end_matches('"').to_owned());
        }
    }
    None
}

/// Asserts a quote is the cached one.
pub fn expect_cached(q: &PriceQuote) -> anyhow::Result<()> {
    if !q.cached {
        bail!("the quote was not served from the cache");
    }
    Ok(())
}
