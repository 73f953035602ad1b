//! The catalogue schedule: every `catalogue.check_secs`, the storefronts
//! whose catalogue is due are refreshed. Among several nodes, a scheduled
//! refresh runs on one node at a time (a lease per storefront and plugin),
//! re-checked under the lease so a refresh just done elsewhere is not
//! repeated.

use std::sync::Arc;
use std::time::Duration;

use crate::service::domain::catalogue::RefreshOutcome;
use crate::service::infra::time::now;
use crate::service::{Result, Service};
use connect_runtime::contract::Capability;

/// Refreshes due catalogues every `catalogue.check_secs` until shutdown.
pub async fn run(svc: Arc<Service>) {
    let every = svc.config.catalogue.check_secs;
    if every == 0 {
        return;
    }
    // A node that dies mid-refresh holds its lease this long.
    let ttl = Duration::from_secs(svc.config.runtime.batch_timeout_secs + 60);
    let mut shutdown = svc.shutdown_signal();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = shutdown.changed() => return,
        }
        let due = match svc.store.due_refreshes(now()).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "finding due catalogue refreshes failed");
                continue;
            }
        };
        for (storefront, plugin) in due {
            let has_catalogue = svc
                .runtime
                .info(&plugin)
                .is_ok_and(|i| i.capabilities.contains(&Capability::Catalogue));
            if !has_catalogue {
                continue;
            }
            // One node at a time refreshes a storefront's catalogue; a node
            // that finds it refreshed meanwhile by another skips it.
            let lease = format!("catalogue:{storefront}:{plugin}");
            let job = async || -> Result<Option<RefreshOutcome>> {
                let still_due = svc.store.due_refreshes(now()).await?;
                if !still_due
                    .iter()
                    .any(|(s, p)| *s == storefront && *p == plugin)
                {
                    return Ok(None);
                }
                svc.refresh_catalogue(&storefront, &plugin).await.map(Some)
            };
            tokio::select! {
                r = svc.under_lease(&lease, ttl, job) => {
                    if let Some(Err(e)) = r {
                        tracing::warn!(storefront, plugin, error = %e, "scheduled catalogue refresh failed");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }
}
