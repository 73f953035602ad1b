//! The settings schema (one declarative table drives `info` and
//! `configure`) and the typed settings the connector runs with. The names
//! follow Connect:printIQ's own (instance URL, user name, password,
//! application name and key, default customer code).

use std::fmt;

use serde::Deserialize;

use crate::sdk::settings::currency_code;
use crate::sdk::url::BaseUrl;
use crate::sdk::{Setting, SettingKind};

pub const API_URL: &str = "api_url";

/// The settings schema, in the order an operator fills it in.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: API_URL,
        label: "API URL (printIQ instance)",
        kind: SettingKind::Url,
        required: true,
        help: "Address of your printIQ instance, e.g. https://acme.printiq.com (a trailing \
               /api/QuoteProcess is removed). The platform lets this plugin reach only this \
               scheme, host and port.",
        missing: Some("the printIQ instance URL is required, e.g. https://acme.printiq.com"),
        normalise: Some(normalise_api_url),
        ..Setting::DEFAULT
    },
    Setting {
        key: "user_name",
        label: "User name",
        required: true,
        help: "printIQ API user (QuoteProcess login).",
        ..Setting::DEFAULT
    },
    Setting {
        key: "password",
        label: "Password",
        kind: SettingKind::Password,
        required: true,
        help: "Password of the printIQ API user. Stored encrypted, never shown or logged.",
        ..Setting::DEFAULT
    },
    Setting {
        key: "application_name",
        label: "Application name",
        required: true,
        help: "Application name printIQ issued for this integration.",
        ..Setting::DEFAULT
    },
    Setting {
        key: "application_key",
        label: "Application key",
        kind: SettingKind::Password,
        required: true,
        help: "Application key printIQ issued with the application name. Stored encrypted.",
        ..Setting::DEFAULT
    },
    Setting {
        key: "customer_code",
        label: "Default customer code",
        required: true,
        help: "printIQ customer code for prices and orders when the buyer's department has no \
               code of its own (its Connect Link / external id).",
        ..Setting::DEFAULT
    },
    Setting {
        key: "price_list_level",
        label: "Price list level",
        kind: SettingKind::Integer,
        help: "printIQ price list level sent with category (node:) prices and filters; empty: \
               the customer's own.",
        min: Some(0),
        max: Some(100),
        ..Setting::DEFAULT
    },
    Setting {
        key: "api_name",
        label: "Webhook-service API name",
        help: "PrintIQ-API-Name for the webhook-service API (stock levels, customer check); \
               empty: no stock.",
        ..Setting::DEFAULT
    },
    Setting {
        key: "api_key",
        label: "Webhook-service API key",
        kind: SettingKind::Password,
        help: "PrintIQ-API-Key issued with the API name. Stored encrypted.",
        ..Setting::DEFAULT
    },
    Setting {
        key: "cache_refresh_minutes",
        label: "Cache refresh interval (minutes)",
        kind: SettingKind::Integer,
        default: Some("1440"),
        help: "How long quotes (each printIQ price creates a quote) and the catalogue are \
               reused before printIQ is asked again.",
        min: Some(1),
        max: Some(43_200),
        unit: "minutes",
        ..Setting::DEFAULT
    },
    Setting {
        key: "stock_cache_seconds",
        label: "Stock cache (seconds)",
        kind: SettingKind::Integer,
        default: Some("60"),
        help: "How long a stock level is reused (0: always ask printIQ).",
        min: Some(0),
        max: Some(3_600),
        unit: "seconds",
        ..Setting::DEFAULT
    },
    Setting {
        key: "minimum_order_stock_check",
        label: "Check stock against minimum order quantity",
        kind: SettingKind::Boolean,
        default: Some("true"),
        help: "Report whether available stock meets the storefront's minimum order quantity.",
        ..Setting::DEFAULT
    },
    Setting {
        key: "currency",
        label: "Currency",
        default: Some("GBP"),
        help: "ISO 4217 code of the instance's currency, used when an answer carries no CurCode.",
        normalise: Some(currency_code),
        ..Setting::DEFAULT
    },
];

/// `scheme://host[:port][/prefix]`, without a trailing `/` or `/api/QuoteProcess`.
pub fn normalise_api_url(input: &str) -> Result<String, String> {
    let url = BaseUrl::parse(input)?;
    let mut path = url.path.trim_end_matches('/');
    for suffix in ["/api/quoteprocess", "/api"] {
        if path.to_ascii_lowercase().ends_with(suffix) {
            path = &path[..path.len() - suffix.len()];
        }
    }
    Ok(format!("{}{path}", url.origin()))
}

/// Validated settings of one storefront (filled by `Values::parse`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Settings {
    pub api_url: String,
    pub user_name: String,
    pub password: String,
    pub application_name: String,
    pub application_key: String,
    pub customer_code: String,
    pub price_list_level: Option<i64>,
    /// Webhook-service credentials (`PrintIQ-API-Name`, `PrintIQ-API-Key`).
    pub api_name: Option<String>,
    pub api_key: Option<String>,
    pub cache_refresh_minutes: u32,
    pub stock_cache_seconds: u32,
    pub minimum_order_stock_check: bool,
    pub currency: String,
}

impl fmt::Debug for Settings {
    // Secrets never appear in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_url", &self.api_url)
            .field("user_name", &self.user_name)
            .field("application_name", &self.application_name)
            .field("customer_code", &self.customer_code)
            .field("api_name", &self.api_name)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Seconds quotes and the catalogue are reused.
    pub fn refresh_secs(&self) -> u32 {
        self.cache_refresh_minutes * 60
    }

    /// The secrets (redacted as typed and percent-encoded).
    pub fn secrets(&self) -> Vec<&str> {
        [&self.password, &self.application_key]
            .into_iter()
            .chain(&self.api_key)
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests;
