//! Helpers on the contract's own types (the SDK owns them, so it may add
//! methods; it never mirrors them).

// The types are generated: `Default` cannot be derived on them here.
#![allow(clippy::derivable_impls)]

use crate::{
    CustomerContext, OrderStage, OrderStatus, OrderUpdate, PluginError, PriceRequest,
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
}
