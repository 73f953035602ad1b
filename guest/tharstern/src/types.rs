//! Plain Rust mirrors of the WIT types (`connect:plugin/types`), so the
//! connector core compiles without the component bindings. `wasm.rs`
//! converts between these and the generated types.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub minor_units: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Price,
    Stock,
    Orders,
    Catalogue,
    Webhooks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    Text,
    Url,
    Email,
    Password,
    Integer,
    Boolean,
    Choice,
    MultiChoice,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingSpec {
    pub key: String,
    pub label: String,
    pub kind: SettingKind,
    pub required: bool,
    pub secret: bool,
    pub default_value: Option<String>,
    pub help: String,
    pub choices: Vec<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    pub settings: Vec<SettingSpec>,
    pub endpoint_setting: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

/// Expected failures; each message tells the operator what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    Configuration(String),
    Authentication(String),
    Unreachable(String),
    Rejected(String),
    NotFound(String),
    NoPrice(String),
    Unsupported(String),
    Internal(String),
}

impl PluginError {
    pub fn message(&self) -> &str {
        match self {
            PluginError::Configuration(m)
            | PluginError::Authentication(m)
            | PluginError::Unreachable(m)
            | PluginError::Rejected(m)
            | PluginError::NotFound(m)
            | PluginError::NoPrice(m)
            | PluginError::Unsupported(m)
            | PluginError::Internal(m) => m,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::Configuration(_) => "configuration",
            PluginError::Authentication(_) => "authentication",
            PluginError::Unreachable(_) => "unreachable",
            PluginError::Rejected(_) => "rejected",
            PluginError::NotFound(_) => "not-found",
            PluginError::NoPrice(_) => "no-price",
            PluginError::Unsupported(_) => "unsupported",
            PluginError::Internal(_) => "internal",
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.message())
    }
}

impl std::error::Error for PluginError {}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerContext {
    pub department_code: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLink {
    pub email: String,
    pub customer_code: String,
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductMapping {
    pub product_ref: String,
    pub overrides: Vec<(String, String)>,
    pub advanced_json: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceRequest {
    pub product: ProductMapping,
    pub quantity: u32,
    pub customer: CustomerContext,
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceQuote {
    pub total: Money,
    pub quote_ref: Option<String>,
    pub customer_code: String,
    pub customer_link: Option<CustomerLink>,
    pub cached: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StockRequest {
    pub product_ref: String,
    pub minimum_order: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub product_ref: String,
    pub free: i64,
    pub meets_minimum: Option<bool>,
    pub cached: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSource {
    Quote,
    PriceList,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub line_ref: String,
    pub product_ref: String,
    pub quantity: u32,
    pub quote_ref: Option<String>,
    pub price: Option<Money>,
    pub price_source: PriceSource,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub order_id: String,
    pub customer: CustomerContext,
    pub order_date: String,
    pub required_date: Option<String>,
    pub reference: Option<String>,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReceipt {
    pub backend_order_id: String,
    pub backend_order_no: Option<String>,
    pub customer_code: String,
    pub customer_link: Option<CustomerLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderUpdate {
    pub order_id: Option<String>,
    pub backend_order_id: Option<String>,
    pub job_no: Option<String>,
    pub status: Option<String>,
    pub tracking_number: Option<String>,
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    pub summary: String,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueReport {
    pub product_types: u32,
    pub products: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSummary {
    pub product_ref: String,
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}
