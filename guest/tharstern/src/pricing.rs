//! Prices: one Tharstern estimate per distinct request, cached.
//!
//! The product reference is the product type id (`12` or `type:12`), or a
//! product code (`BC-STD` or `code:123` for a numeric code), whose product
//! type is used. Quotes are cached for the refresh interval under a key made
//! of everything that determines them, so a repeat makes no HTTP call.
//!
//! Tharstern sometimes answers `Success: false` although it created the
//! estimate: before any retry, the estimate is looked up by its unique title,
//! so a quote never creates a duplicate estimate.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::LogLevel;
use crate::customers::Resolved;
use crate::estimate::{self, Inputs};
use crate::sdk::cache::{Cache, Claim, digest, exact_key};
use crate::{Money, PluginError, PriceQuote, PriceRequest};
use crate::{Tharstern, money};

/// How long one call may hold the right to create a given estimate.
const LEASE_SECS: u32 = 10;
/// How long an attempt whose outcome is unknown is remembered, so that a
/// retry within it finds the estimate the attempt may have created.
const PENDING_SECS: u32 = 7 * 24 * 3600;

mod estimates;

pub use estimates::Estimate;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedQuote {
    minor: i64,
    currency: String,
    quote_ref: Option<String>,
}

impl CachedQuote {
    /// The answer for a request served from the cache.
    fn into_quote(self, customer: Resolved) -> PriceQuote {
        PriceQuote {
            total: Money {
                minor_units: self.minor,
                currency: self.currency,
            },
            quote_ref: self.quote_ref,
            customer_code: customer.code,
            customer_link: customer.link,
            cached: true,
        }
    }
}

/// How a product reference names the product type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    TypeId(i64),
    Code(String),
}

pub fn parse_product_ref(r: &str) -> Result<ProductRef, PluginError> {
    let r = r.trim();
    let bad = || {
        PluginError::Rejected(format!(
            "`{r}` is not a product reference: use a Tharstern product type id (e.g. 12 or type:12) or a product code (e.g. BC-STD or code:123); fix the product mapping"
        ))
    };
    if let Some(id) = r.strip_prefix("type:") {
        return id.trim().parse().map(ProductRef::TypeId).map_err(|_| bad());
    }
    if let Some(code) = r.strip_prefix("code:") {
        let code = code.trim();
        return if code.is_empty() {
            Err(bad())
        } else {
            Ok(ProductRef::Code(code.to_string()))
        };
    }
    if r.is_empty() {
        return Err(bad());
    }
    if r.bytes().all(|b| b.is_ascii_digit()) {
        return r.parse().map(ProductRef::TypeId).map_err(|_| bad());
    }
    Ok(ProductRef::Code(r.to_string()))
}

/// Whether a Tharstern message says the work has no price.
pub fn is_no_price_message(m: &str) -> bool {
    let m = m.to_lowercase();
    [
        "call for price",
        "no price",
        "not priced",
        "cannot be priced",
        "can't be priced",
        "unable to price",
        "price not available",
        "price unavailable",
    ]
    .iter()
    .any(|p| m.contains(p))
}

impl Tharstern {
    pub(crate) fn quote_cache_key(&self, req: &PriceRequest, customer_code: &str) -> String {
        let quantity = req.quantity.to_string();
        let mut parts: Vec<&str> = vec![
            &self.s.api_url,
            &self.s.currency,
            req.product.product_ref.trim(),
            &quantity,
            customer_code,
            "overrides",
        ];
        for (k, v) in &req.product.overrides {
            parts.push(k);
            parts.push(v);
        }
        parts.push("attributes");
        for (k, v) in &req.attributes {
            parts.push(k);
            parts.push(v);
        }
        parts.push("advanced");
        parts.push(req.product.advanced_json.as_deref().unwrap_or(""));
        // No secret among the parts: the key is written out, not hashed.
        exact_key("quote", &parts)
    }

