//! The Tharstern connector: a connect plugin linking one storefront to a
//! Tharstern print MIS, written on the connect plugin SDK.
//!
//! The logic is plain Rust talking to its host only through the SDK's
//! [`Platform`], so it compiles both to the WebAssembly component
//! ([`register_connector!`](sdk::register_connector), wasm32 only) and
//! natively (tests, benchmarks).

pub mod catalogue;
pub mod client;
pub mod customers;
pub mod diagnose;
pub mod estimate;
pub mod orders;
pub mod pricing;
pub mod settings;
pub mod status;
pub mod stock;
pub mod webhooks;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use connect_plugin_sdk as sdk;
pub use sdk::*;
pub use settings::Settings;

/// Stable plugin id.
pub const PLUGIN_ID: &str = "tharstern";

/// The connector bound to one storefront's settings and a platform.
pub struct Tharstern {
    pub(crate) p: Host,
    pub(crate) s: Settings,
}

sdk::register_connector!(Tharstern);

impl Tharstern {
    pub fn new(platform: Host, settings: Settings) -> Self {
        Tharstern {
            p: platform,
            s: settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.s
    }

    pub fn platform(&self) -> &dyn Platform {
        &*self.p
    }

    pub(crate) fn client(&self) -> client::Client<'_> {
        client::Client::new(&*self.p, &self.s)
    }

    /// Never let a secret out in an error message, whatever the backend
    /// echoed: the password, the cached token, the webhook secret.
    fn secrets(&self) -> Vec<String> {
        let token = self.client().token().cached().filter(|t| t.len() >= 8);
        [
            Some(self.s.password.clone()),
            token,
            self.s.webhook_secret.clone(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl Connector for Tharstern {
    const SETTINGS: &'static [Setting] = settings::SETTINGS;

    fn info() -> PluginInfo {
        PluginInfo {
            id: PLUGIN_ID.to_string(),
            name: "Connect: Tharstern".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Links the storefront to a Tharstern print MIS: live prices from \
                          estimates, stock levels, order submission, job status and tracking \
                          back, and a cached product catalogue."
                .to_string(),
            capabilities: vec![
                Capability::Price,
                Capability::Stock,
                Capability::Orders,
                Capability::Catalogue,
                Capability::Webhooks,
            ],
            settings: sdk::settings::specs(settings::SETTINGS),
            endpoint_setting: Some(settings::API_URL.to_string()),
        }
    }

    fn init(settings: Values, host: Host) -> Result<Self, PluginError> {
        Ok(Tharstern::new(host, Settings::from_values(&settings)?))
    }

    /// Verify the settings against Tharstern and report what was checked.
    fn check_connection(&self) -> Result<ConnectionReport, PluginError> {
        self.check_connection_impl()
    }

    fn price(&self, req: &PriceRequest) -> Result<PriceQuote, PluginError> {
        self.price_impl(req)
    }

    fn stock(&self, req: &StockRequest) -> Result<StockLevel, PluginError> {
        self.stock_impl(req)
    }

    fn submit_order(&self, order: &Order) -> Result<OrderReceipt, PluginError> {
        self.submit_order_impl(order)
    }

    fn order_status(
        &self,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, PluginError> {
        self.order_status_impl(order_id, backend_order_id)
    }

    fn refresh_catalogue(&self) -> Result<CatalogueReport, PluginError> {
        self.refresh_catalogue_impl()
    }

    fn products(
        &self,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, PluginError> {
        self.products_impl(offset, limit, search)
    }

    fn handle_webhook(&self, req: &WebhookRequest) -> Result<Vec<OrderUpdate>, PluginError> {
        self.handle_webhook_impl(req)
    }

    fn on_error(&self, operation: &str, e: PluginError) -> PluginError {
        sdk::errors::report(&*self.p, &self.secrets(), operation, e)
    }
}

/// Validate and normalise settings without any I/O.
pub fn configure(input: &[(String, String)]) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    Tharstern::configure(input)
}

/// Settings for `init`: every field problem becomes one configuration error.
pub fn settings_for_init(input: &[(String, String)]) -> Result<Settings, PluginError> {
    Settings::from_values(&sdk::init_settings::<Tharstern>(input)?)
}

/// The plugin's self-description.
pub fn info() -> PluginInfo {
    Tharstern::info()
}
