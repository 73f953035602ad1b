//! Helpers on the contract's own types (the SDK owns them, so it may add
//! methods; it never mirrors them).

// The types are generated: `Default` cannot be derived on them here.
#![allow(clippy::derivable_impls)]

use crate::{
    CustomerContext, Order, OrderStage, OrderStatus, OrderUpdate, PluginError, PriceRequest,
    ProductMapping, StockRequest, WebhookRequest,
};

impl PluginError {
    /// The message, whatever the kind.
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

    /// The WIT name of the kind, e.g. `not-found`.
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

    /// The same kind with its message rewritten (e.g. to redact a secret).
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> PluginError {
        match self {
            PluginError::Configuration(m) => PluginError::Configuration(f(m)),
            PluginError::Authentication(m) => PluginError::Authentication(f(m)),
            PluginError::Unreachable(m) => PluginError::Unreachable(f(m)),
            PluginError::Rejected(m) => PluginError::Rejected(f(m)),
            PluginError::NotFound(m) => PluginError::NotFound(f(m)),
            PluginError::NoPrice(m) => PluginError::NoPrice(f(m)),
            PluginError::Unsupported(m) => PluginError::Unsupported(f(m)),
            PluginError::Internal(m) => PluginError::Internal(f(m)),
        }
    }

    /// "This plugin does not offer `operation`".
    pub fn unsupported(operation: &str) -> PluginError {
        PluginError::Unsupported(format!("this plugin does not offer {operation}"))
    }

    /// `kind: message`, for logs (the generated `Display` prints the variant).
    pub fn describe(&self) -> String {
        format!("{}: {}", self.kind(), self.message())
    }
}

impl OrderStage {
    /// The WIT name, e.g. `in-production`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStage::Received => "received",
            OrderStage::InProduction => "in-production",
            OrderStage::OnHold => "on-hold",
            OrderStage::Despatched => "despatched",
            OrderStage::Delivered => "delivered",
            OrderStage::Cancelled => "cancelled",
        }
    }
}

impl OrderStatus {
    pub fn new(stage: OrderStage, text: impl Into<String>) -> OrderStatus {
        OrderStatus {
            stage,
            text: text.into(),
        }
    }
}

impl Order {
    /// The order id (trimmed) of a well-formed order: an id of 1 to 100
    /// characters, at least one line, each of quantity 1 or more, dates in
    /// the form YYYY-MM-DD; else `rejected`, saying what is wrong.
    pub fn checked_id(&self) -> Result<&str, PluginError> {
        let id = self.order_id.trim();
        let reject = |m: String| Err(PluginError::Rejected(m));
        if id.is_empty() {
            return reject("the order has no order id".into());
        }
        if id.len() > 100 {
            return reject(format!("order id `{id}` is longer than 100 characters"));
        }
        if self.lines.is_empty() {
            return reject(format!("order {id} has no lines"));
        }
        let date = self.order_date.trim();
        if !is_date(date) {
            return reject(format!(
                "order {id}: order date `{date}` is not a date (YYYY-MM-DD)"
            ));
        }
        let required = self.required_date.as_deref().map(str::trim);
        if let Some(d) = required.filter(|d| !d.is_empty())
            && !is_date(d)
        {
            return reject(format!(
                "order {id}: required date `{d}` is not a date (YYYY-MM-DD)"
            ));
        }
        match self.lines.iter().position(|l| l.quantity == 0) {
            Some(n) => reject(format!(
                "order {id}, line {} ({}): the quantity must be at least 1",
                n + 1,
                self.lines[n].line_ref
            )),
            None => Ok(id),
        }
    }
}

/// Whether `d` is a real calendar date written `YYYY-MM-DD`: the host's
/// rule for order dates. Written out rather than taken from a date crate:
/// `time` would add ~80 KB to every connector for these few lines.
pub fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return false;
    }
    let num = |r: std::ops::Range<usize>| d[r].parse::<u32>().unwrap_or(0);
    let (y, m, day) = (num(0..4), num(5..7), num(8..10));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    (1..=days).contains(&day)
}

/// Named options (`name -> value`): `first`, then `then`; a later value
/// of the same name (compared without case) wins in the earlier place.
/// Names and values are trimmed; blank names are dropped.
pub fn merge_options(
    first: &[(String, String)],
    then: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in first.iter().chain(then) {
        let (k, v) = (k.trim(), v.trim());
        match out.iter_mut().find(|(kk, _)| kk.eq_ignore_ascii_case(k)) {
            _ if k.is_empty() => {}
            Some(slot) => slot.1 = v.to_string(),
            None => out.push((k.to_string(), v.to_string())),
        }
    }
    out
}

impl PriceRequest {
    /// The options to price with: the mapping's overrides, then the
    /// buyer's selections (a selection wins over an override of its name).
    pub fn options(&self) -> Vec<(String, String)> {
        merge_options(&self.product.overrides, &self.attributes)
    }
}

impl CustomerContext {
    /// The department's own customer code (trimmed), if it has one.
    pub fn department(&self) -> Option<&str> {
        self.department_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }
}

impl Default for CustomerContext {
    fn default() -> Self {
        CustomerContext {
            department_code: None,
            email: None,
            name: None,
        }
    }
}

impl Default for ProductMapping {
    fn default() -> Self {
        ProductMapping {
            product_ref: String::new(),
            overrides: Vec::new(),
            advanced_json: None,
        }
    }
}

impl Default for PriceRequest {
    fn default() -> Self {
        PriceRequest {
            product: ProductMapping::default(),
            quantity: 0,
            customer: CustomerContext::default(),
            attributes: Vec::new(),
        }
    }
}

impl Default for StockRequest {
    fn default() -> Self {
        StockRequest {
            product_ref: String::new(),
            customer: CustomerContext::default(),
            minimum_order: None,
        }
    }
}

impl Default for OrderUpdate {
    fn default() -> Self {
        OrderUpdate {
            order_id: None,
            backend_order_id: None,
            job_no: None,
            status: None,
            tracking_number: None,
            at: None,
        }
    }
}

impl Default for WebhookRequest {
    fn default() -> Self {
        WebhookRequest {
            query: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_describe_themselves() {
        let e = PluginError::NotFound("no such product".into());
        assert_eq!(e.kind(), "not-found");
        assert_eq!(e.message(), "no such product");
        assert_eq!(e.describe(), "not-found: no such product");
        let e = e.map_message(|m| m.replace("product", "***"));
        assert_eq!(e, PluginError::NotFound("no such ***".into()));
        assert!(
            matches!(PluginError::unsupported("stock"), PluginError::Unsupported(m) if m.contains("stock"))
        );
        assert_eq!(OrderStage::InProduction.as_str(), "in-production");
    }

    #[test]
    fn dates() {
        assert!(is_date("2026-11-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("29/11/2026"));
        assert!(!is_date("2026-1-01"));
        assert!(!is_date("2026-02-30"), "not in the calendar");
        assert!(is_date("2024-02-29"));
    }
}
