//! The settings schema, validation and normalisation.
//!
//! `configure` never does I/O: it checks every field, reports every problem at
//! once (each naming its key), and answers the settings as they should be
//! stored (defaults filled in, booleans as `true`/`false`, the API URL ending
//! with `/TharsternAPI/api/`).

use std::fmt;

use crate::types::{FieldError, SettingKind, SettingSpec};

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

const REFRESH_MIN: i64 = 1;
const REFRESH_MAX: i64 = 43_200;
const STOCK_MIN: i64 = 0;
const STOCK_MAX: i64 = 3_600;

/// When to send a line's price with the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPrice {
    Never,
    Always,
    /// Only when the price came from a live quote (an estimate).
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

/// Validated, normalised settings of one storefront.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// Normalised: `scheme://host[:port]/.../TharsternAPI/api/`.
    pub api_url: String,
    pub email: String,
    pub password: String,
    pub application_id: String,
    pub customer_code: String,
    pub cache_refresh_minutes: u32,
    /// Canonical names from [`PRODUCT_KINDS`], in that order.
    pub product_type_filter: Vec<String>,
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
    /// Seconds cached catalogue, example requests and quotes live.
    pub fn refresh_secs(&self) -> u32 {
        self.cache_refresh_minutes * 60
    }

    /// `scheme://host:port` of the API URL, for messages.
    pub fn origin(&self) -> &str {
        let after_scheme = self.api_url.find("://").map(|i| i + 3).unwrap_or(0);
        let end = self.api_url[after_scheme..]
            .find('/')
            .map(|i| i + after_scheme)
            .unwrap_or(self.api_url.len());
        &self.api_url[..end]
    }

    /// Host name of the API URL.
    pub fn host(&self) -> &str {
        let origin = self.origin();
        let authority = origin.split("://").nth(1).unwrap_or(origin);
        if authority.starts_with('[') {
            return authority.split(']').next().map_or(authority, |h| &h[1..]);
        }
        authority.split(':').next().unwrap_or(authority)
    }

    /// Port of the API URL (explicit, or the scheme's default).
    pub fn port(&self) -> u16 {
        let origin = self.origin();
        let authority = origin.split("://").nth(1).unwrap_or(origin);
        let after_host = match authority.rfind(']') {
            Some(i) => &authority[i + 1..],
            None => authority,
        };
        if let Some(p) = after_host
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
        {
            return p;
        }
        if self.api_url.starts_with("https") {
            443
        } else {
            80
        }
    }

    /// The settings as key/value pairs, as `configure` answers them.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (API_URL, self.api_url.clone()),
            (EMAIL, self.email.clone()),
            (PASSWORD, self.password.clone()),
            (APPLICATION_ID, self.application_id.clone()),
            (CUSTOMER_CODE, self.customer_code.clone()),
            (
                CACHE_REFRESH_MINUTES,
                self.cache_refresh_minutes.to_string(),
            ),
            (PRODUCT_TYPE_FILTER, self.product_type_filter.join(",")),
            (SEND_PRICE, self.send_price.as_str().to_string()),
            (
                USE_EXTERNAL_ID,
                self.use_external_id_as_customer_code.to_string(),
            ),
            (
                MINIMUM_ORDER_STOCK_CHECK,
                self.minimum_order_stock_check.to_string(),
            ),
            (STOCK_CACHE_SECONDS, self.stock_cache_seconds.to_string()),
            (CURRENCY, self.currency.clone()),
        ];
        if let Some(secret) = &self.webhook_secret {
            out.push((WEBHOOK_SECRET, secret.clone()));
        }
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn spec(
    key: &str,
    label: &str,
    kind: SettingKind,
    required: bool,
    default: Option<&str>,
    help: &str,
    choices: &[&str],
    bounds: Option<(i64, i64)>,
) -> SettingSpec {
    SettingSpec {
        key: key.to_string(),
        label: label.to_string(),
        kind,
        required,
        secret: kind == SettingKind::Password,
        default_value: default.map(str::to_string),
        help: help.to_string(),
        choices: choices.iter().map(|c| c.to_string()).collect(),
        min: bounds.map(|b| b.0),
        max: bounds.map(|b| b.1),
    }
}

