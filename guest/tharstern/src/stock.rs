//! Stock levels, cached for `stock_cache_seconds`. Installations differ
//! (see guest/README.md, Stock): a product points at a stock item
//! (`StockItemID` -> `GET stockitems?id=` -> `FreeStock`), or the product
//! is the stock item and its own row carries `FreeStock`.

use std::ops::ControlFlow;

use serde_json::Value;

use crate::Tharstern;
use crate::json;
use crate::sdk::cache::digest;
use crate::{PluginError, StockLevel, StockRequest};

/// Names of the free-stock figure, on a stock item or a product row.
pub const FREE_STOCK_FIELDS: &[&str] = &["FreeStock", "Free", "FreeQuantity", "QuantityFree"];

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
        let product = match self.cached_product(code) {
            // The figure on a cached product row is old: read the row again.
            Some(p) if p.stock_item_id.is_none() && p.free_stock.is_some() => {
                self.fetch_product(code)?
            }
            Some(p) => p,
            None => self.fetch_product(code)?,
        };
        match (product.stock_item_id, product.free_stock) {
            (Some(stock_id), _) => self.stock_item_free(stock_id, code),
            (None, Some(free)) => Ok(free),
            (None, None) => Err(PluginError::NotFound(format!(
                "Tharstern product {code} has no stock item, so it has no stock level (it may be made to order)"
            ))),
        }
    }

    /// `FreeStock` of a stock item, found on any page of `stockitems?id=`.
    fn stock_item_free(&self, stock_id: i64, code: &str) -> Result<i64, PluginError> {
        let id = stock_id.to_string();
        let client = self.client();
        let (mut item, mut fallback, mut page) = (None, None, 0);
        let walk = client.get_pages("stockitems", &[("id", &id)], |reply, items| {
            page += 1;
            item = items
                .iter()
                .find(|s| json::int_field(s, &["ID", "Id"]) == Some(stock_id))
                .cloned();
            if page == 1 {
                // A lone item without an ID, or a bare stock item as Details.
                let details = reply.details();
                fallback = match items {
                    [only] => Some(only.clone()),
                    [] => json::get(details, "FreeStock").map(|_| details.clone()),
                    _ => None,
                };
            }
            Ok(match item {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            })
        })?;
        client.bound_reached(&walk, "stockitems");
        let item: Value = item.or(fallback).ok_or_else(|| {
            PluginError::NotFound(format!(
                "Tharstern has no stock item {stock_id} (of product {code})"
            ))
        })?;
        json::int_field(&item, FREE_STOCK_FIELDS).ok_or_else(|| {
            PluginError::Internal(format!(
                "Tharstern's stock item {stock_id} (of product {code}) has no FreeStock figure"
            ))
        })
    }
}

#[cfg(test)]
mod tests;
