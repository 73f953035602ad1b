//! One plugin call as data: what to run and what came back. Lets the CLI,
//! the service and the instance pool treat every export alike.

use serde::{Deserialize, Serialize};

use crate::bindings::exports_plugin::Guest;
use crate::bindings::types::*;
use crate::error::CallError;

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

    /// Batch calls get the longer deadline and timeout.
    pub fn is_batch(&self) -> bool {
        matches!(self, Self::RefreshCatalogue)
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

/// What an export answered.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum PluginReply {
    Info(PluginInfo),
    Settings(Settings),
    Connection(ConnectionReport),
    Quote(PriceQuote),
    Stock(StockLevel),
    Receipt(OrderReceipt),
    Update(OrderUpdate),
    Catalogue(CatalogueReport),
    Products(ProductPage),
    Updates(Vec<OrderUpdate>),
}

/// Runs `call` on an instance. Traps come back as `Err(wasmtime::Error)`;
/// the guest's typed errors as `Ok(Err(..))`.
pub(crate) async fn dispatch<S>(
    guest: &Guest,
    mut store: S,
    call: &PluginCall,
) -> wasmtime::Result<Result<PluginReply, CallError>>
where
    S: wasmtime::AsContextMut,
    S::Data: Send,
{
    use PluginReply as R;
    fn typed<T>(
        r: Result<T, PluginError>,
        wrap: fn(T) -> PluginReply,
    ) -> Result<PluginReply, CallError> {
        r.map(wrap).map_err(CallError::from)
    }
    let s = store.as_context_mut();
    Ok(match call {
        PluginCall::Info => Ok(R::Info(guest.call_info(s).await?)),
        PluginCall::Configure(settings) => guest
            .call_configure(s, settings)
            .await?
            .map(R::Settings)
            .map_err(|fields| CallError::InvalidSettings { fields }),
        PluginCall::CheckConnection => typed(guest.call_check_connection(s).await?, R::Connection),
        PluginCall::Price(req) => typed(guest.call_price(s, req).await?, R::Quote),
        PluginCall::Stock(req) => typed(guest.call_stock(s, req).await?, R::Stock),
        PluginCall::SubmitOrder(order) => {
            typed(guest.call_submit_order(s, order).await?, R::Receipt)
        }
        PluginCall::OrderStatus {
            order_id,
            backend_order_id,
        } => typed(
            guest
                .call_order_status(s, order_id, backend_order_id.as_deref())
                .await?,
            R::Update,
        ),
        PluginCall::RefreshCatalogue => typed(guest.call_refresh_catalogue(s).await?, R::Catalogue),
        PluginCall::Products {
            offset,
            limit,
            search,
        } => typed(
            guest
                .call_products(s, *offset, *limit, search.as_deref())
                .await?,
            R::Products,
        ),
        PluginCall::HandleWebhook(req) => {
            typed(guest.call_handle_webhook(s, req).await?, R::Updates)
        }
    })
}