/// The settings schema, in the order an operator fills it in.
pub fn specs() -> Vec<SettingSpec> {
    use SettingKind::*;
    vec![
        spec(
            API_URL,
            "API URL endpoint",
            Url,
            true,
            None,
            "Address of the Tharstern API, e.g. https://mis.example.com:8443/TharsternAPI/api/ \
             (http or https, any port). `/TharsternAPI/api/` is added if missing. The platform \
             only lets this plugin reach this scheme, host and port; the Tharstern server may \
             need to allow-list the platform's outgoing IP addresses.",
            &[],
            None,
        ),
        spec(
            EMAIL,
            "API user email",
            Email,
            true,
            None,
            "Email address of the Tharstern API user.",
            &[],
            None,
        ),
        spec(
            PASSWORD,
            "API user password",
            Password,
            true,
            None,
            "Password of the Tharstern API user. Stored encrypted, never shown or logged.",
            &[],
            None,
        ),
        spec(
            APPLICATION_ID,
            "Application ID",
            Text,
            true,
            None,
            "Free text identifying this storefront to Tharstern when generating the API token; \
             use a different value for every storefront.",
            &[],
            None,
        ),
        spec(
            CUSTOMER_CODE,
            "Storefront customer code",
            Text,
            true,
            None,
            "Tharstern customer code used for estimates and orders when a department has no \
             code of its own; its product access defines which products this storefront sees.",
            &[],
            None,
        ),
        spec(
            CACHE_REFRESH_MINUTES,
            "Cache refresh interval (minutes)",
            Integer,
            false,
            Some("1440"),
            "How long cached product types, products, example estimate requests and quotes \
             live before they are fetched again (1440 = 24 hours).",
            &[],
            Some((REFRESH_MIN, REFRESH_MAX)),
        ),
        spec(
            PRODUCT_TYPE_FILTER,
            "Product type filter",
            MultiChoice,
            false,
            Some("Finished,None"),
            "Which kinds of Tharstern product types are offered for mapping (comma-separated).",
            &PRODUCT_KINDS,
            None,
        ),
        spec(
            SEND_PRICE,
            "Send price in order line",
            Choice,
            false,
            Some("With logic"),
            "Never: order lines carry no price. Always: send the line's price whenever it has \
             one. With logic: send it only when the price came from a Tharstern estimate (a \
             live quote), not from a static price list.",
            &SEND_PRICE_CHOICES,
            None,
        ),
        spec(
            USE_EXTERNAL_ID,
            "Use ExternalId as CustomerCode",
            Boolean,
            false,
            Some("false"),
            "Automatic customer linking: a user whose department has no Tharstern customer code \
             is looked up in Tharstern by email, and a customer is created when none exists; \
             the platform stores the link.",
            &[],
            None,
        ),
        spec(
            MINIMUM_ORDER_STOCK_CHECK,
            "Check stock against minimum order quantity",
            Boolean,
            false,
            Some("true"),
            "Report whether free stock meets the storefront's minimum order quantity.",
            &[],
            None,
        ),
        spec(
            STOCK_CACHE_SECONDS,
            "Stock cache (seconds)",
            Integer,
            false,
            Some("60"),
            "How long a stock level is cached (0 = always ask Tharstern).",
            &[],
            Some((STOCK_MIN, STOCK_MAX)),
        ),
        spec(
            CURRENCY,
            "Currency",
            Text,
            false,
            Some("GBP"),
            "ISO 4217 code of the currency Tharstern prices in (e.g. GBP, EUR, USD).",
            &[],
            None,
        ),
        spec(
            WEBHOOK_SECRET,
            "Webhook secret",
            Password,
            false,
            None,
            "Secret of the Tharstern webhook subscription. When set, incoming webhooks must carry \
             a valid X-Tharstern-Signature (HMAC-SHA256); leave empty to accept unsigned webhooks.",
            &[],
            None,
        ),
    ]
}

