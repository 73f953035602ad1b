//! Catalogue refreshes: each storefront's plugins that keep a catalogue
//! refresh it on demand and on the storefront's interval (the schedule is
//! [`crate::service::workers::catalogue`]); operators browse the result when
//! mapping products.

use serde::Serialize;

use crate::service::infra::time::{iso8601, now};
use crate::service::{Result, Service, ServiceError};
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
