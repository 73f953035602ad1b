//! The records the simulator keeps. They serialise with Tharstern's
//! PascalCase names; the `/_sim` inspection endpoints return them whole,
//! while the Tharstern API returns the subsets its spec names.

use crate::money::Money;
use serde::Serialize;
use std::fmt;

/// What a product type is for (`Kind` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ProductKind {
    Finished,
    None,
    Part,
    Component,
}

/// A finished size in millimetres; `Code` names a standard size (`A5`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FinishedSize {
    pub code: Option<String>,
    pub width: u32,
    pub depth: u32,
}

/// One part of a product type as its example request presents it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartTemplate {
    #[serde(rename = "ProductTypePartId")]
    pub id: i64,
    pub name: String,
    pub pages: u32,
    /// Pages must be a multiple of this (4 for saddle-stitched sections).
    pub pages_multiple_of: u32,
    pub paper_code: String,
    pub gsm: u32,
    pub front_process: String,
    pub back_process: String,
    pub binding_side: Option<String>,
    pub processes: Vec<ProcessLine>,
}

/// A process chosen on a request: a finishing process and a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessLine {
    #[serde(rename = "ProcessTypeID")]
    pub process_type_id: i64,
    pub value: u32,
}

/// A quantity break: from `min_quantity` copies the run cost is discounted.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuantityBreak {
    pub min_quantity: i64,
    pub discount_percent: i64,
}

/// A Tharstern product type with everything its example request and its
/// price need.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProductType {
    #[serde(rename = "ID")]
    pub id: i64,
    pub name: String,
    pub kind: ProductKind,
    pub work_type: String,
    pub default_quantity: i64,
    pub finished_size: FinishedSize,
    pub setup_cost: Money,
    pub parts: Vec<PartTemplate>,
    pub processes: Vec<ProcessLine>,
    pub quantity_breaks: Vec<QuantityBreak>,
}

/// How a paper (or large-format material) is costed.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum PaperCost {
    /// Sheet-fed stock: cost per 1000 SRA3 sheets.
    PerThousandSheets(Money),
    /// Roll media: cost per square metre of finished area.
    PerSquareMetre(Money),
}

/// A paper, identified by `PaperCode` and `GSM` together.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Paper {
    pub code: String,
    #[serde(rename = "GSM")]
    pub gsm: u32,
    pub description: String,
    pub cost: PaperCost,
}

/// A print process for a side (`FrontProcess` / `BackProcess`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrintProcess {
    pub name: String,
    /// Cost per 1000 printed SRA3 sheet sides.
    pub per_thousand_sides: Money,
    /// Cost per printed square metre (roll media).
    pub per_square_metre: Money,
}

/// A finishing process (`ProcessTypeID`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FinishingProcess {
    #[serde(rename = "ID")]
    pub id: i64,
    pub name: String,
    pub setup_cost: Money,
    /// Cost per 1000 copies for each unit of `Value`.
    pub per_thousand: Money,
}

/// A product as `GET products` lists it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Product {
    #[serde(rename = "ID")]
    pub id: i64,
    pub code: String,
    pub name: String,
    #[serde(rename = "ProductTypes_ID")]
    pub product_type_id: i64,
    #[serde(rename = "StockItemID")]
    pub stock_item_id: Option<i64>,
}

/// A Tharstern customer (a storefront department).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Customer {
    #[serde(rename = "ID")]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub email: String,
}

/// A stock item and its levels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StockItem {
    #[serde(rename = "ID")]
    pub id: i64,
    pub code: String,
    pub description: String,
    pub free_stock: i64,
    pub on_order: i64,
    pub allocated: i64,
}

/// How a total price was reached (see the README's price model).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PriceBreakdown {
    pub setup: Money,
    pub paper: Money,
    pub printing: Money,
    pub finishing: Money,
    pub discount_percent: i64,
    pub discount: Money,
    pub total: Money,
}

/// An estimate created by `POST estrequest`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Estimate {
    #[serde(rename = "ID")]
    pub id: i64,
    pub estimate_ref: String,
    pub title: String,
    pub quantity: i64,
    pub total_price: Money,
    pub customer_code: String,
    pub product_type_id: i64,
    pub created_at: String,
    pub breakdown: PriceBreakdown,
    /// The request body as received.
    pub request: serde_json::Value,
}

/// One order line.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItem {
    #[serde(rename = "StockItemID")]
    pub stock_item_id: Option<i64>,
    #[serde(rename = "EstimateID")]
    pub estimate_id: Option<i64>,
    pub quantity: i64,
    pub price: Option<Money>,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    pub description: Option<String>,
}

/// An accepted order.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Order {
    #[serde(rename = "ID")]
    pub id: i64,
    pub order_no: String,
    #[serde(rename = "UniqueSubmitOrderID")]
    pub unique_submit_order_id: Option<String>,
    pub customer_code: String,
    pub order_date: Option<String>,
    pub required_date: Option<String>,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    /// Mirrors the status of the order's job.
    pub status: JobStatus,
    pub items: Vec<OrderItem>,
    pub job_nos: Vec<String>,
    pub created_at: String,
    /// Whether the allocated stock has left with the despatch.
    #[serde(skip)]
    pub stock_released: bool,
}

/// Job statuses, in production order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum JobStatus {
    Received,
    #[serde(rename = "In Production")]
    InProduction,
    Finished,
    Despatched,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Received,
        JobStatus::InProduction,
        JobStatus::Finished,
        JobStatus::Despatched,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Received => "Received",
            JobStatus::InProduction => "In Production",
            JobStatus::Finished => "Finished",
            JobStatus::Despatched => "Despatched",
        }
    }

    /// The next status, or `None` once despatched.
    pub fn next(self) -> Option<JobStatus> {
        match self {
            JobStatus::Received => Some(JobStatus::InProduction),
            JobStatus::InProduction => Some(JobStatus::Finished),
            JobStatus::Finished => Some(JobStatus::Despatched),
            JobStatus::Despatched => None,
        }
    }

    /// Parses a status name, ignoring case and spaces (`inproduction`).
    pub fn parse(text: &str) -> Option<JobStatus> {
        let squashed: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        JobStatus::ALL
            .into_iter()
            .find(|s| s.as_str().replace(' ', "").to_lowercase() == squashed)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A production job.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    #[serde(rename = "ID")]
    pub id: i64,
    pub job_no: String,
    #[serde(rename = "OrderID")]
    pub order_id: Option<i64>,
    pub order_no: Option<String>,
    #[serde(rename = "UniqueSubmitOrderID")]
    pub unique_submit_order_id: Option<String>,
    #[serde(rename = "EstimateID")]
    pub estimate_id: Option<i64>,
    pub status: JobStatus,
    pub tracking_number: Option<String>,
    pub updated_at: String,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
}

/// A webhook subscription. The secret is never shown.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    #[serde(rename = "ID")]
    pub id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub created_at: String,
}

/// One attempt to deliver one webhook event.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookDelivery {
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(rename = "EventID")]
    pub event_id: i64,
    #[serde(rename = "SubscriptionID")]
    pub subscription_id: i64,
    pub url: String,
    pub job_no: String,
    pub job_status: JobStatus,
    pub attempt: u32,
    /// HTTP status of the subscriber's answer, if one came.
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub success: bool,
    pub at: String,
    /// The exact body posted (what the signature covers).
    pub body: String,
}

/// One HTTP call the simulator received (the `/_sim` endpoints excepted).
pub use sim_kit::calls::CallRecord;
