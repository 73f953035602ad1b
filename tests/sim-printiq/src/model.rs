//! The records the simulator keeps. They serialise with printIQ's
//! PascalCase names; the `/_sim` inspection endpoints return them whole.

use serde::Serialize;
use serde_json::Value;
use sim_kit::money::Money;
use std::fmt;

/// A job's production status (`JobStatus` on the wire). printIQ's own
/// workflow values are not public; these are the simulator's (inferred).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobStatus {
    CreateJob,
    Preflight,
    Proof,
    InProduction,
    Dispatched,
    Complete,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        JobStatus::CreateJob,
        JobStatus::Preflight,
        JobStatus::Proof,
        JobStatus::InProduction,
        JobStatus::Dispatched,
        JobStatus::Complete,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::CreateJob => "Create Job",
            JobStatus::Preflight => "Preflight",
            JobStatus::Proof => "Proof",
            JobStatus::InProduction => "In Production",
            JobStatus::Dispatched => "Dispatched",
            JobStatus::Complete => "Complete",
            JobStatus::Cancelled => "Cancelled",
        }
    }

    /// Case-insensitive; spaces optional (`InProduction`, `in production`).
    pub fn parse(text: &str) -> Option<JobStatus> {
        let squash = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let wanted = squash(text);
        JobStatus::ALL
            .into_iter()
            .find(|s| squash(s.as_str()) == wanted)
    }

    /// The next step of the workflow; `None` once complete or cancelled.
    pub fn next(self) -> Option<JobStatus> {
        match self {
            JobStatus::CreateJob => Some(JobStatus::Preflight),
            JobStatus::Preflight => Some(JobStatus::Proof),
            JobStatus::Proof => Some(JobStatus::InProduction),
            JobStatus::InProduction => Some(JobStatus::Dispatched),
            JobStatus::Dispatched => Some(JobStatus::Complete),
            JobStatus::Complete | JobStatus::Cancelled => None,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Complete | JobStatus::Cancelled)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A printIQ customer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Customer {
    #[serde(rename = "ID")]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub active: bool,
    /// 1..=5; see [`crate::pricing::markup_percent`].
    pub price_list_level: u8,
    /// Top-level tree nodes the customer may order from; `None` = all.
    #[serde(rename = "TreeNodeIDs")]
    pub tree_nodes: Option<Vec<i64>>,
}

/// One option of a filter, with what it adds to the price.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterValue {
    pub name: String,
    pub value: String,
    pub setup: Money,
    pub per_1000: Money,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub name: String,
    pub values: Vec<FilterValue>,
}

/// A catalogue category. Leaves carry filters and a base price.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TreeNode {
    #[serde(rename = "ID")]
    pub id: i64,
    pub name: String,
    /// 0 = a top-level node.
    #[serde(rename = "ParentID")]
    pub parent: i64,
    pub filters: Vec<Filter>,
    pub setup: Money,
    pub per_1000: Money,
    pub min_quantity: i64,
    /// Answered "Please call for price".
    pub please_call: bool,
}

/// A ready-made printIQ product, priced by `ProductCode`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Product {
    pub code: String,
    pub description: String,
    #[serde(rename = "TreeNodeID")]
    pub tree_node_id: Option<i64>,
    pub setup: Money,
    pub per_1000: Money,
    pub min_quantity: i64,
    pub please_call: bool,
}

/// What a quote prices.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuotedProduct {
    pub product_code: Option<String>,
    #[serde(rename = "TreeNodeID")]
    pub tree_node_id: Option<i64>,
    /// `(Name, Value)` as chosen.
    pub filter_values: Vec<(String, String)>,
    pub description: String,
    pub quantity: i64,
    pub kinds: i64,
    /// Ex-tax, without freight.
    pub price: Money,
    /// How the price came about (for tests and the curious).
    pub breakdown: crate::pricing::Breakdown,
}

/// A delivery of a quote (shape inferred).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QuoteDelivery {
    pub quantity: i64,
    pub freight_method: String,
    pub freight_price: Money,
    pub destination_address: Value,
    pub delivery_contact: Value,
}

/// Every quote, whichever call made it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Quote {
    pub quote_no: String,
    #[serde(rename = "QQDKey")]
    pub qqd_key: i64,
    /// `GetPrice` or `CreateQuoteWithDelivery`.
    pub created_by: String,
    pub status: String,
    pub customer_code: String,
    pub customer_reference: Option<String>,
    pub job_title: Option<String>,
    pub job_description: Option<String>,
    pub notes: Option<String>,
    pub cur_code: String,
    pub product: QuotedProduct,
    pub deliveries: Vec<QuoteDelivery>,
    pub freight_price: Money,
    pub total_price: Money,
    pub quote_accepted: bool,
    pub job_nos: Vec<String>,
    pub acceptance_keys: Vec<i64>,
    pub warning: Option<String>,
    pub created_at: String,
    /// The request as received.
    pub request: Value,
}

