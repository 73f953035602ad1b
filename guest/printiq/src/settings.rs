//! The settings schema (one declarative table drives `info` and
//! `configure`) and the typed settings the connector runs with. The names
//! follow Connect:printIQ's own (instance URL, user name, password,
//! application name and key, default customer code).

use std::fmt;

use crate::sdk::settings::{Values, currency_code};
use crate::sdk::url::BaseUrl;
use crate::sdk::{Setting, SettingKind};

pub const API_URL: &str = "api_url";
pub const USER_NAME: &str = "user_name";
pub const PASSWORD: &str = "password";
pub const APPLICATION_NAME: &str = "application_name";
pub const APPLICATION_KEY: &str = "application_key";
pub const CUSTOMER_CODE: &str = "customer_code";
pub const PRICE_LIST_LEVEL: &str = "price_list_level";
pub const API_NAME: &str = "api_name";
pub const API_KEY: &str = "api_key";
pub const CACHE_REFRESH_MINUTES: &str = "cache_refresh_minutes";
pub const STOCK_CACHE_SECONDS: &str = "stock_cache_seconds";
pub const MINIMUM_ORDER_STOCK_CHECK: &str = "minimum_order_stock_check";
pub const CURRENCY: &str = "currency";

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
        key: USER_NAME,
        label: "User name",
        required: true,
        help: "printIQ API user (QuoteProcess login).",
        ..Setting::DEFAULT
    },
    Setting {
        key: PASSWORD,
        label: "Password",
        kind: SettingKind::Password,
        required: true,
        help: "Password of the printIQ API user. Stored encrypted, never shown or logged.",
        ..Setting::DEFAULT
    },
    Setting {
        key: APPLICATION_NAME,
        label: "Application name",
        required: true,
        help: "Application name printIQ issued for this integration.",
        ..Setting::DEFAULT
    },
    Setting {
        key: APPLICATION_KEY,
        label: "Application key",
        kind: SettingKind::Password,
        required: true,
        help: "Application key printIQ issued with the application name. Stored encrypted.",
        ..Setting::DEFAULT
    },
    Setting {
        key: CUSTOMER_CODE,
        label: "Default customer code",
        required: true,
        help: "printIQ customer code for prices and orders when the buyer's department has no \
               code of its own (its Connect Link / external id).",
        ..Setting::DEFAULT
    },
    Setting {
        key: PRICE_LIST_LEVEL,
        label: "Price list level",
        kind: SettingKind::Integer,
        help: "printIQ price list level sent with category (node:) prices and filters; empty: \
               the customer's own.",
        min: Some(0),
        max: Some(100),
        ..Setting::DEFAULT
    },
    Setting {
        key: API_NAME,
        label: "Webhook-service API name",
        help: "PrintIQ-API-Name for the webhook-service API (stock levels, customer check); \
               empty: no stock.",
        ..Setting::DEFAULT
    },
    Setting {
        key: API_KEY,
        label: "Webhook-service API key",
        kind: SettingKind::Password,
        help: "PrintIQ-API-Key issued with the API name. Stored encrypted.",
        ..Setting::DEFAULT
    },
    Setting {
        key: CACHE_REFRESH_MINUTES,
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
        key: STOCK_CACHE_SECONDS,
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
        key: MINIMUM_ORDER_STOCK_CHECK,
        label: "Check stock against minimum order quantity",
        kind: SettingKind::Boolean,
        default: Some("true"),
        help: "Report whether available stock meets the storefront's minimum order quantity.",
        ..Setting::DEFAULT
    },
    Setting {
        key: CURRENCY,
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

/// Validated settings of one storefront.
#[derive(Clone, PartialEq, Eq)]
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
    pub fn from_values(v: &Values) -> Settings {
        Settings {
            api_url: v.text(API_URL),
            user_name: v.text(USER_NAME),
            password: v.text(PASSWORD),
            application_name: v.text(APPLICATION_NAME),
            application_key: v.text(APPLICATION_KEY),
            customer_code: v.text(CUSTOMER_CODE),
            price_list_level: v.get(PRICE_LIST_LEVEL).and_then(|l| l.parse().ok()),
            api_name: v.get(API_NAME).map(str::to_string),
            api_key: v.get(API_KEY).map(str::to_string),
            cache_refresh_minutes: v.integer(CACHE_REFRESH_MINUTES) as u32,
            stock_cache_seconds: v.integer(STOCK_CACHE_SECONDS) as u32,
            minimum_order_stock_check: v.flag(MINIMUM_ORDER_STOCK_CHECK),
            currency: v.text(CURRENCY),
        }
    }

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
