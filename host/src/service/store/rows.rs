//! The rows the store reads and writes that are not the service's own
//! types. Times are Unix seconds unless named `_ms`.

use crate::service::domain::storefronts::ConnectSettings;

/// An order's place in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderState {
    Pending,
    Delivering,
    Delivered,
    /// Parked until an operator retries it.
    Failed,
}

impl OrderState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for OrderState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "pending" => Self::Pending,
            "delivering" => Self::Delivering,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            other => return Err(format!("`{other}` is not an order state")),
        })
    }
}

/// What an entry of an order's history records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The storefront handed the order over.
    Accepted,
    /// A delivery attempt began.
    Attempt,
    /// The back office took the order.
    Delivered,
    /// A claim lapsed or its node stopped mid-delivery; the order is queued again.
    Interrupted,
    /// Another attempt is scheduled (after a failure, or by an operator).
    Retry,
    /// Parked until an operator retries it.
    Failed,
    /// A status update read by polling the back office.
    Polled,
    /// A status update the back office sent by webhook.
    Webhook,
}

impl EventKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Attempt => "attempt",
            Self::Delivered => "delivered",
            Self::Interrupted => "interrupted",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Polled => "polled",
            Self::Webhook => "webhook",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StorefrontRow {
    pub id: String,
    pub name: String,
    /// `enabled_plugins` sorted.
    pub connect: ConnectSettings,
    pub created_at: i64,
}

/// A storefront's settings for one plugin, secrets still sealed.
#[derive(Clone, Debug)]
pub struct StoredSettings {
    pub enabled: bool,
    /// Non-secret values, a JSON object.
    pub values_json: String,
    pub sealed_secrets: Option<String>,
    pub configured_at: Option<i64>,
    /// (ok, summary, at) of the last Check Connection.
    pub check: Option<(bool, String, i64)>,
}

/// An API key as stored: its hash, never the key.
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub id: String,
    pub storefront: String,
    pub label: String,
    pub prefix: String,
    /// Hex SHA-256 of the key; empty when listed.
    pub hash: String,
    pub created_at: i64,
}

/// An order being accepted.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub storefront: String,
    pub id: String,
    pub plugin: String,
    /// The order as the plugin receives it (JSON).
    pub payload: String,
    pub payload_hash: String,
}

#[derive(Clone, Debug)]
pub struct OrderRow {
    pub storefront: String,
    pub id: String,
    pub plugin: String,
    pub state: OrderState,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub last_error_kind: Option<String>,
    pub payload: String,
    pub backend_order_id: Option<String>,
    pub backend_order_no: Option<String>,
    pub customer_code: Option<String>,
    pub job_no: Option<String>,
    pub job_status: Option<String>,
    pub tracking_number: Option<String>,
    pub status_at: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Oldest first; empty in lists.
    pub history: Vec<EventRow>,
}

#[derive(Clone, Debug)]
pub struct EventRow {
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

/// The history line of a delivery put back because it could not finish.
pub const INTERRUPTED: &str = "the delivery was interrupted (restart, shutdown or a node that stopped); \
     it will be submitted again with the same order id";

/// An order claimed for one delivery attempt.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub storefront: String,
    pub id: String,
    pub plugin: String,
    /// This attempt's number, from 1.
    pub attempts: u32,
    pub payload: String,
    /// The stock check of orders accepted by older versions (JSON).
    pub check_stock: Option<String>,
    /// The node holding the claim.
    pub node: String,
}

/// The outcome of an attempt that did not deliver.
#[derive(Clone, Debug)]
pub struct FailedAttempt {
    pub park: bool,
    pub next_attempt_ms: i64,
    pub kind: String,
    pub message: String,
    /// The event's text.
    pub detail: String,
}
