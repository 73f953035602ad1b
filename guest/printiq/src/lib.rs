//! The printIQ connector: a connect plugin linking one storefront to a
//! printIQ print MIS, written on the connect plugin SDK. See `README.md`.

pub mod catalogue;
pub mod client;
pub mod diagnose;
pub mod orders;
pub mod pricing;
pub mod settings;
pub mod status;
pub mod stock;
pub mod webhooks;

#[cfg(test)]
mod test_support;

pub use connect_plugin_sdk as sdk;
pub use sdk::*;
pub use settings::Settings;

pub const PLUGIN_ID: &str = "printiq";

/// The connector bound to one storefront's settings and a platform.
pub struct PrintIq {
    pub(crate) p: Host,
    pub(crate) s: Settings,
}

sdk::register_connector!(PrintIq);

impl PrintIq {
    pub fn new(platform: Host, settings: Settings) -> Self {
        PrintIq {
            p: platform,
            s: settings,
        }
    }

    pub(crate) fn client(&self) -> client::Client<'_> {
        client::Client::new(&*self.p, &self.s)
    }

    pub(crate) fn cache(&self) -> sdk::cache::Cache<'_> {
        sdk::cache::Cache::new(&*self.p)
    }

    /// The customer code a request is made under.
    pub(crate) fn customer_code<'a>(&'a self, c: &'a CustomerContext) -> &'a str {
        c.department().unwrap_or(&self.s.customer_code)
    }
}

impl Connector for PrintIq {
    const SETTINGS: &'static [Setting] = settings::SETTINGS;

    fn info() -> PluginInfo {
        PluginInfo {
            id: PLUGIN_ID.into(),
            name: "Connect: printIQ".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Links the storefront to a printIQ print MIS: live prices from printIQ \
                          quotes, stock levels, orders as accepted quotes (exactly once), job \
                          status and tracking back, and the category tree as a catalogue."
                .into(),
            capabilities: vec![
                Capability::Price,
                Capability::Stock,
                Capability::Orders,
                Capability::Catalogue,
                Capability::Webhooks,
            ],
            settings: sdk::settings::specs(settings::SETTINGS),
            endpoint_setting: Some(settings::API_URL.into()),
        }
    }

    fn init(settings: Values, host: Host) -> Result<Self, PluginError> {
        Ok(PrintIq::new(host, settings.parse(settings::SETTINGS)?))
    }

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

    /// No secret leaves in a message; each failure is logged.
    fn on_error(&self, operation: &str, e: PluginError) -> PluginError {
        let secrets = client::secrets(&*self.p, &self.s);
        sdk::errors::report(&*self.p, &secrets, operation, e)
    }
}

/// Settings for `init`: every field problem becomes one configuration error.
pub fn settings_for_init(input: &[(String, String)]) -> Result<Settings, PluginError> {
    sdk::init_settings::<PrintIq>(input)?.parse(settings::SETTINGS)
}
