//! What the service does, whatever carries the request: storefronts and
//! their settings, plugin settings, product mappings, storefront API keys,
//! price and stock, orders, catalogues, and the plugin registry. Each file
//! adds its operations to [`Service`](super::Service); the HTTP side and the
//! workers only call these.

pub mod catalogue;
pub mod keys;
pub mod mappings;
pub mod orders;
pub mod plugin_settings;
pub mod quotes;
pub mod registry;
pub mod storefronts;
