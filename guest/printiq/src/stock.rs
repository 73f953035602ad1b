//! Stock: the inventory item's `Available`, summed over its locations
//! (webhook-service `inventoryitems/{IICode}`, an inferred endpoint: the
//! stock API is not public), cached for `stock_cache_seconds`. The
//! product reference names the inventory item code: `code:<IICode>` or a
//! bare code.

use serde_json::Value;

use crate::pricing::{ProductRef, parse_product_ref};
use crate::sdk::cache::exact_key;
use crate::sdk::http::encode;
use crate::sdk::json;
use crate::{PluginError, PrintIq, StockLevel, StockRequest};

impl PrintIq {
    pub(crate) fn stock_impl(&self, req: &StockRequest) -> Result<StockLevel, PluginError> {
        let ProductRef::Code(code) = parse_product_ref(&req.product_ref)? else {
            return Err(PluginError::Rejected(format!(
                "`{}` is a category, which has no stock: map the product to an inventory item code (code:<IICode>)",
                req.product_ref.trim()
            )));
        };
        let key = exact_key("stock", &[&self.s.api_url, &code.to_ascii_lowercase()]);
        let (free, cached) = self
            .cache()
            .remember(&key, self.s.stock_cache_seconds, || {
                let reply = self
                    .client()
                    .service_get(&format!("inventoryitems/{}", encode(&code)))?;
                let locations = reply.get("Locations").and_then(Value::as_array);
                let locations = locations.ok_or_else(|| {
                    PluginError::Internal(format!(
                        "printIQ's inventory item {code} lists no Locations"
                    ))
                })?;
                let free = locations
                    .iter()
                    .map(|l| json::int_field(l, &["Available"]).unwrap_or(0));
                Ok::<i64, PluginError>(free.fold(0, i64::saturating_add))
            })?;
        Ok(StockLevel {
            product_ref: req.product_ref.clone(),
            free,
            meets_minimum: if self.s.minimum_order_stock_check {
                req.minimum_order.map(|m| free >= i64::from(m))
            } else {
                None
            },
            cached,
        })
    }
}

#[cfg(test)]
mod tests;
