//! The settings schema (one declarative table: it drives both the schema
//! in `info` and the validation of `configure`) and the typed settings the
//! connector runs with.
//!
//! `configure` never does I/O: it checks every field, reports every problem at
//! once (each naming its key), and answers the settings as they should be
//! stored (defaults filled in, booleans as `true`/`false`, the API URL ending
//! with `/TharsternAPI/api/`).

use std::fmt;

use serde::Deserialize;

use crate::sdk::settings::{Values, currency_code, looks_like_email};
use crate::sdk::url::{self, BaseUrl};
use crate::sdk::{PluginError, Setting, SettingKind};

pub const API_URL: &str = "api_url";
pub const EMAIL: &str = "email";
pub const PASSWORD: &str = "password";
pub const APPLICATION_ID: &str = "application_id";
pub const CUSTOMER_CODE: &str = "customer_code";
pub const CACHE_REFRESH_MINUTES: &str = "cache_refresh_minutes";
pub const PRODUCT_TYPE_FILTER: &str = "product_type_filter";
pub const SEND_PRICE: &str = "send_price";
pub const USE_EXTERNAL_ID: &str = "use_external_id_as_customer_code";
pub const MINIMUM_ORDER_STOCK_CHECK: &str = "minimum_order_stock_check";
pub const STOCK_CACHE_SECONDS: &str = "stock_cache_seconds";
pub const CURRENCY: &str = "currency";
pub const WEBHOOK_SECRET: &str = "webhook_secret";

/// The path every Tharstern API URL ends with.
pub const API_PATH: &str = "/TharsternAPI/api/";

pub const PRODUCT_KINDS: [&str; 4] = ["Finished", "None", "Part", "Component"];
pub const SEND_PRICE_CHOICES: [&str; 3] = ["Never", "Always", "With logic"];

/// The settings schema, in the order an operator fills it in.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: API_URL,
        label: "API URL endpoint",
        kind: SettingKind::Url,
        required: true,
        help: "Address of the Tharstern API, e.g. https://mis.example.com:8443/TharsternAPI/api/ \
               (http or https, any port). `/TharsternAPI/api/` is added if missing. The platform \
               only lets this plugin reach this scheme, host and port; the Tharstern server may \
               need to allow-list the platform's outgoing IP addresses.",
        missing: Some(
            "the Tharstern API URL is required, e.g. https://mis.example.com/TharsternAPI/api/",
        ),
        normalise: Some(normalise_api_url),
        ..Setting::DEFAULT
    },
    Setting {
        key: EMAIL,
        label: "API user email",
        kind: SettingKind::Email,
        required: true,
        help: "Email address of the Tharstern API user.",
        missing: Some("the email of the Tharstern API user is required"),
        normalise: Some(api_user_email),
        ..Setting::DEFAULT
    },
    Setting {
        key: PASSWORD,
        label: "API user password",
        kind: SettingKind::Password,
        required: true,
        help: "Password of the Tharstern API user. Stored encrypted, never shown or logged.",
        missing: Some("the password of the Tharstern API user is required"),
        ..Setting::DEFAULT
    },
    Setting {
        key: APPLICATION_ID,
        label: "Application ID",
        required: true,
        help: "Free text identifying this storefront to Tharstern when generating the API token; \
               use a different value for every storefront.",
        missing: Some(
            "the application ID is required: any text unique to this storefront, e.g. its name",
        ),
        ..Setting::DEFAULT
    },
    Setting {
        key: CUSTOMER_CODE,
        label: "Storefront customer code",
        required: true,
        help: "Tharstern customer code used for estimates and orders when a department has no \
               code of its own; its product access defines which products this storefront sees.",
        missing: Some(
            "the storefront customer code is required: the Tharstern customer code used for estimates and orders",
        ),
        ..Setting::DEFAULT
    },
    Setting {
        key: CACHE_REFRESH_MINUTES,
        label: "Cache refresh interval (minutes)",
        kind: SettingKind::Integer,
        default: Some("1440"),
        help: "How long cached product types, products, example estimate requests and quotes \
               live before they are fetched again (1440 = 24 hours).",
        min: Some(1),
        max: Some(43_200),
        unit: "minutes",
        ..Setting::DEFAULT
    },
    Setting {
        key: PRODUCT_TYPE_FILTER,
        label: "Product type filter",
        kind: SettingKind::MultiChoice,
        default: Some("Finished,None"),
        help: "Which kinds of Tharstern product types are offered for mapping (comma-separated).",
        choices: &PRODUCT_KINDS,
        unit: "product type kind",
        ..Setting::DEFAULT
    },
    Setting {
        key: SEND_PRICE,
        label: "Send price in order line",
        kind: SettingKind::Choice,
        default: Some("With logic"),
        help: "Never: order lines carry no price. Always: send the line's price whenever it has \
               one. With logic: send it only when the price came from a Tharstern estimate (a \
               live quote), not from a static price list.",
        choices: &SEND_PRICE_CHOICES,
        ..Setting::DEFAULT
    },
    Setting {
        key: USE_EXTERNAL_ID,
        label: "Use ExternalId as CustomerCode",
        kind: SettingKind::Boolean,
        default: Some("false"),
        help: "Automatic customer linking: a user whose department has no Tharstern customer code \
               is looked up in Tharstern by email, and a customer is created when none exists; \
               the platform stores the link.",
        ..Setting::DEFAULT
    },
    Setting {
        key: MINIMUM_ORDER_STOCK_CHECK,
        label: "Check stock against minimum order quantity",
        kind: SettingKind::Boolean,
        default: Some("true"),
        help: "Report whether free stock meets the storefront's minimum order quantity.",
        ..Setting::DEFAULT
    },
    Setting {
        key: STOCK_CACHE_SECONDS,
        label: "Stock cache (seconds)",
        kind: SettingKind::Integer,
        default: Some("60"),
        help: "How long a stock level is cached (0 = always ask Tharstern).",
        min: Some(0),
        max: Some(3_600),
        unit: "seconds",
        ..Setting::DEFAULT
    },
    Setting {
        key: CURRENCY,
        label: "Currency",
        default: Some("GBP"),
        help: "ISO 4217 code of the currency Tharstern prices in (e.g. GBP, EUR, USD).",
        normalise: Some(currency_code),
        ..Setting::DEFAULT
    },
    Setting {
        key: WEBHOOK_SECRET,
        label: "Webhook secret",
        kind: SettingKind::Password,
        help: "Secret of the Tharstern webhook subscription. When set, incoming webhooks must carry \
               a valid X-Tharstern-Signature (HMAC-SHA256); leave empty to accept unsigned webhooks.",
        ..Setting::DEFAULT
    },
];

