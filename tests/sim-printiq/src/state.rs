//! The shared state of a running simulator and the operations on it.
//! Locks are held for a few statements, never across an `.await`; webhook
//! events are published after the lock is released.

use crate::config::SimConfig;
use crate::data::{self, DemoData};
use crate::faults::{FaultConfig, Faults};
use crate::model::{
    Acceptance, Consignment, Customer, InventoryItem, Job, JobStatus, Movement, Quote,
    WebhookDelivery,
};
use crate::store::{Db, JobError, Pending};
use crate::tokens::TokenStore;
use crate::webhooks::{Event, WebhookHub};
use serde::Serialize;
use sim_kit::calls::{CallLog, CallRecord};
use sim_kit::webhooks::RetryPolicy;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use tokio::sync::watch;

/// Counts that expose duplicates and losses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Counts {
    pub quotes: usize,
    pub acceptances: usize,
    pub jobs: usize,
    pub consignments: usize,
    pub movements: usize,
    pub calls: usize,
    pub webhook_deliveries: usize,
    /// Jobs per quote `CustomerReference` (jobs without one under "").
    pub jobs_per_customer_reference: BTreeMap<String, usize>,
    /// The references above with more than one job.
    pub duplicate_job_references: BTreeMap<String, usize>,
    /// Quotes per `CustomerReference`.
    pub quotes_per_customer_reference: BTreeMap<String, usize>,
    /// Jobs per quote number (more than one = the quote was accepted again).
    pub jobs_per_quote: BTreeMap<String, usize>,
}

/// The state behind a simulator; `SimHandle::state()` hands it out.
#[derive(Debug)]
pub struct SimState {
    config: SimConfig,
    data: DemoData,
    db: RwLock<Db>,
    pub(crate) tokens: TokenStore,
    pub(crate) calls: CallLog,
    pub(crate) faults: Arc<Faults>,
    pub(crate) webhooks: WebhookHub,
    shutdown: watch::Receiver<bool>,
}

