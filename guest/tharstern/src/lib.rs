//! The Tharstern connector: a connect plugin linking one storefront to a
//! Tharstern print MIS.
//!
//! The logic lives in plain Rust modules that talk to the host only through
//! the [`Platform`] trait, so it compiles both to the WebAssembly component
//! (`wasm.rs`, wasm32 only) and natively (tests, benchmarks).

pub mod catalogue;
pub mod client;
pub mod customers;
pub mod diagnose;
pub mod estimate;
pub mod json;
pub mod money;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod orders;
pub mod platform;
pub mod pricing;
pub mod settings;
pub mod stock;
pub mod types;
pub mod webhooks;

#[cfg(test)]
mod tests;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use platform::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Platform};
pub use settings::Settings;
pub use types::*;

/// Stable plugin id.
pub const PLUGIN_ID: &str = "tharstern";

/// The plugin's self-description.
pub fn info() -> PluginInfo {
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
        settings: settings::specs(),
        endpoint_setting: Some(settings::API_URL.to_string()),
    }
}

/// Validate and normalise settings without any I/O.
pub fn configure(input: &[(String, String)]) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    settings::configure(input).map(|s| s.to_pairs())
}

/// Settings for `init`: every field problem becomes one configuration error.
pub fn settings_for_init(input: &[(String, String)]) -> Result<Settings, PluginError> {
    settings::configure(input).map_err(|errs| {
        let list: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.key, e.message))
            .collect();
        PluginError::Configuration(format!(
            "the stored settings are invalid; fix them in the plugin settings: {}",
            list.join("; ")
        ))
    })
}

/// The connector bound to one storefront's settings and a platform.
pub struct Connector<P: Platform> {
    pub(crate) p: P,
    pub(crate) s: Settings,
}

impl<P: Platform> Connector<P> {
    pub fn new(platform: P, settings: Settings) -> Self {
        Connector {
            p: platform,
            s: settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.s
    }

    pub fn platform(&self) -> &P {
        &self.p
    }

    pub(crate) fn client(&self) -> client::Client<'_, P> {
        client::Client::new(&self.p, &self.s)
    }

    /// Never let a secret out in an error message, whatever the backend
    /// echoed: the password (also percent-encoded) and the cached token.
    fn guard<T>(&self, op: &str, r: Result<T, PluginError>) -> Result<T, PluginError> {
        r.map_err(|e| {
            let e = self.redact(e);
            self.p.log(
                match e {
                    PluginError::Internal(_) => LogLevel::Error,
                    PluginError::Unreachable(_)
                    | PluginError::Configuration(_)
                    | PluginError::Authentication(_) => LogLevel::Warn,
                    _ => LogLevel::Info,
                },
                &format!("{op} failed: {e}"),
            );
            e
        })
    }

    fn redact(&self, e: PluginError) -> PluginError {
        let mut secrets: Vec<String> = Vec::new();
        if self.s.password.len() >= 3 {
            secrets.push(self.s.password.clone());
            secrets.push(client::encode(&self.s.password));
        }
        if let Some(t) = self
            .p
            .cache_get(&self.client().token_cache_key())
            .and_then(|t| String::from_utf8(t).ok())
            .filter(|t| t.len() >= 8)
        {
            secrets.push(t);
        }
        if let Some(w) = self.s.webhook_secret.as_ref().filter(|w| w.len() >= 3) {
            secrets.push(w.clone());
        }
        let clean = |m: &str| {
            let mut m = m.to_string();
            for s in &secrets {
                m = m.replace(s.as_str(), "***");
            }
            m
        };
        match e {
            PluginError::Configuration(m) => PluginError::Configuration(clean(&m)),
            PluginError::Authentication(m) => PluginError::Authentication(clean(&m)),
            PluginError::Unreachable(m) => PluginError::Unreachable(clean(&m)),
            PluginError::Rejected(m) => PluginError::Rejected(clean(&m)),
            PluginError::NotFound(m) => PluginError::NotFound(clean(&m)),
            PluginError::NoPrice(m) => PluginError::NoPrice(clean(&m)),
            PluginError::Unsupported(m) => PluginError::Unsupported(clean(&m)),
            PluginError::Internal(m) => PluginError::Internal(clean(&m)),
        }
    }

    /// Verify the settings against Tharstern and report what was checked.
    pub fn check_connection(&self) -> Result<ConnectionReport, PluginError> {
        self.guard("check-connection", self.check_connection_impl())
    }

    pub fn price(&self, req: &PriceRequest) -> Result<PriceQuote, PluginError> {
        self.guard("price", self.price_impl(req))
    }

    pub fn stock(&self, req: &StockRequest) -> Result<StockLevel, PluginError> {
        self.guard("stock", self.stock_impl(req))
    }

    pub fn submit_order(&self, order: &Order) -> Result<OrderReceipt, PluginError> {
        self.guard("submit-order", self.submit_order_impl(order))
    }

    pub fn order_status(
        &self,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, PluginError> {
        self.guard(
            "order-status",
            self.order_status_impl(order_id, backend_order_id),
        )
    }

    pub fn refresh_catalogue(&self) -> Result<CatalogueReport, PluginError> {
        self.guard("refresh-catalogue", self.refresh_catalogue_impl())
    }

    pub fn products(
        &self,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, PluginError> {
        self.guard("products", self.products_impl(offset, limit, search))
    }

    pub fn handle_webhook(&self, req: &WebhookRequest) -> Result<Vec<OrderUpdate>, PluginError> {
        self.guard("handle-webhook", self.handle_webhook_impl(req))
    }
}

/// A short, stable hash of several strings (length-prefixed, so part
/// boundaries matter): 32 hex digits of SHA-256.
pub(crate) fn digest(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    // Hex by hand: `format!` per byte costs more than the hash itself in
    // the component (a measurable share of a warm quote).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in &h.finalize()[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// Longest cache key [`exact_key`] writes out in full.
const MAX_EXACT_KEY: usize = 256;

/// A cache key for several strings that contain no secret: written out in
/// full (`<prefix>:=<len>:<part><len>:<part>...`, exact and unambiguous)
/// when short, else `<prefix>:<digest>` (the two forms never meet: a
/// digest is hex, never `=`). Spares the hash on hot paths (a warm quote
/// is mostly this key), where software SHA-256 in the component costs
/// about a microsecond.
pub(crate) fn exact_key(prefix: &str, parts: &[&str]) -> String {
    let len = prefix.len() + 2 + parts.iter().map(|p| p.len() + 4).sum::<usize>();
    if len > MAX_EXACT_KEY {
        return format!("{prefix}:{}", digest(parts));
    }
    let mut key = String::with_capacity(len + 8);
    key.push_str(prefix);
    key.push_str(":=");
    for p in parts {
        push_decimal(&mut key, p.len());
        key.push(':');
        key.push_str(p);
    }
    key
}

fn push_decimal(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}
