//! The order outbox's delivery worker.
//!
//! An order is claimed (`pending` -> `delivering`, attempt counted) in one
//! transaction before the plugin is called, and its outcome is committed
//! after. The claim is this node's for `lease_secs`, renewed every third of
//! it while the node lives. A crash in between leaves it `delivering`: at
//! the next start (one node), or once its lease lapsed (any node sharing
//! the store), it goes back to `pending` and is submitted again with the
//! same order id, which the plugin's `submit-order` treats as an
//! idempotency key, so a dead node neither loses nor duplicates an order.
//! A node whose claim lapsed anyway (paused longer than the lease) finds
//! its outcome refused, since the order is someone else's attempt by then.
//!
//! Retryable failures are retried with capped exponential backoff and
//! jitter; after `max_attempts`, or on a failure that retrying cannot fix,
//! the order is parked as `failed` with its reason until an operator
//! retries it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::service::domain::orders::StockCheck;
use crate::service::infra::time::now_ms;
use crate::service::store::{Claimed, FailedAttempt};
use crate::service::{Service, ServiceError};
use connect_runtime::contract::{Order, StockRequest};
use connect_runtime::runtime::Runtime;
use connect_runtime::tenant::TenantSpec;

/// Runs until the service shuts down, then lets in-flight deliveries finish
/// within the grace period.
pub async fn run(svc: Arc<Service>) {
    crash_hook::init();
    match svc.store.recover().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(orders = n, "orders interrupted mid-delivery are due again"),
        Err(e) => tracing::error!(error = %e, "recovering the outbox failed"),
    }
    let slots = Arc::new(Semaphore::new(svc.config.outbox.concurrency));
    let poll = Duration::from_millis(svc.config.outbox.poll_ms.max(10));
    let lease = Duration::from_secs(svc.config.outbox.lease_secs);
    let mut renew = tokio::time::interval(lease / 3);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = svc.shutdown_signal();
    let mut tasks = JoinSet::new();
    while !svc.is_shutting_down() {
        let free = slots.available_permits();
        if free > 0 {
            match svc.store.claim(&svc.holder(lease), free).await {
                Ok(claimed) => {
                    for order in claimed {
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            break;
                        };
                        let svc = svc.clone();
                        tasks.spawn(async move {
                            deliver(&svc, order).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "claiming orders from the outbox failed"),
            }
        }
        tokio::select! {
            _ = svc.outbox_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = renew.tick(), if !tasks.is_empty() => {
                if let Err(e) = svc.store.renew_claims(&svc.holder(lease)).await {
                    tracing::error!(error = %e, "renewing this node's order claims failed; they lapse unless the next renewal works");
                }
            }
        }
    }
    let grace = Duration::from_secs(svc.config.server.shutdown_grace_secs);
    if !tasks.is_empty() {
        tracing::info!(
            in_flight = tasks.len(),
            "waiting for in-flight order deliveries"
        );
    }
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        match svc.store.release_claims(&svc.node).await {
            Ok(n) => tracing::warn!(
                orders = n,
                "deliveries cancelled at shutdown; they are due again at the next start"
            ),
            Err(e) => tracing::error!(error = %e, "resetting cancelled deliveries failed"),
        }
    }
}

/// Why an attempt did not deliver.
struct Failure {
    kind: String,
    message: String,
    retryable: bool,
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        let retryable = match &e {
            ServiceError::Call(c) => c.is_retryable(),
            ServiceError::Internal(_) => true,
            _ => false,
        };
        Self {
            kind: e.kind().to_string(),
            message: e.to_string(),
            retryable,
        }
    }
}

async fn deliver(svc: &Service, c: Claimed) {
    let outcome = attempt(svc, &c).await;
    if outcome.is_ok() {
        crash_hook::after_submit(&c.storefront, &c.id);
    }
    let result = match outcome {
        Ok(receipt) => {
            svc.metrics.delivery(&c.plugin, "delivered");
            record_delivered(svc, &c, &receipt).await
        }
        Err(f) => {
            let park = !f.retryable || c.attempts >= svc.config.outbox.max_attempts;
            svc.metrics
                .delivery(&c.plugin, if park { "failed" } else { "retry" });
            record_failure(svc, &c, &f, park).await
        }
    };
    match result {
        Ok(true) => {}
        // Another node took the order over; its attempt records the outcome.
        Ok(false) => tracing::warn!(
            storefront = c.storefront,
            order = c.id,
            "this node's claim on the order lapsed before its outcome was recorded; another attempt owns it"
        ),
        // The order stays `delivering` until its lease lapses, then is
        // submitted again with the same order id.
        Err(e) => {
            tracing::error!(storefront = c.storefront, order = c.id, error = %e, "recording a delivery outcome failed")
        }
    }
}

