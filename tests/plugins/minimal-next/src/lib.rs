//! A later version of the `minimal` test plugin (same id, version 1.0.0),
//! for the host's registry tests: upgrade, live swap and rollback. It
//! prices like `minimal` plus [`HANDLING_FEE`], so a test can tell which
//! version answered, and refuses API keys shorter than 8 characters, so a
//! storefront's stored settings can be refused on upgrade.

use connect_plugin_sdk::http::{Client, JsonApi};
use connect_plugin_sdk::settings::{Values, specs};
use connect_plugin_sdk::{
    Capability, Connector, FieldError, Host, Money, PluginError, PluginInfo, PriceQuote,
    PriceRequest, Setting, SettingKind,
};
use serde::Deserialize;

/// Minor units added to every price.
pub const HANDLING_FEE: i64 = 100;

pub struct MinimalNext {
    host: Host,
    api_url: String,
    authorization: String,
}

#[derive(Deserialize)]
struct Price {
    minor_units: i64,
    currency: String,
}

impl Connector for MinimalNext {
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
            help: "Sent as a bearer token; 8 characters or more.",
            ..Setting::DEFAULT
        },
    ];

    fn info() -> PluginInfo {
        PluginInfo {
            id: "minimal".into(),
            name: "Minimal connector".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Prices from a JSON API, plus a handling fee.".into(),
            capabilities: vec![Capability::Price],
            settings: specs(Self::SETTINGS),
            endpoint_setting: Some("api_url".into()),
        }
    }

    fn configure(input: &[(String, String)]) -> Result<Vec<(String, String)>, Vec<FieldError>> {
        let values = connect_plugin_sdk::settings::configure(Self::SETTINGS, input)?;
        if values.text("api_key").chars().count() < 8 {
            return Err(vec![FieldError {
                key: "api_key".into(),
                message: "API keys have 8 characters or more since version 1.0: ask for a new key"
                    .into(),
            }]);
        }
        Ok(values.into_pairs())
    }

    fn init(settings: Values, host: Host) -> Result<Self, PluginError> {
        Ok(MinimalNext {
            host,
            api_url: settings.text("api_url").trim_end_matches('/').to_string(),
            authorization: format!("Bearer {}", settings.text("api_key")),
        })
    }

    fn price(&self, req: &PriceRequest) -> Result<PriceQuote, PluginError> {
        let api = JsonApi {
            name: "the pricing API",
            credentials: Some(("Authorization", &self.authorization)),
        };
        let qty = req.quantity.to_string();
        let query = [("product", req.product.product_ref.as_str()), ("qty", &qty)];
        let price: Price =
            Client::new(&*self.host, &self.api_url, api).get_json("/price", &query)?;
        Ok(PriceQuote {
            total: Money {
                minor_units: price.minor_units + HANDLING_FEE,
                currency: price.currency,
            },
            quote_ref: None,
            customer_code: String::new(),
            customer_link: None,
            cached: false,
        })
    }
}

connect_plugin_sdk::register_connector!(MinimalNext);