/// Validate and normalise raw settings, reporting every problem at once.
pub fn configure(input: &[(String, String)]) -> Result<Settings, Vec<FieldError>> {
    let specs = specs();
    let mut errors = Vec::new();
    let mut err = |key: &str, message: String| {
        errors.push(FieldError {
            key: key.to_string(),
            message,
        })
    };

    // Unknown and duplicate keys.
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in input {
        if !specs.iter().any(|s| s.key == *key) {
            let known: Vec<&str> = specs.iter().map(|s| s.key.as_str()).collect();
            err(
                key,
                format!(
                    "unknown setting `{key}`; remove it (known settings: {})",
                    known.join(", ")
                ),
            );
        } else if seen.contains(&key.as_str()) {
            err(
                key,
                format!("`{key}` is given more than once; keep one value"),
            );
        } else {
            seen.push(key);
        }
    }

    let raw = |key: &str| -> Option<&str> {
        input
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    // Trimmed value, `None` when absent or blank.
    let value = |key: &str| raw(key).map(str::trim).filter(|v| !v.is_empty());

    let api_url = match value(API_URL) {
        None => {
            err(
                API_URL,
                "the Tharstern API URL is required, e.g. https://mis.example.com/TharsternAPI/api/"
                    .into(),
            );
            None
        }
        Some(v) => match normalise_api_url(v) {
            Ok(url) => Some(url),
            Err(m) => {
                err(API_URL, m);
                None
            }
        },
    };

    let email = match value(EMAIL) {
        None => {
            err(
                EMAIL,
                "the email of the Tharstern API user is required".into(),
            );
            None
        }
        Some(v) if !looks_like_email(v) => {
            err(
                EMAIL,
                "not a valid email address; enter the Tharstern API user's email, e.g. api@printer.example"
                    .into(),
            );
            None
        }
        Some(v) => Some(v.to_string()),
    };

    // Passwords are kept exactly as typed (spaces may be part of them).
    let password = match raw(PASSWORD) {
        Some(p) if !p.is_empty() => Some(p.to_string()),
        _ => {
            err(
                PASSWORD,
                "the password of the Tharstern API user is required".into(),
            );
            None
        }
    };

    let application_id = required_text(
        value(APPLICATION_ID),
        APPLICATION_ID,
        "the application ID is required: any text unique to this storefront, e.g. its name",
        &mut err,
    );
    let customer_code = required_text(
        value(CUSTOMER_CODE),
        CUSTOMER_CODE,
        "the storefront customer code is required: the Tharstern customer code used for estimates and orders",
        &mut err,
    );

    let cache_refresh_minutes = integer(
        value(CACHE_REFRESH_MINUTES),
        CACHE_REFRESH_MINUTES,
        1440,
        REFRESH_MIN,
        REFRESH_MAX,
        "minutes",
        &mut err,
    );
    let stock_cache_seconds = integer(
        value(STOCK_CACHE_SECONDS),
        STOCK_CACHE_SECONDS,
        60,
        STOCK_MIN,
        STOCK_MAX,
        "seconds",
        &mut err,
    );

    let product_type_filter = match value(PRODUCT_TYPE_FILTER) {
        None => Some(vec!["Finished".to_string(), "None".to_string()]),
        Some(v) => {
            let mut chosen = [false; 4];
            let mut bad = Vec::new();
            for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match PRODUCT_KINDS
                    .iter()
                    .position(|k| k.eq_ignore_ascii_case(item))
                {
                    Some(i) => chosen[i] = true,
                    None => bad.push(item.to_string()),
                }
            }
            if !bad.is_empty() {
                err(
                    PRODUCT_TYPE_FILTER,
                    format!(
                        "unknown product type kind(s) {}; choose among {} (comma-separated)",
                        bad.join(", "),
                        PRODUCT_KINDS.join(", ")
                    ),
                );
                None
            } else if !chosen.iter().any(|c| *c) {
                err(
                    PRODUCT_TYPE_FILTER,
                    format!("choose at least one of {}", PRODUCT_KINDS.join(", ")),
                );
                None
            } else {
                Some(
                    PRODUCT_KINDS
                        .iter()
                        .zip(chosen)
                        .filter(|(_, c)| *c)
                        .map(|(k, _)| k.to_string())
                        .collect(),
                )
            }
        }
    };

    let send_price = match value(SEND_PRICE) {
        None => Some(SendPrice::WithLogic),
        Some(v) => {
            let squashed: String = v
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            match squashed.as_str() {
                "never" => Some(SendPrice::Never),
                "always" => Some(SendPrice::Always),
                "withlogic" => Some(SendPrice::WithLogic),
                _ => {
                    err(
                        SEND_PRICE,
                        format!(
                            "`{v}` is not a choice; choose one of: {}",
                            SEND_PRICE_CHOICES.join(", ")
                        ),
                    );
                    None
                }
            }
        }
    };

    let use_external = boolean(value(USE_EXTERNAL_ID), USE_EXTERNAL_ID, false, &mut err);
    let min_check = boolean(
        value(MINIMUM_ORDER_STOCK_CHECK),
        MINIMUM_ORDER_STOCK_CHECK,
        true,
        &mut err,
    );

    let currency = match value(CURRENCY) {
        None => Some("GBP".to_string()),
        Some(v) if v.len() == 3 && v.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(v.to_ascii_uppercase())
        }
        Some(v) => {
            err(
                CURRENCY,
                format!(
                    "`{v}` is not an ISO 4217 currency code; enter three letters, e.g. GBP, EUR or USD"
                ),
            );
            None
        }
    };

    let webhook_secret = raw(WEBHOOK_SECRET)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string);

    if !errors.is_empty() {
        return Err(errors);
    }
    // Every `None` above recorded an error, so all are `Some` here.
    match (
        api_url,
        email,
        password,
        application_id,
        customer_code,
        cache_refresh_minutes,
        product_type_filter,
        send_price,
        use_external,
        min_check,
        stock_cache_seconds,
        currency,
    ) {
        (
            Some(api_url),
            Some(email),
            Some(password),
            Some(application_id),
            Some(customer_code),
            Some(cache_refresh_minutes),
            Some(product_type_filter),
            Some(send_price),
            Some(use_external_id_as_customer_code),
            Some(minimum_order_stock_check),
            Some(stock_cache_seconds),
            Some(currency),
        ) => Ok(Settings {
            api_url,
            email,
            password,
            application_id,
            customer_code,
            cache_refresh_minutes,
            product_type_filter,
            send_price,
            use_external_id_as_customer_code,
            minimum_order_stock_check,
            stock_cache_seconds,
            currency,
            webhook_secret,
        }),
        _ => Err(vec![FieldError {
            key: API_URL.into(),
            message: "internal error validating settings".into(),
        }]),
    }
}

