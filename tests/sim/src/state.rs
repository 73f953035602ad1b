//! The shared state of a running simulator and the operations on it.
//!
//! Locks are `std` locks held for a few statements and never across an
//! `.await`; the catalogue needs no lock at all because it never changes.

use crate::calls::CallLog;
use crate::config::{ProductShape, SimConfig};
use crate::data::{self, Catalog};
use crate::faults::{FaultConfig, Faults};
use crate::model::{
    CallRecord, Customer, Estimate, Job, JobStatus, Order, StockItem, Subscription, WebhookDelivery,
};
use crate::store::{Db, JobError};
use crate::tokens::TokenStore;
use crate::webhooks::WebhookHub;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use tokio::sync::watch;

/// The state behind a simulator; `SimHandle::state()` hands it out.
#[derive(Debug)]
pub struct SimState {
    config: SimConfig,
    catalog: Catalog,
    db: RwLock<Db>,
    /// The data as loaded, for `reset_data`.
    initial: Db,
    pub(crate) tokens: TokenStore,
    pub(crate) calls: CallLog,
    pub(crate) faults: Faults,
    pub(crate) webhooks: WebhookHub,
    shutdown: watch::Receiver<bool>,
}

impl SimState {
    /// Loads the data and wires the parts; must run inside a tokio runtime
    /// (webhook workers are spawned on it).
    pub(crate) fn new(config: SimConfig, shutdown: watch::Receiver<bool>) -> Self {
        let mut options = config.data.clone();
        options.seed = config.seed;
        let loaded = data::build(&options);
        let mut initial = Db::new(loaded.customers, loaded.stock_items);
        initial.record_duplicates = config.record_duplicate_orders;
        if config.product_shape == ProductShape::ProductsAreStockItems {
            let stock_products = loaded.catalog.products.iter();
            initial = initial.with_products_as_stock_items(
                stock_products
                    .filter_map(|p| Some((p.id, p.stock_item_id?)))
                    .collect(),
            );
        }
        Self {
            catalog: loaded.catalog,
            db: RwLock::new(initial.clone()),
            initial,
            tokens: TokenStore::new(),
            calls: CallLog::default(),
            faults: Faults::new(config.faults.clone(), config.seed),
            webhooks: WebhookHub::new(
                config.webhook_backoff,
                config.webhook_timeout,
                tokio::runtime::Handle::current(),
                shutdown.clone(),
            ),
            shutdown,
            config,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Product types, papers, processes and products (never change).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    // ---- inspection -------------------------------------------------------

    pub fn estimates(&self) -> Vec<Estimate> {
        self.read().estimates.clone()
    }

    pub fn orders(&self) -> Vec<Order> {
        self.read().orders.clone()
    }

    pub fn customers(&self) -> Vec<Customer> {
        self.read().customers.clone()
    }

    pub fn jobs(&self) -> Vec<Job> {
        self.read().jobs.clone()
    }

    pub fn stock_items(&self) -> Vec<StockItem> {
        self.read().stock_items.clone()
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.webhooks.subscriptions()
    }

    /// Every webhook delivery attempt, oldest first.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.webhooks.deliveries()
    }

    /// Every call received (but `/_sim` ones), oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.all()
    }

    /// Calls to one endpoint (canonical name, case-insensitive).
    pub fn calls_to(&self, endpoint: &str) -> Vec<CallRecord> {
        self.calls
            .all()
            .into_iter()
            .filter(|c| {
                c.endpoint
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(endpoint))
            })
            .collect()
    }

    // ---- control ----------------------------------------------------------

    pub fn faults(&self) -> FaultConfig {
        self.faults.config()
    }

    /// Replaces the fault configuration (validated first).
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), Vec<String>> {
        let faults = faults.validated()?;
        tracing::info!(?faults, "faults changed");
        self.faults.set(faults);
        Ok(())
    }

    /// The token lifetime in force (a fault may shorten it).
    pub fn token_lifetime(&self) -> Duration {
        self.faults
            .token_lifetime_override()
            .unwrap_or(self.config.token_lifetime)
    }

    /// Every API token handed out so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens.issued()
    }

    /// Issues a valid API token without an HTTP round trip.
    pub fn issue_token(&self) -> String {
        self.tokens.issue()
    }

    /// Clears the call log, the webhook delivery log and all faults.
    pub fn reset(&self) {
        self.calls.clear();
        self.webhooks.clear_deliveries();
        self.faults.set(FaultConfig::default());
    }

    /// `reset`, and also restores the data as loaded (estimates, orders and
    /// jobs gone, stock and customers as at start) and drops subscriptions.
    pub fn reset_data(&self) {
        self.reset();
        self.webhooks.clear_subscriptions();
        *self.write() = self.initial.clone();
    }

    /// Moves a job on (see [`Db::advance_job`]) and notifies subscribers.
    pub fn advance_job(
        &self,
        job_no: &str,
        to: Option<JobStatus>,
        tracking_number: Option<String>,
    ) -> Result<Job, JobError> {
        let (job, changed) = self.write().advance_job(job_no, to, tracking_number)?;
        if changed {
            self.job_changed(&job);
        }
        Ok(job)
    }

    /// Advances every open job one step (the auto-advance tick).
    pub fn advance_all_jobs(&self) -> Vec<Job> {
        let jobs = self.write().advance_all();
        for job in &jobs {
            self.job_changed(job);
        }
        jobs
    }

    /// Tells subscribers; called after the lock is released.
    pub(crate) fn job_changed(&self, job: &Job) {
        tracing::info!(job = %job.job_no, status = %job.status, tracking = ?job.tracking_number, "job changed");
        self.webhooks.publish(job);
    }

    /// Sleeps, but wakes early when the simulator shuts down. True when the
    /// full time passed.
    pub(crate) async fn sleep(&self, duration: Duration) -> bool {
        sim_kit::server::sleep_unless_stopped(&self.shutdown, duration).await
    }
}
