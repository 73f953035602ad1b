//! Starting a simulator from a test or a program, and the handle to it.

use crate::config::SimConfig;
use crate::faults::FaultConfig;
use crate::model::{
    Acceptance, Consignment, InventoryItem, Job, JobStatus, Movement, Quote, WebhookDelivery,
};
use crate::server;
use crate::state::{Counts, SimState};
use crate::store::JobError;
use crate::webhooks::Event;
use sim_kit::calls::CallRecord;
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
/// seed 1, 60-minute sliding tokens, GBP, no faults, no auto-advance, no
/// webhook URL.
#[derive(Debug, Clone, Default)]
pub struct SimulatorBuilder {
    config: SimConfig,
}

impl SimulatorBuilder {
    pub fn with_config(config: SimConfig) -> Self {
        Self { config }
    }

    /// The demo data set is always loaded; this says so at the call site.
    pub fn demo_data(self) -> Self {
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

    /// Sliding lifetime of login tokens.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.token_lifetime = lifetime;
        self
    }

    /// Adds an accepted QuoteProcess user (the demo user stays).
    pub fn api_user(mut self, user_name: &str, password: &str) -> Self {
        self.config
            .users
            .push((user_name.to_string(), password.to_string()));
        self
    }

    /// Adds an accepted ApplicationName / ApplicationKey pair.
    pub fn application(mut self, name: &str, key: &str) -> Self {
        self.config
            .applications
            .push((name.to_string(), key.to_string()));
        self
    }

    /// Adds accepted webhook-service headers (PrintIQ-API-Name / -Key).
    pub fn api_key(mut self, name: &str, key: &str) -> Self {
        self.config
            .api_keys
            .push((name.to_string(), key.to_string()));
        self
    }

    /// `CurCode` of every price (default GBP).
    pub fn currency(mut self, code: &str) -> Self {
        self.config.currency = code.to_string();
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

    /// Link every event to `url?event={EventName}`.
    pub fn webhook_url(mut self, url: &str) -> Self {
        self.config.webhook_url = Some(url.to_string());
        self
    }

    /// Wait before the first webhook retry (doubled for each further one).
    pub fn webhook_backoff(mut self, backoff: Duration) -> Self {
        self.config.webhook_backoff = backoff;
        self
    }

    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.config.webhook_timeout = timeout;
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
            "printiq-sim",
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

    /// The instance URL a connector is configured with:
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// `.../api/QuoteProcess/{call}` (e.g. `quote_process_url("GetPrice")`).
    pub fn quote_process_url(&self, call: &str) -> String {
        format!(
            "{}{}/{}",
            self.base_url(),
            crate::api::QUOTE_PROCESS_BASE,
            call.trim_start_matches('/')
        )
    }

    /// `.../WebService/WebHook.svc/json/{path}`.
    pub fn webhook_service_url(&self, path: &str) -> String {
        format!(
            "{}{}/{}",
            self.base_url(),
            crate::api::WEBHOOK_SERVICE_BASE,
            path.trim_start_matches('/')
        )
    }

    /// `http://127.0.0.1:PORT/_sim/` + `path`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("{}/_sim/{}", self.base_url(), path.trim_start_matches('/'))
    }

    /// Records, data and controls.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    pub fn quotes(&self) -> Vec<Quote> {
        self.state.quotes()
    }

    pub fn acceptances(&self) -> Vec<Acceptance> {
        self.state.acceptances()
    }

    pub fn jobs(&self) -> Vec<Job> {
        self.state.jobs()
    }

    /// Jobs whose quote carried `CustomerReference` = `reference`.
    pub fn jobs_for_reference(&self, reference: &str) -> Vec<Job> {
        self.state.jobs_for_reference(reference)
    }

    pub fn job(&self, job_no: &str) -> Option<Job> {
        self.state.job(job_no)
    }

    pub fn consignments(&self) -> Vec<Consignment> {
        self.state.consignments()
    }

    pub fn inventory(&self) -> Vec<InventoryItem> {
        self.state.inventory()
    }

    pub fn movements(&self) -> Vec<Movement> {
        self.state.movements()
    }

    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.state.deliveries()
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.state.calls()
    }

    pub fn calls_to(&self, endpoint: &str) -> Vec<CallRecord> {
        self.state.calls_to(endpoint)
    }

    /// Counts, with jobs per `CustomerReference` and duplicates.
    pub fn counts(&self) -> Counts {
        self.state.counts()
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

    /// A valid login token, without an HTTP call.
    pub fn issue_token(&self) -> String {
        self.state.issue_token()
    }

    /// Every login token handed out and not expired by a fault.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued_tokens()
    }

    /// Expires every login token now.
    pub fn expire_tokens(&self) {
        self.state.expire_tokens()
    }

    /// Links every event to `url?event={EventName}`.
    pub fn set_webhook_url(&self, url: &str) {
        self.state.set_webhook_url(url)
    }

    /// Links one event to `url` exactly.
    pub fn link_webhook(&self, event: Event, url: &str) {
        self.state.link_webhook(event, url)
    }

    pub fn advance_job(
        &self,
        job_no: &str,
        to: Option<JobStatus>,
        tracking_code: Option<String>,
    ) -> Result<Job, JobError> {
        self.state.advance_job(job_no, to, tracking_code)
    }

    pub fn cancel_job(&self, job_no: &str) -> Result<Job, JobError> {
        self.state.cancel_job(job_no)
    }

    pub fn advance_all_jobs(&self) -> Vec<Job> {
        self.state.advance_all_jobs()
    }

    /// Stops the simulator (as dropping the handle does).
    pub fn shutdown(self) {}
}
