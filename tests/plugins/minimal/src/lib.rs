//! The smallest useful connect plugin: prices from a JSON API.
//!
//! Settings: `api_url` (the endpoint the host lets it reach) and a secret
//! `api_key`. `price` asks `GET {api_url}/price?product=..&qty=..`, which
//! answers `{"minor_units": 1250, "currency": "GBP"}`; `check-connection`
//! asks `GET {api_url}/health`. Every other operation is unsupported.

use connect_plugin_sdk::http::{Client, JsonApi};
use connect_plugin_sdk::settings::{Values, specs};
use connect_plugin_sdk::{
    Capability, Check, ConnectionReport, Connector, Host, Money, PluginError, PluginInfo,
    PriceQuote, PriceRequest, Setting, SettingKind,
};
use serde::Deserialize;

pub struct Minimal {
    host: Host,
    api_url: String,
    /// `Bearer <api_key>`, sent with every request.
    authorization: String,
}

#[derive(Deserialize)]
struct Price {
    minor_units: i64,
    currency: String,
}

impl Minimal {
    fn client(&self) -> Client<'_, JsonApi<'_>> {
        let api = JsonApi {
            name: "the pricing API",
            credentials: Some(("Authorization", &self.authorization)),
        };
        Client::new(&*self.host, &self.api_url, api)
    }
}

impl Connector for Minimal {
    const SETTINGS: &'static [Setting] = &[
        Setting {
            key: "api_url",
            label: "API URL",
            kind: SettingKind::Url,
            required: true,
            help: "Base URL of the pricing API, e.g. https://prices.example.com/v1",
            ..Setting::DEFAULT
        },
        Setting {
            key: "api_key",
            label: "API key",
            kind: SettingKind::Password,
            required: true,
            help: "Sent as a bearer token; stored encrypted.",
            ..Setting::DEFAULT
        },
    ];

    fn info() -> PluginInfo {
        PluginInfo {
            id: "minimal".into(),
            name: "Minimal connector".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Prices from a JSON API: the SDK guide's example.".into(),
            capabilities: vec![Capability::Price],
            settings: specs(Self::SETTINGS),
            endpoint_setting: Some("api_url".into()),
        }
    }

    fn init(settings: Values, host: Host) -> Result<Self, PluginError> {
        Ok(Minimal {
            host,
            api_url: settings.text("api_url").trim_end_matches('/').to_string(),
            authorization: format!("Bearer {}", settings.text("api_key")),
        })
    }

    fn check_connection(&self) -> Result<ConnectionReport, PluginError> {
        self.client().get("/health", &[])?;
        Ok(ConnectionReport {
            summary: format!("Connected to {}", self.api_url),
            checks: vec![Check {
                name: "endpoint reached".into(),
                detail: "GET /health answered".into(),
            }],
            warnings: vec![],
        })
    }

    fn price(&self, req: &PriceRequest) -> Result<PriceQuote, PluginError> {
        let qty = req.quantity.to_string();
        let query = [("product", req.product.product_ref.as_str()), ("qty", &qty)];
        let price: Price = self.client().get_json("/price", &query)?;
        Ok(PriceQuote {
            total: Money {
                minor_units: price.minor_units,
                currency: price.currency,
            },
            quote_ref: None,
            customer_code: String::new(),
            customer_link: None,
            cached: false,
        })
    }
}

connect_plugin_sdk::register_connector!(Minimal);

#[cfg(test)]
mod tests;