fn required_text(
    v: Option<&str>,
    key: &str,
    missing: &str,
    err: &mut impl FnMut(&str, String),
) -> Option<String> {
    match v {
        None => {
            err(key, missing.to_string());
            None
        }
        Some(v) if v.chars().any(|c| c.is_control()) => {
            err(
                key,
                "contains control characters (e.g. a line break); remove them".into(),
            );
            None
        }
        Some(v) if v.len() > 200 => {
            err(key, "is too long (at most 200 characters)".into());
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

fn integer(
    v: Option<&str>,
    key: &str,
    default: u32,
    min: i64,
    max: i64,
    unit: &str,
    err: &mut impl FnMut(&str, String),
) -> Option<u32> {
    match v {
        None => Some(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n as u32),
            Ok(n) => {
                err(
                    key,
                    format!(
                        "{n} is out of range; enter a whole number of {unit} from {min} to {max}"
                    ),
                );
                None
            }
            Err(_) => {
                err(
                    key,
                    format!("`{v}` is not a whole number; enter {unit} from {min} to {max}"),
                );
                None
            }
        },
    }
}

fn boolean(
    v: Option<&str>,
    key: &str,
    default: bool,
    err: &mut impl FnMut(&str, String),
) -> Option<bool> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        None => Some(default),
        Some("true" | "yes" | "on" | "1") => Some(true),
        Some("false" | "no" | "off" | "0") => Some(false),
        Some(other) => {
            err(
                key,
                format!("`{other}` is not a boolean; enter true or false"),
            );
            None
        }
    }
}

fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Normalise an API URL to `scheme://host[:port]<prefix>/TharsternAPI/api/`.
pub fn normalise_api_url(input: &str) -> Result<String, String> {
    let input = input.trim();
    let Some((scheme, rest)) = input.split_once("://") else {
        return Err(format!(
            "`{input}` is not a full URL; include the scheme, e.g. https://{input}"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "scheme `{scheme}` is not supported; the URL must start with http:// or https://"
        ));
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(
            "the URL must not contain a user name or password; enter them in the email and password settings"
                .into(),
        );
    }
    if path.contains('?') || path.contains('#') {
        return Err("the URL must not contain a query (?...) or fragment (#...)".into());
    }
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let Some((h, after)) = stripped.split_once(']') else {
            return Err("the IPv6 address in the URL lacks its closing `]`".into());
        };
        (
            format!("[{}]", h.to_ascii_lowercase()),
            after.strip_prefix(':'),
        )
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    let host_ok = if host.starts_with('[') {
        host.len() > 2
            && host[1..host.len() - 1]
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
            && !host.starts_with('.')
            && !host.ends_with("..")
    };
    if !host_ok {
        return Err(format!(
            "`{host}` is not a valid host name; enter the Tharstern server's host name or IP address"
        ));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(format!(
                    "port `{p}` is not valid; enter a number from 1 to 65535, e.g. https://host:8443/"
                ));
            }
        },
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the URL path contains spaces; remove them".into());
    }
    // Keep any prefix before `/TharsternAPI/api`, drop anything after it.
    let trimmed = path.trim_end_matches('/');
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
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{scheme}://{host}{port}{prefix}{API_PATH}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn minimal() -> Vec<(String, String)> {
        pairs(&[
            (API_URL, "https://mis.example.com"),
            (EMAIL, "api@example.com"),
            (PASSWORD, "s3cret pw"),
            (APPLICATION_ID, "shop-1"),
            (CUSTOMER_CODE, "SHOP"),
        ])
    }

    #[test]
    fn defaults_are_filled_and_url_normalised() {
        let s = configure(&minimal()).unwrap();
        assert_eq!(s.api_url, "https://mis.example.com/TharsternAPI/api/");
        assert_eq!(s.cache_refresh_minutes, 1440);
        assert_eq!(s.product_type_filter, vec!["Finished", "None"]);
        assert_eq!(s.send_price, SendPrice::WithLogic);
        assert!(!s.use_external_id_as_customer_code);
        assert!(s.minimum_order_stock_check);
        assert_eq!(s.stock_cache_seconds, 60);
        assert_eq!(s.currency, "GBP");
        assert_eq!(s.webhook_secret, None);
        assert_eq!(s.password, "s3cret pw");
        let out = s.to_pairs();
        let get = |k: &str| out.iter().find(|(kk, _)| kk == k).unwrap().1.clone();
        assert_eq!(get(USE_EXTERNAL_ID), "false");
        assert_eq!(get(MINIMUM_ORDER_STOCK_CHECK), "true");
        assert_eq!(get(SEND_PRICE), "With logic");
        assert_eq!(get(PRODUCT_TYPE_FILTER), "Finished,None");
        // Normalising is idempotent.
        assert_eq!(configure(&out).unwrap(), s);
    }

    #[test]
    fn url_forms() {
        let n = |u: &str| normalise_api_url(u).unwrap();
        assert_eq!(n("http://h:8080"), "http://h:8080/TharsternAPI/api/");
        assert_eq!(
            n("HTTPS://H.Example.com/"),
            "https://h.example.com/TharsternAPI/api/"
        );
        assert_eq!(
            n("https://h/tharsternapi/API"),
            "https://h/TharsternAPI/api/"
        );
        assert_eq!(n("https://h/TharsternAPI"), "https://h/TharsternAPI/api/");
        assert_eq!(
            n("https://h:9443/TharsternAPI/api/"),
            "https://h:9443/TharsternAPI/api/"
        );
        assert_eq!(
            n("https://h/mis/TharsternAPI/api/products"),
            "https://h/mis/TharsternAPI/api/"
        );
        assert_eq!(
            n("http://[::1]:3000"),
            "http://[::1]:3000/TharsternAPI/api/"
        );
        assert!(normalise_api_url("ftp://h").is_err());
        assert!(normalise_api_url("h.example.com").is_err());
        assert!(normalise_api_url("https://u:p@h").is_err());
        assert!(normalise_api_url("https://h:99999").is_err());
        assert!(normalise_api_url("https://h/?x=1").is_err());
        assert!(normalise_api_url("https://bad host/").is_err());
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let errs = configure(&pairs(&[
            (API_URL, "ftp://x"),
            (EMAIL, "not-an-email"),
            (CACHE_REFRESH_MINUTES, "0"),
            (PRODUCT_TYPE_FILTER, "Finished,Bogus"),
            (SEND_PRICE, "sometimes"),
            (USE_EXTERNAL_ID, "maybe"),
            (STOCK_CACHE_SECONDS, "abc"),
            (CURRENCY, "POUND"),
            ("colour", "blue"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        for k in [
            API_URL,
            EMAIL,
            PASSWORD,
            APPLICATION_ID,
            CUSTOMER_CODE,
            CACHE_REFRESH_MINUTES,
            PRODUCT_TYPE_FILTER,
            SEND_PRICE,
            USE_EXTERNAL_ID,
            STOCK_CACHE_SECONDS,
            CURRENCY,
            "colour",
        ] {
            assert!(keys.contains(&k), "missing error for {k}: {errs:?}");
        }
        assert!(errs.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn choices_and_booleans_are_normalised() {
        let mut input = minimal();
        input.extend(pairs(&[
            (PRODUCT_TYPE_FILTER, " part , finished,PART"),
            (SEND_PRICE, "with_logic"),
            (USE_EXTERNAL_ID, "Yes"),
            (MINIMUM_ORDER_STOCK_CHECK, "0"),
            (CURRENCY, "eur"),
            (CACHE_REFRESH_MINUTES, " 43200 "),
            (STOCK_CACHE_SECONDS, "0"),
            (WEBHOOK_SECRET, "whsec"),
        ]));
        let s = configure(&input).unwrap();
        assert_eq!(s.product_type_filter, vec!["Finished", "Part"]);
        assert_eq!(s.send_price, SendPrice::WithLogic);
        assert!(s.use_external_id_as_customer_code);
        assert!(!s.minimum_order_stock_check);
        assert_eq!(s.currency, "EUR");
        assert_eq!(s.cache_refresh_minutes, 43200);
        assert_eq!(s.stock_cache_seconds, 0);
        assert_eq!(s.webhook_secret.as_deref(), Some("whsec"));
    }

    #[test]
    fn bounds_and_duplicates() {
        let mut input = minimal();
        input.push((CACHE_REFRESH_MINUTES.into(), "43201".into()));
        input.push((STOCK_CACHE_SECONDS.into(), "3601".into()));
        input.push((EMAIL.into(), "again@example.com".into()));
        let errs = configure(&input).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
    }

    #[test]
    fn origin_host_port() {
        let mut s = configure(&minimal()).unwrap();
        assert_eq!(s.origin(), "https://mis.example.com");
        assert_eq!(s.host(), "mis.example.com");
        assert_eq!(s.port(), 443);
        s.api_url = "http://[::1]:3000/TharsternAPI/api/".into();
        assert_eq!(s.host(), "::1");
        assert_eq!(s.port(), 3000);
    }

    #[test]
    fn debug_redacts_secrets() {
        let mut input = minimal();
        input.push((WEBHOOK_SECRET.into(), "topsecret".into()));
        let s = configure(&input).unwrap();
        let d = format!("{s:?}");
        assert!(!d.contains("s3cret") && !d.contains("topsecret"));
    }

    #[test]
    fn specs_cover_every_key() {
        let specs = specs();
        assert_eq!(specs.len(), 13);
        let pw = specs.iter().find(|s| s.key == PASSWORD).unwrap();
        assert!(pw.secret && pw.required);
        let ws = specs.iter().find(|s| s.key == WEBHOOK_SECRET).unwrap();
        assert!(ws.secret && !ws.required);
        let cr = specs
            .iter()
            .find(|s| s.key == CACHE_REFRESH_MINUTES)
            .unwrap();
        assert_eq!((cr.min, cr.max), (Some(1), Some(43200)));
    }
}