    pub(crate) fn price_impl(&self, req: &PriceRequest) -> Result<PriceQuote, PluginError> {
        if req.quantity == 0 {
            return Err(PluginError::Rejected(
                "the quantity must be at least 1".into(),
            ));
        }
        let product_ref = parse_product_ref(&req.product.product_ref)?;
        let customer = self.resolve_customer(&req.customer)?;
        let key = self.quote_cache_key(req, &customer.code);
        if let Some(q) = Cache::new(&*self.p).get::<CachedQuote>(&key) {
            return Ok(q.into_quote(customer));
        }

        let type_id = match &product_ref {
            ProductRef::TypeId(id) => *id,
            ProductRef::Code(code) => {
                self.find_product(code)?.product_type_id.ok_or_else(|| {
                    PluginError::NotFound(format!(
                        "Tharstern product {code} has no product type, so it cannot be priced"
                    ))
                })?
            }
        };
        let example = self.example_request(type_id)?;
        let mut body = estimate::build(
            &example,
            type_id,
            &Inputs {
                quantity: req.quantity,
                customer_code: &customer.code,
                overrides: &req.product.overrides,
                attributes: &req.attributes,
                advanced_json: req.product.advanced_json.as_deref(),
            },
            |name, why| {
                self.p.log(
                    LogLevel::Debug,
                    &format!("selection `{name}` not applied to the estimate request: {why}"),
                )
            },
        )?;
        // The title names the request and the refresh interval it was first
        // tried in, so prices are fetched afresh once per interval. An
        // attempt that may have created an estimate leaves its title behind
        // (`pending`): every retry, however late, looks for that estimate
        // under that title before posting.
        let pending = format!(
            "estimate-pending:{}",
            digest(&[&self.s.api_url, &estimate::title_for(&body, 0)])
        );
        let resumed = self
            .p
            .cache_get(&pending)
            .and_then(|t| String::from_utf8(t).ok());
        let title = resumed.clone().unwrap_or_else(|| {
            let bucket = self.p.now_unix_secs() / u64::from(self.s.refresh_secs().max(1));
            estimate::title_for(&body, bucket)
        });
        estimate::set_title(&mut body, &title);

        // Another request that builds the same estimate request (e.g. two
        // products of one type without overrides) reuses its estimate.
        let est_key = format!("estimate:{}", digest(&[&self.s.api_url, &title]));
        // One call at a time creates a given estimate: concurrent identical
        // requests (other instances of this tenant) wait for its answer
        // instead of creating their own.
        let lease = match Cache::new(&*self.p).claim(&est_key, LEASE_SECS) {
            Claim::Ready(q) => return Ok(self.reuse(q, &key, customer)),
            Claim::Mine(lease) => lease,
            // The other call is slow or died. Its POST may still be on its
            // way: never a second one beside it. Use its estimate if
            // Tharstern has it, else ask the caller to come back.
            Claim::Busy => {
                return match self.find_estimate(&title)? {
                    Some(est) => self.quote_from(est, &key, &est_key, customer),
                    None => Err(PluginError::Unreachable(
                        "another request for the same price is still creating its estimate in \
                         Tharstern; try again in a few seconds"
                            .into(),
                    )),
                };
            }
        };
        self.p.cache_set(&pending, title.as_bytes(), PENDING_SECS);
        let estimate = match resumed {
            Some(_) => match self.find_estimate(&title)? {
                Some(est) => Ok(est),
                None => self.create_estimate(&body, &title),
            },
            None => self.create_estimate(&body, &title),
        };
        // Only an answer that settles whether the estimate exists ends the
        // pending attempt; after a lost answer the next call resumes it.
        if matches!(
            estimate,
            Ok(_) | Err(PluginError::Rejected(_) | PluginError::NoPrice(_))
        ) {
            self.p.cache_delete(&pending);
        }
        let quote = estimate.and_then(|est| self.quote_from(est, &key, &est_key, customer));
        drop(lease);
        quote
    }

    /// A quote from the estimate another request already created.
    fn reuse(&self, q: CachedQuote, key: &str, customer: Resolved) -> PriceQuote {
        if let Ok(bytes) = serde_json::to_vec(&q) {
            self.p.cache_set(key, &bytes, self.s.refresh_secs());
        }
        q.into_quote(customer)
    }

    /// The quote an estimate gives, cached for this request and for every
    /// request that builds the same estimate.
    fn quote_from(
        &self,
        est: Estimate,
        key: &str,
        est_key: &str,
        customer: Resolved,
    ) -> Result<PriceQuote, PluginError> {
        let Some(total) = est.total.as_deref() else {
            return Err(PluginError::NoPrice(format!(
                "Tharstern created estimate {} without a price: this work type may not be priced automatically (please call for price)",
                est.id
            )));
        };
        let what = format!("Tharstern estimate {}", est.id);
        let minor = money::price_minor(&*self.p, &what, total, &self.s.currency)?;
        let quote_ref = Some(est.id.to_string());
        let cached = CachedQuote {
            minor,
            currency: self.s.currency.clone(),
            quote_ref: quote_ref.clone(),
        };
        if let Ok(bytes) = serde_json::to_vec(&cached) {
            self.p.cache_set(key, &bytes, self.s.refresh_secs());
            self.p.cache_set(est_key, &bytes, self.s.refresh_secs());
        }
        Ok(PriceQuote {
            total: Money {
                minor_units: minor,
                currency: self.s.currency.clone(),
            },
            quote_ref,
            customer_code: customer.code,
            customer_link: customer.link,
            cached: false,
        })
    }

    /// The product type's example estimate request (cached).
    fn example_request(&self, type_id: i64) -> Result<Value, PluginError> {
        let key = format!(
            "example:{}",
            digest(&[&self.s.api_url, &type_id.to_string()])
        );
        if let Some(v) = self
            .p
            .cache_get(&key)
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            return Ok(v);
        }
        let path = format!("EstRequest/{type_id}/Example");
        let reply = self.client().get(&path, &[]).map_err(|e| match e {
            PluginError::NotFound(_) => PluginError::NotFound(format!(
                "Tharstern has no product type {type_id} (no example estimate request): check the product mapping's product reference"
            )),
            other => other,
        })?;
        let example = reply.details().clone();
        if !example.is_object() {
            return Err(PluginError::NotFound(format!(
                "Tharstern answered no example estimate request for product type {type_id}: {}",
                reply.message().unwrap_or_else(|| "empty answer".into())
            )));
        }
        self.p
            .cache_set(&key, example.to_string().as_bytes(), self.s.refresh_secs());
        Ok(example)
    }
}

#[cfg(test)]
mod tests;
