//! The contract's data as the host owns it: what the service stores, serves
//! and passes to plugins, whatever WIT version a plugin was built against.
//!
//! Each type is shaped like the newest contract (`connect:plugin@0.2.0`) and
//! derives wasmtime's `ComponentType`/`Lift`/`Lower`, so calls into a plugin
//! of the newest version pass these values as they are, with no copy. Older
//! versions convert at the boundary (`bindings::v0_1_0`). Their serde form is
//! the host's own and stays put when the WIT changes: the outbox and the REST
//! API depend on it. Fields added after 0.1.0 are skipped when empty, so rows
//! and answers written before them keep their shape.

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

/// Name/value pairs (settings, overrides, selections).
pub type Pairs = Vec<(String, String)>;

/// Settings as the operator entered them or as `configure` normalised them.
pub type Settings = Pairs;

/// Integer minor units of an ISO 4217 currency; never a float.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Money {
    #[component(name = "minor-units")]
    pub minor_units: i64,
    pub currency: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum Capability {
    #[component(name = "price")]
    Price,
    #[component(name = "stock")]
    Stock,
    #[component(name = "orders")]
    Orders,
    #[component(name = "catalogue")]
    Catalogue,
    #[component(name = "webhooks")]
    Webhooks,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum SettingKind {
    #[component(name = "text")]
    Text,
    #[component(name = "url")]
    Url,
    #[component(name = "email")]
    Email,
    #[component(name = "password")]
    Password,
    #[component(name = "integer")]
    Integer,
    #[component(name = "boolean")]
    Boolean,
    #[component(name = "choice")]
    Choice,
    #[component(name = "multi-choice")]
    MultiChoice,
    #[component(name = "json")]
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct SettingSpec {
    pub key: String,
    pub label: String,
    pub kind: SettingKind,
    pub required: bool,
    pub secret: bool,
    #[component(name = "default-value")]
    pub default_value: Option<String>,
    pub help: String,
    pub choices: Vec<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    pub settings: Vec<SettingSpec>,
    #[component(name = "endpoint-setting")]
    pub endpoint_setting: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

/// A plugin's expected failures, each with a message for the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(variant)]
pub enum PluginError {
    #[component(name = "configuration")]
    Configuration(String),
    #[component(name = "authentication")]
    Authentication(String),
    #[component(name = "unreachable")]
    Unreachable(String),
    #[component(name = "rejected")]
    Rejected(String),
    #[component(name = "not-found")]
    NotFound(String),
    #[component(name = "no-price")]
    NoPrice(String),
    #[component(name = "unsupported")]
    Unsupported(String),
    #[component(name = "internal")]
    Internal(String),
}

#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower,
)]
#[component(record)]
pub struct CustomerContext {
    #[component(name = "department-code")]
    pub department_code: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct CustomerLink {
    pub email: String,
    #[component(name = "customer-code")]
    pub customer_code: String,
    pub created: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ProductMapping {
    #[component(name = "product-ref")]
    pub product_ref: String,
    pub overrides: Pairs,
    #[component(name = "advanced-json")]
    pub advanced_json: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct PriceRequest {
    pub product: ProductMapping,
    pub quantity: u32,
    pub customer: CustomerContext,
    pub attributes: Pairs,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct PriceQuote {
    pub total: Money,
    #[component(name = "quote-ref")]
    pub quote_ref: Option<String>,
    #[component(name = "customer-code")]
    pub customer_code: String,
    #[component(name = "customer-link")]
    pub customer_link: Option<CustomerLink>,
    pub cached: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct StockRequest {
    #[component(name = "product-ref")]
    pub product_ref: String,
    /// Since 0.2.0.
    #[serde(default, skip_serializing_if = "CustomerContext::is_empty")]
    pub customer: CustomerContext,
    #[component(name = "minimum-order")]
    pub minimum_order: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct StockLevel {
    #[component(name = "product-ref")]
    pub product_ref: String,
    pub free: i64,
    #[component(name = "meets-minimum")]
    pub meets_minimum: Option<bool>,
    pub cached: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
pub enum PriceSource {
    #[component(name = "quote")]
    Quote,
    #[component(name = "price-list")]
    PriceList,
    #[component(name = "none")]
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct OrderLine {
    #[component(name = "line-ref")]
    pub line_ref: String,
    #[component(name = "product-ref")]
    pub product_ref: String,
    pub quantity: u32,
    #[component(name = "quote-ref")]
    pub quote_ref: Option<String>,
    pub price: Option<Money>,
    #[component(name = "price-source")]
    pub price_source: PriceSource,
    pub description: Option<String>,
    /// Since 0.2.0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Pairs,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Order {
    #[component(name = "order-id")]
    pub order_id: String,
    pub customer: CustomerContext,
    #[component(name = "order-date")]
    pub order_date: String,
    #[component(name = "required-date")]
    pub required_date: Option<String>,
    pub reference: Option<String>,
    pub lines: Vec<OrderLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct OrderReceipt {
    #[component(name = "backend-order-id")]
    pub backend_order_id: String,
    #[component(name = "backend-order-no")]
    pub backend_order_no: Option<String>,
    #[component(name = "customer-code")]
    pub customer_code: String,
    #[component(name = "customer-link")]
    pub customer_link: Option<CustomerLink>,
}

/// Where an order stands, in terms every back office maps onto.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStage {
    #[component(name = "received")]
    Received,
    #[component(name = "in-production")]
    InProduction,
    #[component(name = "on-hold")]
    OnHold,
    #[component(name = "despatched")]
    Despatched,
    #[component(name = "delivered")]
    Delivered,
    #[component(name = "cancelled")]
    Cancelled,
}

/// A change to an order's progress, as the service records it. Not lifted
/// directly: a plugin of 0.2.0 sends a typed `order-status` (stage and text),
/// one of 0.1.0 sends text only, so the stage is optional here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    pub order_id: Option<String>,
    pub backend_order_id: Option<String>,
    pub job_no: Option<String>,
    /// The backend's status text.
    pub status: Option<String>,
    /// Where that status stands (plugins of 0.2.0 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<OrderStage>,
    pub tracking_number: Option<String>,
    pub at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Check {
    pub name: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ConnectionReport {
    pub summary: String,
    pub checks: Vec<Check>,
    /// Since 0.2.0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct CatalogueReport {
    #[component(name = "product-types")]
    pub product_types: u32,
    pub products: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ProductSummary {
    #[component(name = "product-ref")]
    pub product_ref: String,
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    pub total: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct WebhookRequest {
    /// Since 0.2.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub headers: Pairs,
    pub body: Vec<u8>,
}

impl CustomerContext {
    pub fn is_empty(&self) -> bool {
        self.department_code.is_none() && self.email.is_none() && self.name.is_none()
    }
}

impl PluginError {
    /// A short, bounded label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Configuration(_) => "configuration",
            Self::Authentication(_) => "authentication",
            Self::Unreachable(_) => "unreachable",
            Self::Rejected(_) => "rejected",
            Self::NotFound(_) => "not-found",
            Self::NoPrice(_) => "no-price",
            Self::Unsupported(_) => "unsupported",
            Self::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::Configuration(m)
            | Self::Authentication(m)
            | Self::Unreachable(m)
            | Self::Rejected(m)
            | Self::NotFound(m)
            | Self::NoPrice(m)
            | Self::Unsupported(m)
            | Self::Internal(m) => m,
        }
    }
}
