//! Prices: `GetPrice` creates a printIQ quote on every call, so each
//! distinct request is priced once and cached for the refresh interval.
//!
//! Product references: `code:<ProductCode>` (a ready-made printIQ product;
//! a bare reference is a product code too) or `node:<TreeNodeID>` (a
//! category priced from filter values: the mapping's overrides, then the
//! buyer's selections, each `name -> value` a `FilterValues` entry; a
//! selection wins over an override of the same name). An option named
//! `Kinds` sets `SelectedQuantity.Kinds` instead. The mapping's advanced
//! JSON is merged over the request (RFC 7386).
//!
//! The cache key is the request itself (customer code, product, options,
//! quantity, price list level): a repeat makes no call. Concurrent
//! identical requests share one quote: the first takes a lease (the
//! host's atomic `add`), the others wait for its answer.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::Reply;
use crate::sdk::cache::{Claim, exact_key};
use crate::sdk::json::{self, Step};
use crate::sdk::money;
use crate::{LogLevel, Money, PluginError, PriceQuote, PriceRequest, PrintIq};

/// How long one call may hold the right to create a given quote.
const LEASE_SECS: u32 = 15;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    Code(String),
    Node(i64),
}

pub fn parse_product_ref(r: &str) -> Result<ProductRef, PluginError> {
    let r = r.trim();
    let bad = || {
        PluginError::Rejected(format!(
            "`{r}` is not a printIQ product reference: use code:<ProductCode> or node:<TreeNodeID>; fix the product mapping"
        ))
    };
    if let Some(id) = r.strip_prefix("node:") {
        return id
            .trim()
            .parse()
            .ok()
            .filter(|id| *id > 0)
            .map(ProductRef::Node)
            .ok_or_else(bad);
    }
    let code = r.strip_prefix("code:").unwrap_or(r).trim();
    if code.is_empty() || code.contains(':') {
        return Err(bad());
    }
    Ok(ProductRef::Code(code.to_string()))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedQuote {
    minor: i64,
    currency: String,
    quote_no: String,
}

impl PrintIq {
    /// A quote request (GetPrice / CreateQuoteWithDelivery) for one product.
    pub(crate) fn quote_request(
        &self,
        product: &ProductRef,
        opts: &[(String, String)],
        quantity: u32,
        customer: &str,
    ) -> Result<Value, PluginError> {
        let mut kinds = 1i64;
        let mut filters = Vec::new();
        for (k, v) in opts {
            if k.eq_ignore_ascii_case("Kinds") {
                kinds = v.parse().ok().filter(|k| *k > 0).ok_or_else(|| {
                    PluginError::Rejected(format!("Kinds `{v}` is not a whole number above 0"))
                })?;
            } else {
                filters.push(json!({"Name": k, "Value": v}));
            }
        }
        let mut body = json!({
            "CustomerCode": customer,
            "SelectedQuantity": {"Quantity": quantity, "Kinds": kinds, "TargetRetailPrice": 0},
            "AcceptQuote": false,
        });
        match product {
            ProductRef::Code(code) => {
                if !filters.is_empty() {
                    self.p.log(
                        LogLevel::Debug,
                        &format!("product code {code}: {} option(s) not sent (a product code takes none)", filters.len()),
                    );
                }
                body["ProductCode"] = json!(code);
            }
            ProductRef::Node(id) => {
                let mut input = json!({"TreeNodeID": id, "FilterValues": filters});
                if let Some(level) = self.s.price_list_level {
                    input["PriceListLevel"] = json!(level);
                }
                body["FilterInput"] = input;
            }
        }
        Ok(body)
    }

    pub(crate) fn price_impl(&self, req: &PriceRequest) -> Result<PriceQuote, PluginError> {
        if req.quantity == 0 {
            return Err(PluginError::Rejected(
                "the quantity must be at least 1".into(),
            ));
        }
        let product = parse_product_ref(&req.product.product_ref)?;
        let customer = self.customer_code(&req.customer).to_string();
        let opts = req.options();
        let mut body = self.quote_request(&product, &opts, req.quantity, &customer)?;
        json::merge_advanced(&mut body, req.product.advanced_json.as_deref())?;
        let text = body.to_string();
        let key = exact_key("quote", &[&self.s.api_url, &text]);
        let answer = |q: CachedQuote, cached| PriceQuote {
            total: Money {
                minor_units: q.minor,
                currency: q.currency,
            },
            quote_ref: Some(q.quote_no),
            customer_code: customer.clone(),
            customer_link: None,
            cached,
        };
        // Another call creating this very quote is waited for; if it fails
        // or is slow, this one goes on (a stray quote is harmless).
        let lease = match self.cache().claim(&key, LEASE_SECS) {
            Claim::Ready(q) => return Ok(answer(q, true)),
            Claim::Mine(lease) => Some(lease),
            Claim::Busy => None,
        };
        let reply = self.client().create("GetPrice", &body)?;
        let q = self.read_price(&reply, req.quantity)?;
        self.cache().set(&key, &q, self.s.refresh_secs());
        drop(lease);
        Ok(answer(q, false))
    }

    /// The price of `quantity` in a GetPrice answer, exactly.
    fn read_price(&self, reply: &Reply, quantity: u32) -> Result<CachedQuote, PluginError> {
        let Some(details) = reply.get("QuoteDetails") else {
            return Err(PluginError::NoPrice(
                "printIQ answered no quote for this request (please call for price)".into(),
            ));
        };
        let quote_no = json::text_field(details, &["QuoteNo"])
            .ok_or_else(|| PluginError::Internal("printIQ's quote has no QuoteNo".into()))?;
        let products = json::get(details, "Products").and_then(Value::as_array);
        let found = products
            .into_iter()
            .flatten()
            .enumerate()
            .find_map(|(i, p)| {
                let qs = json::get(p, "Quantities").and_then(Value::as_array)?;
                let j = qs
                    .iter()
                    .position(|q| json::int_field(q, &["Quantity"]) == Some(i64::from(quantity)))
                    .or((qs.len() == 1).then_some(0))?;
                Some((i, j))
            });
        let raw = found.and_then(|(i, j)| {
            reply.raw(&[
                Step::Key("QuoteDetails"),
                Step::Key("Products"),
                Step::Index(i),
                Step::Key("Quantities"),
                Step::Index(j),
                Step::Key("Price"),
            ])
        });
        let Some(raw) = raw else {
            return Err(PluginError::NoPrice(format!(
                "printIQ quote {quote_no} has no price for quantity {quantity} (please call for price)"
            )));
        };
        let currency = json::text_field(details, &["CurCode"])
            .or_else(|| json::text_field(&reply.json, &["CurCode"]))
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_else(|| self.s.currency.clone());
        let minor = money::price_minor(
            &*self.p,
            &format!("printIQ quote {quote_no}"),
            raw,
            &currency,
        )?;
        Ok(CachedQuote {
            minor,
            currency,
            quote_no,
        })
    }
}

#[cfg(test)]
mod tests;
