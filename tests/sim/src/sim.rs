//! Starting a simulator from a test or a program, and the handle to it.

use crate::config::{ProductShape, SimConfig};
use crate::faults::FaultConfig;
use crate::model::{CallRecord, Job, JobStatus};
use crate::server;
use crate::state::SimState;
use crate::store::JobError;
use sim_kit::server::{Backgroundable, ServerHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid fault configuration: {}", .0.join("; "))]
    InvalidFaults(Vec<String>),
    #[error("cannot start the simulator's runtime: {0}")]
    Runtime(std::io::Error),
}

/// Entry point: `Simulator::builder()...start().await`.
pub struct Simulator;

impl Simulator {
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }
}

/// Configures a simulator. Defaults: demo data, 127.0.0.1 on a free port,
/// seed 1, 20-minute tokens, no faults.
#[derive(Debug, Clone, Default)]
pub struct SimulatorBuilder {
    config: SimConfig,
}

impl SimulatorBuilder {
    /// Starts from a complete configuration.
    pub fn with_config(config: SimConfig) -> Self {
        Self { config }
    }

    /// The demo data set is always loaded (generated data extends it); this
    /// says so at the call site.
    pub fn demo_data(self) -> Self {
        self
    }

    /// Adds `n` generated products (`GEN-000001`...), visible to `WEBSHOP`.
    pub fn products(mut self, n: usize) -> Self {
        self.config.data.products = n;
        self
    }

    /// Adds `n` generated customers (`CUST00001`...).
    pub fn customers(mut self, n: usize) -> Self {
        self.config.data.customers = n;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Default `127.0.0.1:0` (a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.token_lifetime = lifetime;
        self
    }

    /// Adds an accepted API user (the demo user stays).
    pub fn api_user(mut self, email: &str, password: &str) -> Self {
        self.config
            .api_users
            .push((email.to_string(), password.to_string()));
        self
    }

    /// Work types answered with "Please call for price" (default
    /// `Bespoke`, `Stock`).
    pub fn unpriced_work_types<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        types: I,
    ) -> Self {
        self.config.unpriced_work_types = types.into_iter().map(Into::into).collect();
        self
    }

    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.config.faults = faults;
        self
    }

    /// Advance every open job one status step this often.
    pub fn auto_advance(mut self, every: Duration) -> Self {
        self.config.auto_advance = Some(every);
        self
    }

    /// Wait before the first webhook retry (doubled for each further one).
    pub fn webhook_backoff(mut self, backoff: Duration) -> Self {
        self.config.webhook_backoff = backoff;
        self
    }

    /// Honest duplicate counting (see [`SimConfig::record_duplicate_orders`]).
    pub fn record_duplicate_orders(mut self) -> Self {
        self.config.record_duplicate_orders = true;
        self
    }

    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.config.webhook_timeout = timeout;
        self
    }

    /// Most items in one page of any list, whatever `pageSize` asks
    /// (default 1000; at least 1).
    pub fn max_page_size(mut self, n: usize) -> Self {
        self.config.max_page_size = n.max(1);
        self
    }

    /// How products carry stock (default: a product names its stock item).
    pub fn product_shape(mut self, shape: ProductShape) -> Self {
        self.config.product_shape = shape;
        self
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    fn checked(mut self) -> Result<SimConfig, SimError> {
        self.config.faults = self
            .config
            .faults
            .validated()
            .map_err(SimError::InvalidFaults)?;
        Ok(self.config)
    }

    /// Starts on the current tokio runtime.
    pub async fn start(self) -> Result<SimHandle, SimError> {
        let config = self.checked()?;
        let addr = config.listen;
        let (listener, addr) = sim_kit::server::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let (stop, stopped) = sim_kit::server::stop_switch();
        let state = Arc::new(SimState::new(config, stopped.clone()));
        let served = state.clone();
        tokio::spawn(async move {
            if let Err(e) = server::serve(listener, served, stopped).await {
                tracing::error!("simulator server failed: {e}");
            }
        });
        Ok(SimHandle {
            state,
            server: ServerHandle::new(addr, stop),
        })
    }

    /// Starts on a runtime of its own, on its own thread: for tests and
    /// programs that are not async. Dropping the handle stops it.
    pub fn start_in_background(self) -> Result<SimHandle, SimError> {
        let config = self.checked()?;
        sim_kit::server::start_in_background(
            "tharstern-sim",
            move || SimulatorBuilder::with_config(config).start(),
            SimError::Runtime,
        )
    }
}

/// A running simulator. Dropping it shuts the simulator down.
#[derive(Debug)]
pub struct SimHandle {
    state: Arc<SimState>,
    server: ServerHandle,
}

impl Backgroundable for SimHandle {
    fn server(&self) -> &ServerHandle {
        &self.server
    }

    fn server_mut(&mut self) -> &mut ServerHandle {
        &mut self.server
    }

    fn detach(&self) -> SimHandle {
        SimHandle {
            state: self.state.clone(),
            server: self.server.detach(),
        }
    }
}

impl SimHandle {
    /// The address listened on (the real port, also when started on 0).
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT/TharsternAPI/api/`
    pub fn base_url(&self) -> String {
        format!("http://{}{}/", self.addr(), crate::api::API_BASE)
    }

    /// `base_url()` + `path` (e.g. `url("products?customerCode=WEBSHOP")`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path.trim_start_matches('/'))
    }

    /// `http://127.0.0.1:PORT/_sim/` + `path`.
    pub fn admin_url(&self, path: &str) -> String {
        format!(
            "http://{}/_sim/{}",
            self.addr(),
            path.trim_start_matches('/')
        )
    }

    /// Records, data and controls.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.state.calls()
    }

    pub fn faults(&self) -> FaultConfig {
        self.state.faults()
    }

    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), Vec<String>> {
        self.state.set_faults(faults)
    }

    /// Clears calls, deliveries and faults.
    pub fn reset(&self) {
        self.state.reset()
    }

    /// Every API token handed out so far (for secret scans).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued_tokens()
    }

    /// A valid API token, without an HTTP call.
    pub fn issue_token(&self) -> String {
        self.state.issue_token()
    }

    pub fn advance_job(
        &self,
        job_no: &str,
        to: Option<JobStatus>,
        tracking_number: Option<String>,
    ) -> Result<Job, JobError> {
        self.state.advance_job(job_no, to, tracking_number)
    }

    /// Stops the simulator (as dropping the handle does; the server
    /// handle inside stops it and joins its thread).
    pub fn shutdown(self) {}
}
