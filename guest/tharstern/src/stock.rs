//! Stock levels: the product (by code) -> its stock item -> `FreeStock`,
//! cached for `stock_cache_seconds`.

use serde_json::Value;

use crate::Tharstern;
use crate::json;
use crate::sdk::cache::digest;
use crate::{PluginError, StockLevel, StockRequest};

/// The product code a stock or order reference names: `code:X` or a bare
/// reference (a bare number is a numeric product code here); `type:N`
/// names no stock.
pub fn stock_product_code(r: &str) -> Result<String, PluginError> {
    let r = r.trim();
    if r.starts_with("type:") {
        return Err(PluginError::Rejected(format!(
            "`{r}` is a product type, which has no stock: map the product to a Tharstern product code"
        )));
    }
    let code = r.strip_prefix("code:").unwrap_or(r).trim();
    if code.is_empty() {
        return Err(PluginError::Rejected(
            "the product reference is empty: map the product to a Tharstern product code".into(),
        ));
    }
    Ok(code.to_string())
}

impl Tharstern {
    pub(crate) fn stock_impl(&self, req: &StockRequest) -> Result<StockLevel, PluginError> {
        let code = stock_product_code(&req.product_ref)?;
        let key = format!(
            "stock:{}",
            digest(&[&self.s.api_url, &self.s.customer_code, &code.to_lowercase()])
        );
        let ttl = self.s.stock_cache_seconds;
        let cached = if ttl > 0 {
            self.p
                .cache_get(&key)
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<i64>().ok())
        } else {
            None
        };
        let (free, was_cached) = match cached {
            Some(free) => (free, true),
            None => {
                let free = self.fetch_free_stock(&code)?;
                if ttl > 0 {
                    self.p.cache_set(&key, free.to_string().as_bytes(), ttl);
                }
                (free, false)
            }
        };
        let meets_minimum = if self.s.minimum_order_stock_check {
            req.minimum_order.map(|m| free >= i64::from(m))
        } else {
            None
        };
        Ok(StockLevel {
            product_ref: req.product_ref.clone(),
            free,
            meets_minimum,
            cached: was_cached,
        })
    }

    fn fetch_free_stock(&self, code: &str) -> Result<i64, PluginError> {
        let product = self.find_product(code)?;
        let Some(stock_id) = product.stock_item_id else {
            return Err(PluginError::NotFound(format!(
                "Tharstern product {code} has no stock item, so it has no stock level (it may be made to order)"
            )));
        };
        let id = stock_id.to_string();
        let reply = self.client().get("stockitems", &[("id", &id)])?;
        let details = reply.details();
        let items = json::items(details);
        let item: &Value = items
            .iter()
            .find(|s| json::int_field(s, &["ID", "Id"]) == Some(stock_id))
            .or_else(|| (items.len() == 1).then(|| &items[0]))
            .or_else(|| json::get(details, "FreeStock").map(|_| details))
            .ok_or_else(|| {
                PluginError::NotFound(format!(
                    "Tharstern has no stock item {stock_id} (of product {code})"
                ))
            })?;
        json::int_field(item, &["FreeStock", "Free", "FreeQuantity", "QuantityFree"]).ok_or_else(
            || {
                PluginError::Internal(format!(
                    "Tharstern's stock item {stock_id} (of product {code}) has no FreeStock figure"
                ))
            },
        )
    }
}

#[cfg(test)]
mod tests;
