//! The SDK for connect plugins: write a connector as a plain Rust type, and
//! the SDK turns it into a `connect:plugin@0.2.0` WebAssembly component.
//!
//! - The WIT contract's types ([`PriceRequest`], [`PluginError`],
//!   [`OrderStage`], ...) are re-exported from the bindings this crate
//!   generates; they compile natively too, so connector logic and its tests
//!   run on the build machine.
//! - [`Connector`]: one method per export, each defaulting to
//!   [`PluginError::Unsupported`], and one error hook every export's error
//!   passes ([`Connector::on_error`], usually [`errors::report`]);
//!   [`register_connector!`] exports it.
//! - [`Platform`]: what a connector needs from its host (HTTP, the tenant
//!   cache, logging, a clock); over `wasi:http` in the component, and natively
//!   [`native::NativePlatform`] (plain TCP) and [`testing::TestPlatform`]
//!   (scripted HTTP, in-memory cache).
//! - Helpers: [`http`] (a JSON HTTP client with typed errors, one retry and a
//!   re-authentication hook), [`cache`] (typed entries, keys, leases, claims, login tokens),
//!   [`settings`] (one declarative schema drives `info` and `configure`,
//!   and fills the connector's typed settings), [`once`] (a non-idempotent
//!   back-office call made exactly once), [`progress`] (order status that
//!   never moves backwards, webhook deliveries counted once), [`catalogue`]
//!   (category trees, product pages), [`diagnosis`] (connection reports),
//!   [`url`] (the endpoint setting parsed and checked),
//!   [`money`] (decimal text <-> minor units, never floats), [`json`]
//!   (tolerant field access, RFC 7386 merge patches), [`errors`] (redact
//!   secrets, log failures).
//!
//! See `README.md` ("Write a connector").

pub mod cache;
pub mod catalogue;
mod connector;
pub mod diagnosis;
pub mod errors;
pub mod http;
pub mod json;
pub mod money;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod once;
pub mod platform;
pub mod progress;
pub mod retry;
pub mod settings;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod types;
pub mod url;
#[cfg(target_arch = "wasm32")]
mod wasi;

pub use connector::{Connector, Exported, init_settings};
pub use platform::{Host, HttpError, HttpRequest, HttpResponse, Method, Platform};
pub use settings::{Setting, Values};
pub use types::{is_date, merge_options};

/// The bindings of the contract. Hidden (only the export glue of
/// [`register_connector!`] names it): connectors see the re-exports below, so
/// the SDK can later shadow one with a nicer type.
#[doc(hidden)]
pub mod wit {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.2.0",
        world: "connect-plugin",
        // The WASI interfaces come from Bytecode Alliance's published
        // bindings (wasip2 2.0.1 = wasi 0.2.12, the version imported).
        with: {
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
        },
        additional_derives: [PartialEq, Eq],
        pub_export_macro: true,
        default_bindings_module: "connect_plugin_sdk::__private::wit",
    });
}

pub use wit::connect::plugin::log::Level as LogLevel;
pub use wit::connect::plugin::types::{Capability, Settings as SettingPairs};
pub use wit::connect::plugin::types::{
    CatalogueReport, Check, ConnectionReport, CustomerContext, CustomerLink, FieldError, Money,
    Order, OrderLine, OrderReceipt, OrderStage, OrderStatus, OrderUpdate, PluginError, PluginInfo,
    PriceQuote, PriceRequest, PriceSource, ProductMapping, ProductPage, ProductSummary,
    SettingKind, SettingSpec, StockLevel, StockRequest, WebhookRequest,
};

/// What [`register_connector!`] expands to. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::connector::Slot;
    #[cfg(target_arch = "wasm32")]
    pub use crate::wasi::WasiPlatform;
    pub use crate::wit;
    pub use crate::wit::exports::connect::plugin::plugin::Guest;
}
