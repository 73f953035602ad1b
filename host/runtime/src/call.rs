//! One plugin call as a name and JSON arguments, for the `call` CLI. The
//! service and tests use the runtime's typed methods instead.

use serde::{Deserialize, Serialize};

use crate::contract::*;
use crate::error::CallError;
use crate::runtime::Runtime;
use crate::tenant::TenantSpec;

/// An export of the `plugin` interface with its arguments (all but `init`,
/// which the sandbox runs when it binds an instance to a tenant).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "function", content = "args", rename_all = "kebab-case")]
pub enum PluginCall {
    Info,
    Configure(Settings),
    CheckConnection,
    Price(PriceRequest),
    Stock(StockRequest),
    SubmitOrder(Order),
    OrderStatus {
        order_id: String,
        #[serde(default)]
        backend_order_id: Option<String>,
    },
    RefreshCatalogue,
    Products {
        #[serde(default)]
        offset: u32,
        #[serde(default = "default_page")]
        limit: u32,
        #[serde(default)]
        search: Option<String>,
    },
    HandleWebhook(WebhookRequest),
}

fn default_page() -> u32 {
    50
}

impl PluginCall {
    /// The export's WIT name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Configure(_) => "configure",
            Self::CheckConnection => "check-connection",
            Self::Price(_) => "price",
            Self::Stock(_) => "stock",
            Self::SubmitOrder(_) => "submit-order",
            Self::OrderStatus { .. } => "order-status",
            Self::RefreshCatalogue => "refresh-catalogue",
            Self::Products { .. } => "products",
            Self::HandleWebhook(_) => "handle-webhook",
        }
    }

    /// Builds a call from an export name and its JSON arguments (the CLI's
    /// `call <function> [args]`).
    pub fn from_json(function: &str, args: Option<serde_json::Value>) -> Result<Self, String> {
        let mut call = serde_json::Map::new();
        call.insert("function".into(), function.into());
        if let Some(args) = args {
            call.insert("args".into(), args);
        }
        serde_json::from_value(call.into()).map_err(|e| format!("bad call `{function}`: {e}"))
    }
}

impl PluginCall {
    /// Runs the call for a tenant through the runtime's typed API and
    /// answers the plugin's reply as JSON.
    pub async fn run(
        &self,
        runtime: &Runtime,
        tenant: &TenantSpec,
        plugin: &str,
    ) -> Result<serde_json::Value, CallError> {
        fn json<T: Serialize>(reply: T) -> serde_json::Value {
            serde_json::to_value(reply).unwrap_or_else(|e| e.to_string().into())
        }
        Ok(match self {
            Self::Info => json(runtime.info(plugin)?),
            Self::Configure(settings) => json(runtime.configure(plugin, settings.clone()).await?),
            Self::CheckConnection => json(runtime.check_connection(tenant, plugin).await?),
            Self::Price(req) => json(runtime.price(tenant, plugin, req).await?),
            Self::Stock(req) => json(runtime.stock(tenant, plugin, req).await?),
            Self::SubmitOrder(order) => json(runtime.submit_order(tenant, plugin, order).await?),
            Self::OrderStatus {
                order_id,
                backend_order_id,
            } => json(
                runtime
                    .order_status(tenant, plugin, order_id, backend_order_id.as_deref())
                    .await?,
            ),
            Self::RefreshCatalogue => json(runtime.refresh_catalogue(tenant, plugin).await?),
            Self::Products {
                offset,
                limit,
                search,
            } => json(
                runtime
                    .products(tenant, plugin, *offset, *limit, search.as_deref())
                    .await?,
            ),
            Self::HandleWebhook(req) => json(runtime.handle_webhook(tenant, plugin, req).await?),
        })
    }
}
