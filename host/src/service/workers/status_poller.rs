//! The fallback to status webhooks: a webhook can be lost (a subscription
//! never made, the service down when it came, a back office that sends
//! none), so delivered orders still waiting for a tracking number are asked
//! about through their plugin's `order-status` from time to time.
//!
//! An order is due when it was delivered within `status_poll_days`, has no
//! tracking number, and neither changed nor was asked about for
//! `status_poll_secs`; each round asks about at most `status_poll_batch`
//! orders, the longest-waiting first, one at a time, so a large backlog
//! costs the back office a steady trickle of calls, never a burst. Only an
//! answer that changes something is recorded in the order's history.
//!
//! Among several nodes, one node at a time polls a storefront (a lease per
//! storefront, held for its round); a node that gets the lease asks which
//! of its orders are still due, so an order is not asked about twice.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::service::domain::orders::OrderView;
use crate::service::infra::time::now;
use crate::service::store::EventKind;
use crate::service::{Result, Service};
use connect_runtime::contract::OrderUpdate;

/// Runs until the service shuts down. Off when `status_poll_secs` is 0.
pub async fn run(svc: Arc<Service>) {
    let every = svc.config.outbox.status_poll_secs;
    if every == 0 {
        return;
    }
    // A node that dies mid-round holds a storefront's lease this long.
    let ttl = Duration::from_secs(every.max(60));
    let mut shutdown = svc.shutdown_signal();
    loop {
        // Look for due orders a few times per interval, so an order is
        // asked about close to when it falls due.
        let tick = Duration::from_secs(every)
            .div_f64(4.0)
            .max(Duration::from_millis(100));
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => return,
        }
        let due = match svc.orders_due_for_status(every).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "finding orders to ask the status of failed");
                continue;
            }
        };
        let storefronts: BTreeSet<String> = due.into_iter().map(|(sf, _)| sf).collect();
        for storefront in storefronts {
            let lease = format!("status:{storefront}");
            let round = svc.under_lease(&lease, ttl, async || {
                svc.poll_storefront(&storefront, every).await
            });
            tokio::select! {
                _ = round => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

impl Service {
    /// Asks about a storefront's orders still due (another node may have
    /// asked meanwhile).
    async fn poll_storefront(&self, storefront: &str, every: u64) {
        let due = match self.orders_due_for_status(every).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "finding orders to ask the status of failed");
                return;
            }
        };
        for (_, id) in due.iter().filter(|(sf, _)| sf == storefront) {
            if let Err(e) = self.poll_order_status(storefront, id).await {
                tracing::info!(storefront, order = id, error = %e, "polling an order's status failed; asking again later");
            }
        }
    }

    /// (storefront, order id) of the delivered orders due for a status poll.
    async fn orders_due_for_status(&self, every: u64) -> Result<Vec<(String, String)>> {
        let cfg = &self.config.outbox;
        let now = now();
        let since = now.saturating_sub((cfg.status_poll_days as i64).saturating_mul(86_400));
        let quiet_since = now.saturating_sub(every as i64);
        let limit = cfg.status_poll_batch.try_into().unwrap_or(u32::MAX);
        Ok(self
            .store
            .orders_due_for_status(since, quiet_since, limit)
            .await?)
    }

    /// Asks the plugin about one order and records what changed. The order
    /// counts as asked even when the plugin fails, so a failing back office
    /// is asked once per interval, not once per round.
    async fn poll_order_status(&self, storefront: &str, id: &str) -> Result<()> {
        let order = self.order(storefront, id).await?;
        let answer = self.ask_order_status(&order).await;
        self.store.mark_status_polled(storefront, id).await?;
        let update = answer?;
        if changes(&order, &update) {
            self.apply_updates(storefront, &order.plugin, &[update], EventKind::Polled)
                .await?;
            tracing::info!(storefront, order = id, "order status changed (polled)");
        }
        Ok(())
    }
}

/// Whether an update says anything the order does not already know.
fn changes(order: &OrderView, u: &OrderUpdate) -> bool {
    let new = |value: &Option<String>, known: &Option<String>| {
        value.as_ref().is_some_and(|v| Some(v) != known.as_ref())
    };
    new(&u.backend_order_id, &order.backend_order_id)
        || new(&u.job_no, &order.job_no)
        || new(&u.status, &order.job_status)
        || new(&u.tracking_number, &order.tracking_number)
}