fn api_user_email(v: &str) -> Result<String, String> {
    if looks_like_email(v) {
        Ok(v.to_string())
    } else {
        Err("not a valid email address; enter the Tharstern API user's email, e.g. api@printer.example".into())
    }
}

/// When to send a line's price with the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum SendPrice {
    Never,
    Always,
    /// Only when the price came from a live quote (an estimate).
    #[default]
    #[serde(rename = "With logic")]
    WithLogic,
}

impl SendPrice {
    pub fn as_str(self) -> &'static str {
        match self {
            SendPrice::Never => "Never",
            SendPrice::Always => "Always",
            SendPrice::WithLogic => "With logic",
        }
    }
}

/// Validated, normalised settings of one storefront (filled by `Values::parse`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Settings {
    /// Normalised: `scheme://host[:port]/.../TharsternAPI/api/`.
    pub api_url: String,
    pub email: String,
    pub password: String,
    pub application_id: String,
    pub customer_code: String,
    pub cache_refresh_minutes: u32,
    /// Canonical names from [`PRODUCT_KINDS`], in that order.
    #[serde(default)]
    pub product_type_filter: Vec<String>,
    #[serde(default)]
    pub send_price: SendPrice,
    pub use_external_id_as_customer_code: bool,
    pub minimum_order_stock_check: bool,
    pub stock_cache_seconds: u32,
    /// ISO 4217, upper case.
    pub currency: String,
    pub webhook_secret: Option<String>,
}

impl fmt::Debug for Settings {
    // Secrets never appear in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_url", &self.api_url)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("application_id", &self.application_id)
            .field("customer_code", &self.customer_code)
            .field("cache_refresh_minutes", &self.cache_refresh_minutes)
            .field("product_type_filter", &self.product_type_filter)
            .field("send_price", &self.send_price)
            .field(
                "use_external_id_as_customer_code",
                &self.use_external_id_as_customer_code,
            )
            .field("minimum_order_stock_check", &self.minimum_order_stock_check)
            .field("stock_cache_seconds", &self.stock_cache_seconds)
            .field("currency", &self.currency)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Settings {
    /// The typed settings from values [`SETTINGS`] validated.
    pub fn from_values(v: &Values) -> Result<Settings, PluginError> {
        v.parse(SETTINGS)
    }

    /// Seconds cached catalogue, example requests and quotes live.
    pub fn refresh_secs(&self) -> u32 {
        self.cache_refresh_minutes * 60
    }

    /// `scheme://host:port` of the API URL, for messages.
    pub fn origin(&self) -> &str {
        url::origin(&self.api_url)
    }

    /// Host name of the API URL.
    pub fn host(&self) -> String {
        let host = BaseUrl::parse(&self.api_url)
            .map(|u| u.host)
            .unwrap_or_default();
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string()
    }

    /// Port of the API URL (explicit, or the scheme's default).
    pub fn port(&self) -> u16 {
        BaseUrl::parse(&self.api_url).map_or(80, |u| u.port_or_default())
    }
}

/// Normalise an API URL to `scheme://host[:port]<prefix>/TharsternAPI/api/`.
pub fn normalise_api_url(input: &str) -> Result<String, String> {
    let url = BaseUrl::parse(input)?;
    // Keep any prefix before `/TharsternAPI/api`, drop anything after it.
    let trimmed = url.path.trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let prefix = if let Some(i) = lower.find("/tharsternapi/api") {
        let after = &lower[i + "/tharsternapi/api".len()..];
        if after.is_empty() || after.starts_with('/') {
            &trimmed[..i]
        } else {
            trimmed
        }
    } else if lower.ends_with("/tharsternapi") {
        &trimmed[..trimmed.len() - "/tharsternapi".len()]
    } else {
        trimmed
    };
    Ok(format!("{}{prefix}{API_PATH}", url.origin()))
}

#[cfg(test)]
mod tests;