/// One `AcceptQuote` (or `AcceptQuote: true` create) call's result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Acceptance {
    pub acceptance_key: i64,
    pub quote_no: String,
    pub customer_code: String,
    pub customer_reference: Option<String>,
    pub job_title: Option<String>,
    pub cur_code: String,
    pub total_price: Money,
    pub create_invoice: bool,
    pub create_invoice_as_paid: bool,
    pub create_invoice_as_internally_invoiced: bool,
    pub job_nos: Vec<String>,
    pub accepted_at: String,
}

/// A delivery of a job; `FDKey` is what consignments point at.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobDelivery {
    #[serde(rename = "FDKey")]
    pub fd_key: i64,
    pub quantity: i64,
    pub freight_method: String,
    pub destination_address: Value,
    pub consignment_no: Option<String>,
    pub delivery_tracking_code: Option<String>,
    #[serde(rename = "DeliveryTrackingURL")]
    pub delivery_tracking_url: Option<String>,
}

/// A status a job reached, and when.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusChange {
    pub job_status: JobStatus,
    pub at: String,
}

/// A job: one per quote product per acceptance.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    pub job_no: String,
    pub acceptance_key: i64,
    #[serde(rename = "QQADAKey")]
    pub qqada_key: i64,
    pub quote_no: String,
    pub customer_code: String,
    /// The order reference the quote carried.
    pub customer_reference: Option<String>,
    pub job_title: Option<String>,
    pub product_code: Option<String>,
    pub description: String,
    pub quantity: i64,
    pub price: Money,
    pub job_status: JobStatus,
    /// Every status with when it was reached, oldest first.
    pub history: Vec<StatusChange>,
    pub deliveries: Vec<JobDelivery>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsignmentDelivery {
    #[serde(rename = "FDKey")]
    pub fd_key: i64,
    pub job_no: String,
    pub quote_no: String,
    pub customer_reference: Option<String>,
    pub delivery_tracking_code: Option<String>,
    #[serde(rename = "DeliveryTrackingURL")]
    pub delivery_tracking_url: Option<String>,
}

/// A consignment: made on dispatch, or pushed by `AddExternalConsignment`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Consignment {
    pub consignment_no: String,
    pub external: bool,
    pub carrier: Option<String>,
    pub consignment_price: Option<Money>,
    pub consignment_tracking_code: Option<String>,
    #[serde(rename = "ConsignmentTrackingURL")]
    pub consignment_tracking_url: Option<String>,
    pub dispatch_date: String,
    pub deliveries: Vec<ConsignmentDelivery>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Location {
    #[serde(rename = "ILKey")]
    pub il_key: i64,
    #[serde(rename = "ILName")]
    pub il_name: String,
    pub on_hand: i64,
    pub allocated: i64,
    pub available: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InventoryItem {
    #[serde(rename = "IIKey")]
    pub ii_key: i64,
    #[serde(rename = "IICode")]
    pub ii_code: String,
    #[serde(rename = "IIDescription")]
    pub ii_description: String,
    pub locations: Vec<Location>,
}

/// An inventory transaction type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TransactionType {
    Pick,
    Return,
    Adjustment,
}

impl TransactionType {
    pub fn parse(text: &str) -> Option<TransactionType> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pick" => Some(TransactionType::Pick),
            "return" => Some(TransactionType::Return),
            "adjustment" => Some(TransactionType::Adjustment),
            _ => None,
        }
    }
}

/// One stock movement: every posted transaction makes one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Movement {
    #[serde(rename = "ITKey")]
    pub it_key: i64,
    pub transaction_type: TransactionType,
    #[serde(rename = "IIKey")]
    pub ii_key: i64,
    #[serde(rename = "IICode")]
    pub ii_code: String,
    #[serde(rename = "ILKey")]
    pub il_key: i64,
    #[serde(rename = "ILName")]
    pub il_name: String,
    /// Signed for adjustments; positive for picks and returns.
    #[serde(rename = "ITUnits")]
    pub it_units: i64,
    pub job_no: Option<String>,
    pub sales_order_no: Option<String>,
    pub section: Option<String>,
    #[serde(rename = "ITOverrideKey")]
    pub it_override_key: Option<i64>,
    /// At the location, after this movement.
    pub on_hand: i64,
    pub available: i64,
    pub created_at: String,
}

/// One webhook delivery attempt.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookDelivery {
    #[serde(rename = "ID")]
    pub id: i64,
    /// The same on every retry and on an injected duplicate.
    #[serde(rename = "EventID")]
    pub event_id: i64,
    pub event: String,
    pub url: String,
    /// Job, quote or consignment number the event is about.
    pub key: String,
    pub attempt: u32,
    /// An extra delivery injected by the `WebhookDuplicateRate` fault.
    pub duplicate: bool,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub success: bool,
    pub at: String,
    pub body: String,
}