impl SimState {
    /// Must run inside a tokio runtime (webhook workers are spawned on it).
    pub(crate) fn new(config: SimConfig, shutdown: watch::Receiver<bool>) -> Self {
        let data = data::demo();
        let webhooks = WebhookHub::new(
            RetryPolicy {
                max_attempts: crate::config::WEBHOOK_ATTEMPTS,
                backoff: config.webhook_backoff,
                timeout: config.webhook_timeout,
            },
            tokio::runtime::Handle::current(),
            shutdown.clone(),
        );
        if let Some(url) = &config.webhook_url {
            webhooks.link_all(url);
        }
        Self {
            db: RwLock::new(Db::new(&data)),
            data,
            tokens: TokenStore::new(),
            calls: CallLog::default(),
            faults: Arc::new(Faults::new(config.faults.clone(), config.seed)),
            webhooks,
            shutdown,
            config,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Customers, tree and products (never change).
    pub fn data(&self) -> &DemoData {
        &self.data
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes events (after the lock is gone).
    pub(crate) fn publish(&self, events: Vec<Pending>) {
        for (event, key, body) in events {
            tracing::info!(event = event.as_str(), %key, "event");
            self.webhooks.publish(event, &key, body, &self.faults);
        }
    }

    // ---- inspection -------------------------------------------------------

    pub fn quotes(&self) -> Vec<Quote> {
        self.read().quotes.clone()
    }

    pub fn acceptances(&self) -> Vec<Acceptance> {
        self.read().acceptances.clone()
    }

    pub fn jobs(&self) -> Vec<Job> {
        self.read().jobs.clone()
    }

    /// Jobs whose quote carried this `CustomerReference`.
    pub fn jobs_for_reference(&self, reference: &str) -> Vec<Job> {
        self.read()
            .jobs
            .iter()
            .filter(|j| j.customer_reference.as_deref() == Some(reference))
            .cloned()
            .collect()
    }

    pub fn job(&self, job_no: &str) -> Option<Job> {
        self.read()
            .jobs
            .iter()
            .find(|j| j.job_no.eq_ignore_ascii_case(job_no))
            .cloned()
    }

    pub fn consignments(&self) -> Vec<Consignment> {
        self.read().consignments.clone()
    }

    pub fn inventory(&self) -> Vec<InventoryItem> {
        self.read().inventory.clone()
    }

    pub fn movements(&self) -> Vec<Movement> {
        self.read().movements.clone()
    }

    pub fn customers(&self) -> Vec<Customer> {
        self.data.customers.clone()
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
        self.calls.to_endpoint(endpoint)
    }

    pub fn counts(&self) -> Counts {
        let db = self.read();
        let mut counts = Counts {
            quotes: db.quotes.len(),
            acceptances: db.acceptances.len(),
            jobs: db.jobs.len(),
            consignments: db.consignments.len(),
            movements: db.movements.len(),
            ..Counts::default()
        };
        for j in &db.jobs {
            let r = j.customer_reference.clone().unwrap_or_default();
            *counts.jobs_per_customer_reference.entry(r).or_default() += 1;
            *counts.jobs_per_quote.entry(j.quote_no.clone()).or_default() += 1;
        }
        for q in &db.quotes {
            let r = q.customer_reference.clone().unwrap_or_default();
            *counts.quotes_per_customer_reference.entry(r).or_default() += 1;
        }
        drop(db);
        counts.duplicate_job_references = counts
            .jobs_per_customer_reference
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(r, n)| (r.clone(), *n))
            .collect();
        counts.calls = self.calls.all().len();
        counts.webhook_deliveries = self.webhooks.deliveries().len();
        counts
    }

    // ---- control ----------------------------------------------------------

    pub fn faults(&self) -> FaultConfig {
        self.faults.config()
    }

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

    /// A valid login token without an HTTP round trip.
    pub fn issue_token(&self) -> String {
        self.tokens.issue()
    }

    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens.issued()
    }

    /// Expires every login token now.
    pub fn expire_tokens(&self) {
        self.tokens.expire_all()
    }

    /// Links every event to `url?event={Name}`.
    pub fn set_webhook_url(&self, url: &str) {
        self.webhooks.link_all(url)
    }

    /// Links one event to a URL exactly as given.
    pub fn link_webhook(&self, event: Event, url: &str) {
        self.webhooks.link(event, url.to_string())
    }

    pub fn webhook_links(&self) -> BTreeMap<Event, String> {
        self.webhooks.links()
    }

    pub fn clear_webhooks(&self) {
        self.webhooks.unlink_all()
    }

    /// Clears the call log, the webhook delivery log and all faults.
    pub fn reset(&self) {
        self.calls.clear();
        self.webhooks.clear_deliveries();
        self.faults.set(FaultConfig::default());
    }

    /// `reset`, and restores the data as loaded (no quotes, jobs,
    /// consignments or movements; stock as at start; numbering restarts).
    /// Webhook links stay.
    pub fn reset_data(&self) {
        self.reset();
        *self.write() = Db::new(&self.data);
    }

    /// Moves a job on (default: one step) or to a status; see
    /// [`Db::advance_job`].
    pub fn advance_job(
        &self,
        job_no: &str,
        to: Option<JobStatus>,
        tracking_code: Option<String>,
    ) -> Result<Job, JobError> {
        let mut events = Vec::new();
        let job = self
            .write()
            .advance_job(job_no, to, tracking_code, &mut events)?;
        tracing::info!(job = %job.job_no, status = %job.job_status, "job changed");
        self.publish(events);
        Ok(job)
    }

    pub fn cancel_job(&self, job_no: &str) -> Result<Job, JobError> {
        self.advance_job(job_no, Some(JobStatus::Cancelled), None)
    }

    /// Advances every open job one step (the auto-advance tick).
    pub fn advance_all_jobs(&self) -> Vec<Job> {
        let mut events = Vec::new();
        let jobs = self.write().advance_all(&mut events);
        self.publish(events);
        jobs
    }

    /// Sleeps, but wakes early on shutdown. True when the full time passed.
    pub(crate) async fn sleep(&self, duration: Duration) -> bool {
        sim_kit::server::sleep_unless_stopped(&self.shutdown, duration).await
    }
}
