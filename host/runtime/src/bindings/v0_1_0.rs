//! `connect:plugin@0.1.0` (frozen): bindgen's types for it, its imports on
//! the host, and the conversions between its types and the host's contract
//! types. Plugins built against it keep loading and answering.

use super::convert::{Convert, enums, records};
use crate::contract as c;

wasmtime::component::bindgen!({
    path: "../../wit/since_v0.1.0",
    world: "connect-plugin",
    // Exports run as async calls so a wall-clock timeout can cancel them and
    // a long-running guest yields to the executor.
    exports: { default: async },
    // The cache may wait on the network (Redis): see `imports.rs`.
    imports: { "connect:plugin/cache": async },
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
    },
});

use connect::plugin::types as w;
pub(crate) use exports::connect::plugin::plugin::{Guest, GuestIndices};

/// The name of the interface a plugin of this version exports.
pub const EXPORT: &str = "connect:plugin/plugin@0.1.0";

super::host_imports!();

// What the host sends: the fields 0.1.0 has.
records! {
    c::Money => w::Money { minor_units, currency }
    c::ProductMapping => w::ProductMapping { product_ref, overrides, advanced_json }
    c::CustomerContext => w::CustomerContext { department_code, email, name }
    c::PriceRequest => w::PriceRequest { product, quantity, customer, attributes }
    c::StockRequest => w::StockRequest { product_ref, minimum_order }
    c::OrderLine => w::OrderLine {
        line_ref, product_ref, quantity, quote_ref, price, price_source, description
    }
    c::Order => w::Order { order_id, customer, order_date, required_date, reference, lines }
    c::WebhookRequest => w::WebhookRequest { headers, body }
}

// What the plugin answers; fields added since are empty.
records! {
    w::Money => c::Money { minor_units, currency }
    w::SettingSpec => c::SettingSpec {
        key, label, kind, required, secret, default_value, help, choices, min, max
    }
    w::PluginInfo => c::PluginInfo {
        id, name, version, description, capabilities, settings, endpoint_setting
    }
    w::FieldError => c::FieldError { key, message }
    w::CustomerLink => c::CustomerLink { email, customer_code, created }
    w::PriceQuote => c::PriceQuote { total, quote_ref, customer_code, customer_link, cached }
    w::StockLevel => c::StockLevel { product_ref, free, meets_minimum, cached }
    w::OrderReceipt => c::OrderReceipt {
        backend_order_id, backend_order_no, customer_code, customer_link
    }
    w::OrderUpdate => c::OrderUpdate {
        order_id, backend_order_id, job_no, status, tracking_number, at; stage: None
    }
    w::Check => c::Check { name, detail }
    w::ConnectionReport => c::ConnectionReport { summary, checks; warnings: Vec::new() }
    w::CatalogueReport => c::CatalogueReport { product_types, products }
    w::ProductSummary => c::ProductSummary { product_ref, code, name, kind }
    w::ProductPage => c::ProductPage { items, total }
}

enums! {
    c::PriceSource => w::PriceSource { Quote, PriceList, None }
    w::Capability => c::Capability { Price, Stock, Orders, Catalogue, Webhooks }
    w::SettingKind => c::SettingKind {
        Text, Url, Email, Password, Integer, Boolean, Choice, MultiChoice, Json
    }
    w::PluginError => c::PluginError {
        Configuration(m), Authentication(m), Unreachable(m), Rejected(m), NotFound(m),
        NoPrice(m), Unsupported(m), Internal(m)
    }
}
