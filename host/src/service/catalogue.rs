//! Catalogue refreshes: each storefront's plugins that keep a catalogue
//! refresh it on the storefront's interval and on demand; operators browse
//! the result when mapping products. Among several nodes, a scheduled
//! refresh runs on one node at a time (a lease per storefront and plugin).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::time::{iso8601, now};
use super::{Result, Service, ServiceError};
use connect_runtime::contract::{Capability, ProductPage};
use connect_runtime::runtime::Runtime;
use connect_runtime::tenant::TenantSpec;

#[derive(Clone, Debug, Serialize)]
pub struct RefreshOutcome {
    pub plugin: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_types: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub at: String,
}

impl Service {
    /// Plugins of a storefront that are enabled, configured and keep a
    /// catalogue.
    pub async fn catalogue_plugins(&self, storefront: &str) -> Result<Vec<String>> {
        let sf = self.storefront(storefront).await?;
        let mut out = Vec::new();
        for p in &sf.connect.enabled_plugins {
            let keeps_catalogue = self
                .runtime
                .info(p)
                .is_ok_and(|i| i.capabilities.contains(&Capability::Catalogue));
            if keeps_catalogue && self.tenant(storefront, p).await.is_ok() {
                out.push(p.clone());
            }
        }
        Ok(out)
    }

    /// Refreshes one plugin's catalogue for a storefront now.
    pub async fn refresh_catalogue(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> Result<RefreshOutcome> {
        let refresh = async |rt: &Runtime, t: &TenantSpec| rt.refresh_catalogue(t, plugin).await;
        let answer = self
            .call(storefront, plugin, "refresh-catalogue", refresh)
            .await;
        let outcome = match answer {
            Ok(r) => RefreshOutcome {
                plugin: plugin.into(),
                ok: true,
                product_types: Some(r.product_types),
                products: Some(r.products),
                error: None,
                at: iso8601(now()),
            },
            Err(ServiceError::Call(e)) => RefreshOutcome {
                plugin: plugin.into(),
                ok: false,
                product_types: None,
                products: None,
                error: Some(e.to_string()),
                at: iso8601(now()),
            },
            Err(e) => return Err(e),
        };
        let summary = match (&outcome.error, outcome.product_types, outcome.products) {
            (Some(e), _, _) => e.clone(),
            (None, Some(t), Some(p)) => format!("{p} products in {t} product types"),
            _ => String::new(),
        };
        self.store
            .record_refresh(storefront, plugin, outcome.ok, &summary)
            .await?;
        tracing::info!(
            storefront,
            plugin,
            ok = outcome.ok,
            summary,
            "catalogue refreshed"
        );
        Ok(outcome)
    }

    /// Refreshes every catalogue of a storefront.
    pub async fn refresh_storefront(&self, storefront: &str) -> Result<Vec<RefreshOutcome>> {
        let mut out = Vec::new();
        for plugin in self.catalogue_plugins(storefront).await? {
            out.push(self.refresh_catalogue(storefront, &plugin).await?);
        }
        Ok(out)
    }

    /// A page of a plugin's catalogue for a storefront.
    pub async fn products(
        &self,
        storefront: &str,
        plugin: &str,
        offset: u32,
        limit: u32,
        search: Option<String>,
    ) -> Result<ProductPage> {
        let limit = limit.clamp(1, 1000);
        let products = async |rt: &Runtime, t: &TenantSpec| {
            rt.products(t, plugin, offset, limit, search.as_deref())
                .await
        };
        self.call(storefront, plugin, "products", products).await
    }
}

/// Refreshes due catalogues every `catalogue.check_secs` until shutdown.
pub async fn run_scheduler(svc: Arc<Service>) {
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
