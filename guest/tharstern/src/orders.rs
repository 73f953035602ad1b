//! Orders: `orders/submit`, idempotent on the storefront's order id (sent as
//! `UniqueSubmitOrderID`). Their status is `status.rs`.
//!
//! A lost answer never leads to a second order: the request is marked in
//! the cache before it is sent, and a later attempt with the same order id
//! first looks the order up by `UniqueSubmitOrderID` (Tharstern also answers
//! a repeated `UniqueSubmitOrderID` with the existing order).

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::LogLevel;
use crate::json;
use crate::sdk::cache::{Cache, digest};
use crate::settings::SendPrice;
use crate::stock::stock_product_code;
use crate::{Order, OrderLine, OrderReceipt, PluginError, PriceSource};
use crate::{Tharstern, money};

/// How long receipts and attempt marks are kept (30 days).
const ORDER_TTL_SECS: u32 = 30 * 24 * 3600;

#[derive(Serialize)]
struct SubmitBody<'a> {
    #[serde(rename = "Orders")]
    orders: [SubmitOrder<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SubmitOrder<'a> {
    #[serde(rename = "UniqueSubmitOrderID")]
    unique_submit_order_id: &'a str,
    invoice_customer: CodeRef<'a>,
    order_date: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_date: Option<&'a str>,
    ref1: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ref2: Option<&'a str>,
    items: Vec<SubmitItem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CodeRef<'a> {
    code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SubmitItem<'a> {
    #[serde(rename = "StockItemID", skip_serializing_if = "Option::is_none")]
    stock_item_id: Option<i64>,
    #[serde(rename = "EstimateID", skip_serializing_if = "Option::is_none")]
    estimate_id: Option<i64>,
    quantity: u32,
    /// Exact decimal text (no float).
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<Box<RawValue>>,
    ref1: &'a str,
    ref2: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

/// An order as Tharstern lists it.
#[derive(Debug, Clone)]
pub(crate) struct FoundOrder {
    pub(crate) id: i64,
    pub(crate) order_no: Option<String>,
    pub(crate) status: Option<String>,
}

impl Tharstern {
    fn order_key(&self, kind: &str, order_id: &str) -> String {
        format!("{kind}:{}", digest(&[&self.s.api_url, order_id]))
    }

    pub(crate) fn submit_order_impl(&self, order: &Order) -> Result<OrderReceipt, PluginError> {
        let order_id = order.checked_id()?;
        let receipt_key = self.order_key("order", order_id);
        if let Some(r) = Cache::new(&*self.p).receipt(&receipt_key) {
            self.p.log(
                LogLevel::Info,
                &format!(
                    "order {order_id} was already submitted as Tharstern order {}",
                    r.backend_order_id
                ),
            );
            return Ok(r);
        }
        let customer = self.resolve_customer(&order.customer)?;
        let attempt_key = self.order_key("order-attempt", order_id);
        let receipt = |found: FoundOrder| -> OrderReceipt {
            let r = OrderReceipt {
                backend_order_id: found.id.to_string(),
                backend_order_no: found.order_no,
                customer_code: customer.code.clone(),
                customer_link: customer.link.clone(),
            };
            Cache::new(&*self.p).set_receipt(&receipt_key, &r, ORDER_TTL_SECS);
            r
        };

        // A retry of an attempt whose answer was lost: look first, and never
        // submit again without knowing the order is not there (a back office
        // that ignores UniqueSubmitOrderID would make a second order).
        if self.p.cache_get(&attempt_key).is_some() {
            match self.find_order(order_id) {
                Ok(Some(found)) => {
                    self.p.log(
                        LogLevel::Info,
                        &format!(
                            "order {order_id} already exists in Tharstern (order {}); not submitting again",
                            found.id
                        ),
                    );
                    return Ok(receipt(found));
                }
                Ok(None) => {}
                Err(e @ (PluginError::Authentication(_) | PluginError::Configuration(_))) => {
                    return Err(e);
                }
                Err(e) => {
                    return Err(PluginError::Unreachable(format!(
                        "order {order_id} may already be in Tharstern and looking it up failed ({}); \
                         it is not submitted again until Tharstern answers the look-up",
                        e.message()
                    )));
                }
            }
        }

        let items = order
            .lines
            .iter()
            .enumerate()
            .map(|(n, line)| self.order_item(n + 1, line, order_id))
            .collect::<Result<Vec<_>, _>>()?;
        let body = SubmitBody {
            orders: [SubmitOrder {
                unique_submit_order_id: order_id,
                invoice_customer: CodeRef {
                    code: &customer.code,
                },
                order_date: order.order_date.trim(),
                required_date: order
                    .required_date
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty()),
                ref1: order_id,
                ref2: order.reference.as_deref(),
                items,
            }],
        };
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| PluginError::Internal(format!("serialising the order: {e}")))?;

        self.p.cache_set(&attempt_key, b"1", ORDER_TTL_SECS);
        match self.client().post("orders/submit", &bytes) {
            Ok(reply) => {
                let answers: &[Value] = json::get(reply.details(), "Orders")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let answer = answers
                    .iter()
                    .find(|o| {
                        json::text_field(o, &["UniqueSubmitOrderID"]).as_deref() == Some(order_id)
                    })
                    .or_else(|| answers.first());
                match answer {
                    Some(a) => {
                        let id = json::int_field(a, &["ID", "Id", "OrderID"]).unwrap_or(0);
                        if id > 0 {
                            return Ok(receipt(FoundOrder {
                                id,
                                order_no: json::text_field(a, &["OrderNo", "OrderNumber"]),
                                status: None,
                            }));
                        }
                        let why = json::text_field(a, &["StatusDetails", "Message"])
                            .unwrap_or_else(|| reply.problems());
                        // A failed submit creates nothing: allow a clean resubmit.
                        self.p.cache_delete(&attempt_key);
                        Err(PluginError::Rejected(format!(
                            "Tharstern did not accept order {order_id}: {why}"
                        )))
                    }
                    None => match self.find_order(order_id)? {
                        Some(found) => Ok(receipt(found)),
                        None => Err(PluginError::Rejected(format!(
                            "Tharstern did not accept order {order_id}: {}",
                            reply.problems()
                        ))),
                    },
                }
            }
            Err(PluginError::Unreachable(m)) => {
                // The order may have been created: look before reporting.
                if let Ok(Some(found)) = self.find_order(order_id) {
                    return Ok(receipt(found));
                }
                Err(PluginError::Unreachable(format!(
                    "{m}. Order {order_id} may or may not have reached Tharstern; a retry looks it up before submitting again (it is never created twice)"
                )))
            }
            Err(PluginError::Rejected(m)) => {
                self.p.cache_delete(&attempt_key);
                Err(PluginError::Rejected(m))
            }
            Err(e) => Err(e),
        }
    }

    fn order_item<'a>(
        &self,
        n: usize,
        line: &'a OrderLine,
        order_id: &'a str,
    ) -> Result<SubmitItem<'a>, PluginError> {
        let label = if line.line_ref.trim().is_empty() {
            format!("line {n}")
        } else {
            format!("line {n} ({})", line.line_ref.trim())
        };
        let estimate_id = match line
            .quote_ref
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            Some(q) => Some(q.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                PluginError::Rejected(format!(
                    "{label}: quote reference `{q}` is not a Tharstern estimate id"
                ))
            })?),
            None => None,
        };
        // A quoted line is made to order from its estimate; otherwise the
        // line is a stock product, named by its product code.
        let stock_item_id = if estimate_id.is_some() {
            None
        } else {
            let code = stock_product_code(&line.product_ref).map_err(|e| {
                PluginError::Rejected(format!(
                    "{label}: {} (or give the line a quote reference)",
                    e.message()
                ))
            })?;
            let product = self.find_product(&code).map_err(|e| match e {
                PluginError::NotFound(m) => PluginError::Rejected(format!("{label}: {m}")),
                other => other,
            })?;
            // Where products are the stock items (FreeStock on the product
            // row, no StockItemID), the product's own ID is the stock item.
            let own = product.free_stock.map(|_| product.id).filter(|id| *id > 0);
            Some(product.stock_item_id.or(own).ok_or_else(|| {
                PluginError::Rejected(format!(
                    "{label}: Tharstern product {code} has no stock item and the line has no quote reference, so it cannot be ordered"
                ))
            })?)
        };
        let send = match self.s.send_price {
            SendPrice::Never => false,
            SendPrice::Always => true,
            SendPrice::WithLogic => line.price_source == PriceSource::Quote,
        };
        let price = match (&line.price, send) {
            (Some(p), true) => {
                if !p.currency.eq_ignore_ascii_case(&self.s.currency) {
                    return Err(PluginError::Rejected(format!(
                        "{label}: the price is in {} but Tharstern prices in {} (the currency setting); fix the currency setting or the line's price",
                        p.currency, self.s.currency
                    )));
                }
                let text = money::format_minor(p.minor_units, money::exponent(&p.currency));
                Some(
                    RawValue::from_string(text)
                        .map_err(|e| PluginError::Internal(format!("formatting the price: {e}")))?,
                )
            }
            _ => None,
        };
        Ok(SubmitItem {
            stock_item_id,
            estimate_id,
            quantity: line.quantity,
            price,
            ref1: line.line_ref.trim(),
            ref2: order_id,
            description: line.description.as_deref(),
        })
    }

    /// The order with this `UniqueSubmitOrderID`, if Tharstern has it.
    pub(crate) fn find_order(&self, order_id: &str) -> Result<Option<FoundOrder>, PluginError> {
        let found = self.client().find_in_pages(
            "orders",
            &[("uniqueSubmitOrderID", order_id)],
            // Checked here too, in case a server ignores the filter.
            |o| json::text_field(o, &["UniqueSubmitOrderID"]).as_deref() == Some(order_id),
        )?;
        Ok(found.as_ref().and_then(found_order))
    }
}

pub(crate) fn found_order(o: &Value) -> Option<FoundOrder> {
    let id = json::int_field(o, &["ID", "Id", "OrderID"]).filter(|i| *i > 0)?;
    Some(FoundOrder {
        id,
        order_no: json::text_field(o, &["OrderNo", "OrderNumber"]),
        status: json::text_field(o, &["Status"]),
    })
}

#[cfg(test)]
mod tests;
