//! Catalogue refreshes: each storefront's plugins that keep a catalogue
//! refresh it on the storefront's interval and on demand; operators browse
//! the result when mapping products.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use serde::Serialize;

use super::db::{iso8601, now};
use super::{Result, Service, ServiceError};
use crate::contract::{Capability, ProductPage};
use crate::runtime::Runtime;
use crate::tenant::TenantSpec;

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
    pub fn catalogue_plugins(&self, storefront: &str) -> Result<Vec<String>> {
        let sf = self.storefront(storefront)?;
        Ok(sf
            .connect
            .enabled_plugins
            .iter()
            .filter(|p| {
                self.runtime
                    .info(p)
                    .is_ok_and(|i| i.capabilities.contains(&Capability::Catalogue))
                    && self.tenant(storefront, p).is_ok()
            })
            .cloned()
            .collect())
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
        self.db.lock().execute(
            "UPDATE plugin_settings SET refresh_at = ?3, refresh_ok = ?4, refresh_summary = ?5
             WHERE storefront = ?1 AND plugin = ?2",
            params![storefront, plugin, now(), outcome.ok, summary],
        )?;
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
        for plugin in self.catalogue_plugins(storefront)? {
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

    /// (storefront, plugin) pairs whose catalogue is due.
    fn due_refreshes(&self) -> Result<Vec<(String, String)>> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare(
            "SELECT p.storefront, p.plugin FROM plugin_settings p JOIN storefronts s ON s.id = p.storefront
             WHERE p.enabled = 1 AND p.configured_at IS NOT NULL
               AND (p.refresh_at IS NULL OR p.refresh_at + s.refresh_minutes * 60 <= ?1)",
        )?;
        let rows = stmt
            .query_map([now()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

/// Refreshes due catalogues every `catalogue.check_secs` until shutdown.
pub async fn run_scheduler(svc: Arc<Service>) {
    let every = svc.config.catalogue.check_secs;
    if every == 0 {
        return;
    }
    let mut shutdown = svc.shutdown_signal();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = shutdown.changed() => return,
        }
        let due = match svc.due_refreshes() {
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
            tokio::select! {
                r = svc.refresh_catalogue(&storefront, &plugin) => {
                    if let Err(e) = r {
                        tracing::warn!(storefront, plugin, error = %e, "scheduled catalogue refresh failed");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }
}