async fn attempt(
    svc: &Service,
    c: &Claimed,
) -> Result<connect_runtime::contract::OrderReceipt, Failure> {
    let order: Order = serde_json::from_str(&c.payload).map_err(|e| Failure {
        kind: "internal".into(),
        message: format!("the stored order is unreadable: {e}"),
        retryable: false,
    })?;
    if let Some(check) = &c.check_stock {
        let check: StockCheck = serde_json::from_str(check).map_err(|e| Failure {
            kind: "internal".into(),
            message: format!("the stored stock check is unreadable: {e}"),
            retryable: false,
        })?;
        for (product_ref, minimum) in check.items {
            let req = StockRequest {
                product_ref: product_ref.clone(),
                customer: order.customer.clone(),
                minimum_order: Some(minimum),
            };
            let stock = async |rt: &Runtime, t: &TenantSpec| rt.stock(t, &check.plugin, &req).await;
            let s = svc
                .call(&c.storefront, &check.plugin, "stock", stock)
                .await?;
            if s.meets_minimum == Some(false) || s.free < minimum as i64 {
                return Err(Failure {
                    kind: "stock".into(),
                    message: format!(
                        "stock check failed: `{product_ref}` has {} free, below the minimum order quantity {minimum}",
                        s.free
                    ),
                    retryable: false,
                });
            }
        }
    }
    let submit = async |rt: &Runtime, t: &TenantSpec| rt.submit_order(t, &c.plugin, &order).await;
    Ok(svc
        .call(&c.storefront, &c.plugin, "submit-order", submit)
        .await?)
}

async fn record_delivered(
    svc: &Service,
    c: &Claimed,
    r: &connect_runtime::contract::OrderReceipt,
) -> Result<bool, ServiceError> {
    if let Some(link) = &r.customer_link {
        svc.store_link(&c.storefront, &c.plugin, link).await?;
    }
    if !svc.store.record_delivered(c, r).await? {
        return Ok(false);
    }
    let no = r.backend_order_no.as_deref().unwrap_or(&r.backend_order_id);
    tracing::info!(
        storefront = c.storefront,
        order = c.id,
        backend_order = no,
        "order delivered"
    );
    Ok(true)
}

async fn record_failure(
    svc: &Service,
    c: &Claimed,
    f: &Failure,
    park: bool,
) -> Result<bool, ServiceError> {
    let (next_attempt_ms, detail) = if park {
        (
            now_ms(),
            format!("parked after attempt {}: {}", c.attempts, f.message),
        )
    } else {
        let jitter = crate::service::infra::secrets::random::<8>()
            .map(|b| u64::from_le_bytes(b) as f64 / u64::MAX as f64)
            .unwrap_or(0.5);
        let wait = svc.config.outbox.backoff(c.attempts, jitter);
        (
            now_ms() + wait.as_millis() as i64,
            format!(
                "attempt {} failed ({}), retrying in {} ms: {}",
                c.attempts,
                f.kind,
                wait.as_millis(),
                f.message
            ),
        )
    };
    let attempt = FailedAttempt {
        park,
        next_attempt_ms,
        kind: f.kind.clone(),
        message: f.message.clone(),
        detail,
    };
    if !svc.store.record_failure(c, &attempt).await? {
        return Ok(false);
    }
    if park {
        tracing::warn!(
            storefront = c.storefront,
            order = c.id,
            kind = f.kind,
            "order parked as failed"
        );
    }
    Ok(true)
}

/// Testing hook: `CONNECT_TEST_CRASH_AFTER_SUBMIT=<n>` aborts the process
/// right after the n-th successful `submit-order` answer of this process,
/// before the outcome is recorded: the one crash moment a test cannot hit
/// reliably with a kill signal. Read once when the worker starts; unset, it
/// costs one load per delivered order. Compiled only with the cargo feature
/// `test-hooks`, which the crate's own tests turn on (a dev-dependency on
/// itself): never in `cargo build --release`.
#[cfg(feature = "test-hooks")]
mod crash_hook {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    const VAR: &str = "CONNECT_TEST_CRASH_AFTER_SUBMIT";
    static AFTER: OnceLock<Option<u64>> = OnceLock::new();
    static SUBMITTED: AtomicU64 = AtomicU64::new(0);

    pub(super) fn init() {
        AFTER.get_or_init(|| {
            let value = std::env::var(VAR).ok()?;
            match value.trim().parse::<u64>() {
                Ok(n) if n > 0 => {
                    tracing::warn!("{VAR}={n}: the process will abort after its submission {n} (a testing hook)");
                    Some(n)
                }
                _ => {
                    tracing::error!("{VAR}={value:?} is not a positive whole number; the testing hook is off");
                    None
                }
            }
        });
    }

    pub(super) fn after_submit(storefront: &str, order: &str) {
        if let Some(n) = AFTER.get().copied().flatten()
            && SUBMITTED.fetch_add(1, Ordering::SeqCst) + 1 == n
        {
            eprintln!(
                "{VAR}: aborting after order `{order}` of `{storefront}` was submitted, before recording it"
            );
            std::process::abort();
        }
    }
}

/// Without `test-hooks`: nothing, and no trace of the variable.
#[cfg(not(feature = "test-hooks"))]
mod crash_hook {
    pub(super) fn init() {}

    pub(super) fn after_submit(_storefront: &str, _order: &str) {}
}
