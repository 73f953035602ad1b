//! Price and stock for the storefront, answered by the plugin its Connect
//! settings name, or "not handled" (the storefront's own price or stock
//! applies). Also resolves who is asking: a user's department code, else a
//! customer the plugin linked earlier, else the plugin's storefront default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::PluginError;
use connect_runtime::contract::{
    CustomerContext, Money, PriceRequest, ProductMapping, StockRequest,
};
use connect_runtime::error::CallError;
use connect_runtime::runtime::Runtime;
use connect_runtime::tenant::TenantSpec;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PriceRequest)]
pub struct PriceInput {
    /// The storefront product id (its mapping says what to ask the plugin).
    pub product: String,
    #[schema(minimum = 1)]
    pub quantity: u32,
    /// The storefront customer (user) id asking, if known.
    #[serde(default)]
    pub customer: Option<String>,
    /// The user's selections (name -> value).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PriceAnswer {
    /// False: no plugin handles price here; use the storefront's own.
    pub handled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The price; absent when the backend gives none (see `no_price`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    /// Why there is no price (e.g. "Please call for price").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StockRequest)]
pub struct StockInput {
    pub product: String,
    /// Defaults to the mapping's minimum order quantity.
    #[serde(default)]
    pub minimum_order: Option<u32>,
    /// The storefront customer (user) id asking, if known.
    #[serde(default)]
    pub customer: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StockAnswer {
    pub handled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meets_minimum: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A quote reference as the storefront sees it:
/// `<plugin>@<version>:<reference>`, so that it goes back only to the
/// plugin (and says which version) that issued it. A reference without that
/// form (accepted before references carried their plugin) is taken as the
/// order plugin's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteRef<'a> {
    pub plugin: Option<&'a str>,
    pub version: Option<&'a str>,
    pub reference: &'a str,
}

impl<'a> QuoteRef<'a> {
    pub fn encode(plugin: &str, version: &str, reference: &str) -> String {
        format!("{plugin}@{version}:{reference}")
    }

    pub fn parse(text: &'a str) -> Self {
        let tagged = text.split_once('@').and_then(|(plugin, rest)| {
            let (version, reference) = rest.split_once(':')?;
            let valid = connect_runtime::plugin::validate_id(plugin).is_ok() && !version.is_empty();
            valid.then_some(QuoteRef {
                plugin: Some(plugin),
                version: Some(version),
                reference,
            })
        });
        tagged.unwrap_or(QuoteRef {
            plugin: None,
            version: None,
            reference: text,
        })
    }

    /// Whether `plugin` may receive it.
    pub fn issued_by(&self, plugin: &str) -> bool {
        self.plugin.is_none_or(|p| p == plugin)
    }
}

impl Service {
    /// Who is asking, as the plugin needs it.
    pub(crate) async fn customer_context(
        &self,
        storefront: &str,
        plugin: &str,
        customer: Option<&str>,
    ) -> Result<CustomerContext> {
        let Some(id) = customer else {
            return Ok(CustomerContext {
                department_code: None,
                email: None,
                name: None,
            });
        };
        let c = self.customer(storefront, id).await.map_err(|_| {
            ServiceError::invalid(
                "customer",
                format!("no customer `{id}` in `{storefront}`: register the customer first"),
            )
        })?;
        let mut code = match &c.department {
            Some(d) => {
                let d = self.department(storefront, d).await?;
                d.plugin_codes.get(plugin).cloned().or(d.customer_code)
            }
            None => None,
        };
        if code.is_none()
            && let Some(email) = &c.email
        {
            code = self.linked_code(storefront, plugin, email).await?;
        }
        Ok(CustomerContext {
            department_code: code,
            email: c.email,
            name: c.name,
        })
    }

    /// The product as `plugin` knows it (its own mapping block, else the
    /// default one), and the minimum order quantity.
    async fn product_mapping(
        &self,
        storefront: &str,
        product: &str,
        plugin: &str,
    ) -> Result<(ProductMapping, Option<u32>)> {
        let m = self.mapping(storefront, product).await.map_err(|_| {
            ServiceError::invalid(
                "product",
                format!("product `{product}` has no mapping in `{storefront}`: add one under Product mappings"),
            )
        })?;
        Ok((m.for_plugin(plugin), m.min_order_qty))
    }

    pub async fn price(&self, storefront: &str, input: PriceInput) -> Result<PriceAnswer> {
        let sf = self.storefront(storefront).await?;
        let Some(plugin) = sf.connect.price_plugin.clone() else {
            return Ok(PriceAnswer {
                handled: false,
                plugin: None,
                price: None,
                quote_ref: None,
                customer_code: None,
                cached: None,
                no_price: None,
                message: Some(format!(
                    "no plugin handles price for `{storefront}`: use the storefront's own price"
                )),
            });
        };
        if input.quantity == 0 {
            return Err(ServiceError::invalid("quantity", "must be at least 1"));
        }
        let (product, _) = self
            .product_mapping(storefront, &input.product, &plugin)
            .await?;
        let customer = self
            .customer_context(storefront, &plugin, input.customer.as_deref())
            .await?;
        let req = PriceRequest {
            product,
            quantity: input.quantity,
            customer,
            attributes: input.attributes.into_iter().collect(),
        };
        let price = async |rt: &Runtime, t: &TenantSpec| rt.price(t, &plugin, &req).await;
        match self.call(storefront, &plugin, "price", price).await {
            Ok(q) => {
                if let Some(link) = &q.customer_link {
                    self.store_link(storefront, &plugin, link).await?;
                }
                let version = self
                    .tenant(storefront, &plugin)
                    .await?
                    .version()
                    .unwrap_or_default()
                    .to_string();
                Ok(PriceAnswer {
                    handled: true,
                    quote_ref: q.quote_ref.map(|r| QuoteRef::encode(&plugin, &version, &r)),
                    plugin: Some(plugin),
                    price: Some(q.total),
                    customer_code: Some(q.customer_code),
                    cached: Some(q.cached),
                    no_price: None,
                    message: None,
                })
            }
            Err(ServiceError::Call(CallError::Plugin {
                error: PluginError::NoPrice(reason),
            })) => Ok(PriceAnswer {
                handled: true,
                plugin: Some(plugin),
                price: None,
                quote_ref: None,
                customer_code: None,
                cached: None,
                no_price: Some(reason),
                message: None,
            }),
            Err(e) => Err(e),
        }
    }

    pub async fn stock(&self, storefront: &str, input: StockInput) -> Result<StockAnswer> {
        let sf = self.storefront(storefront).await?;
        let Some(plugin) = sf.connect.stock_plugin.clone() else {
            return Ok(StockAnswer {
                handled: false,
                plugin: None,
                product_ref: None,
                free: None,
                meets_minimum: None,
                cached: None,
                message: Some(format!(
                    "no plugin handles stock for `{storefront}`: use the storefront's own stock"
                )),
            });
        };
        let (product, min) = self
            .product_mapping(storefront, &input.product, &plugin)
            .await?;
        let customer = self
            .customer_context(storefront, &plugin, input.customer.as_deref())
            .await?;
        let req = StockRequest {
            product_ref: product.product_ref,
            customer,
            minimum_order: input.minimum_order.or(min),
        };
        let stock = async |rt: &Runtime, t: &TenantSpec| rt.stock(t, &plugin, &req).await;
        let s = self.call(storefront, &plugin, "stock", stock).await?;
        Ok(StockAnswer {
            handled: true,
            plugin: Some(plugin),
            product_ref: Some(s.product_ref),
            free: Some(s.free),
            meets_minimum: s.meets_minimum,
            cached: Some(s.cached),
            message: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::QuoteRef;

    #[test]
    fn quote_refs_name_their_plugin_and_old_ones_stay_readable() {
        let text = QuoteRef::encode("printiq", "0.2.0", "Q-77:a@b");
        let q = QuoteRef::parse(&text);
        assert_eq!(
            (q.plugin, q.version, q.reference),
            (Some("printiq"), Some("0.2.0"), "Q-77:a@b")
        );
        assert!(q.issued_by("printiq") && !q.issued_by("tharstern"));
        for old in ["12345", "no-at:sign", "bad id@1:x", "p@:x"] {
            let q = QuoteRef::parse(old);
            assert_eq!((q.plugin, q.reference), (None, old));
            assert!(q.issued_by("tharstern"));
        }
    }
}
