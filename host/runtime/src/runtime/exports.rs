//! The plugin's exports as [`Runtime`] methods: each runs in the tenant's
//! sandbox (`configure` in a throwaway one) and answers the host's own
//! contract types whatever version the plugin speaks.

use std::sync::Arc;

use wasmtime::Store;

use super::Runtime;
use crate::bindings::PluginInstance;
use crate::capabilities::cache::{MemoryCache, Namespace, TenantCache};
use crate::capabilities::http::EgressPolicy;
use crate::contract::*;
use crate::error::CallError;
use crate::plugin::Plugin;
use crate::sandbox::{Grant, HostState, Sandbox};
use crate::tenant::TenantSpec;

impl Runtime {
    /// Validates and normalises settings with the newest version's
    /// `configure` (see [`Runtime::configure_with`]).
    pub async fn configure(&self, plugin: &str, settings: Settings) -> Result<Settings, CallError> {
        self.configure_with(&*self.plugin(plugin)?, settings).await
    }

    /// Validates and normalises settings with this plugin version's
    /// `configure`, in a throwaway instance with no egress and no tenant
    /// cache.
    pub async fn configure_with(
        &self,
        plugin: &Plugin,
        settings: Settings,
    ) -> Result<Settings, CallError> {
        let _permit = self.permit().await?;
        let grant = Grant {
            tenant: "(configure)".into(),
            plugin: plugin.key.clone(),
            egress: Arc::new(EgressPolicy::default()),
            cache: TenantCache {
                backend: Arc::new(MemoryCache::new(1 << 20)),
                ns: Namespace::new("(configure)", &plugin.info.id),
            },
            limits: self.limits.clone(),
            bounds: self.bounds.tenant(&Arc::from("(configure)")),
            slow_lane: self.slow_lane.clone(),
        };
        let mut sandbox = Sandbox::new(&plugin.pre, grant, None, 0).await?;
        let configure =
            async |p: &PluginInstance, s: &mut Store<HostState>| p.configure(s, &settings).await;
        sandbox.invoke("configure", false, configure).await.0
    }

    /// Verifies the tenant's settings against the backend.
    pub async fn check_connection(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
    ) -> Result<ConnectionReport, CallError> {
        self.invoke(tenant, plugin, "check-connection", false, async |p, s| {
            p.check_connection(s).await
        })
        .await
    }

    pub async fn price(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        req: &PriceRequest,
    ) -> Result<PriceQuote, CallError> {
        self.invoke(tenant, plugin, "price", false, async |p, s| {
            p.price(s, req).await
        })
        .await
    }

    pub async fn stock(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        req: &StockRequest,
    ) -> Result<StockLevel, CallError> {
        self.invoke(tenant, plugin, "stock", false, async |p, s| {
            p.stock(s, req).await
        })
        .await
    }

    /// Submits an order; plugins make this idempotent on the order id.
    pub async fn submit_order(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        order: &Order,
    ) -> Result<OrderReceipt, CallError> {
        self.invoke(tenant, plugin, "submit-order", false, async |p, s| {
            p.submit_order(s, order).await
        })
        .await
    }

    pub async fn order_status(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, CallError> {
        self.invoke(tenant, plugin, "order-status", false, async |p, s| {
            p.order_status(s, order_id, backend_order_id).await
        })
        .await
    }

    /// Fetches the catalogue afresh, under the batch limits.
    pub async fn refresh_catalogue(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
    ) -> Result<CatalogueReport, CallError> {
        self.invoke(tenant, plugin, "refresh-catalogue", true, async |p, s| {
            p.refresh_catalogue(s).await
        })
        .await
    }

    pub async fn products(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, CallError> {
        self.invoke(tenant, plugin, "products", false, async |p, s| {
            p.products(s, offset, limit, search).await
        })
        .await
    }

    pub async fn handle_webhook(
        &self,
        tenant: &TenantSpec,
        plugin: &str,
        req: &WebhookRequest,
    ) -> Result<Vec<OrderUpdate>, CallError> {
        self.invoke(tenant, plugin, "handle-webhook", false, async |p, s| {
            p.handle_webhook(s, req).await
        })
        .await
    }
}
