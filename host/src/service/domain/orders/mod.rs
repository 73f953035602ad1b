//! Orders: accepted into the outbox (committed before the answer). Their
//! state, history, retries and status updates are in [`status`]; delivery
//! itself is in [`crate::service::workers::outbox`].

mod status;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::service::domain::quotes::QuoteRef;
use crate::service::infra::time::{today, valid_date};
use crate::service::store::{Change, NewOrder, OrderState};
use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::{FieldError, Money, Order, OrderLine, PriceSource, StockRequest};
use connect_runtime::runtime::Runtime;
use connect_runtime::tenant::TenantSpec;

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Order)]
pub struct OrderInput {
    /// The storefront's order id: the idempotency key.
    pub id: String,
    /// The storefront customer (user) who ordered.
    #[serde(default)]
    pub customer: Option<String>,
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    #[schema(format = Date)]
    pub order_date: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub required_date: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    pub lines: Vec<LineInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrderLine)]
pub struct LineInput {
    /// Default: the line's position, 1-based.
    #[serde(default)]
    pub line_ref: Option<String>,
    /// The storefront product id (mapped).
    pub product: String,
    #[schema(minimum = 1)]
    pub quantity: u32,
    /// The `quote_ref` of the price the line was priced by.
    #[serde(default)]
    pub quote_ref: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::service::http::api::openapi::MoneySchema>)]
    pub price: Option<Money>,
    /// `quote`, `price-list` or `none`; default `quote` when a quote_ref is
    /// given, else `price-list` when a price is, else `none`.
    #[serde(default)]
    pub price_source: Option<LinePriceSource>,
    #[serde(default)]
    pub description: Option<String>,
    /// The user's selections for this line (name -> value), as sent with
    /// the price request; passed to order plugins of contract 0.2.0 on.
    /// Skipped when empty, so orders without them hash as they always did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinePriceSource {
    Quote,
    PriceList,
    None,
}

/// Outbox states, as the API names them.
pub const PENDING: &str = OrderState::Pending.as_str();
pub const DELIVERING: &str = OrderState::Delivering.as_str();
pub const DELIVERED: &str = OrderState::Delivered.as_str();
pub const FAILED: &str = OrderState::Failed.as_str();

#[derive(Clone, Debug, Serialize)]
pub struct OrderView {
    pub storefront: String,
    pub id: String,
    pub plugin: String,
    /// `pending`, `delivering`, `delivered` or `failed` (parked; retry it).
    pub state: String,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_kind: Option<String>,
    pub backend_order_id: Option<String>,
    /// The backend's order number (for Tharstern: the order's OrderNo).
    pub backend_order_no: Option<String>,
    pub customer_code: Option<String>,
    pub job_no: Option<String>,
    pub job_status: Option<String>,
    pub tracking_number: Option<String>,
    pub status_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub order: Order,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<OrderEvent>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderEvent {
    pub at: String,
    pub kind: String,
    pub detail: String,
}

/// The answer to accepting an order.
#[derive(Clone, Debug, Serialize)]
pub struct Accepted {
    /// False when this order id was accepted before (the same order).
    pub created: bool,
    pub order: OrderView,
}

/// The minimum-order stock check recorded with orders accepted before the
/// check moved ahead of acceptance; still honoured when they are delivered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StockCheck {
    pub plugin: String,
    /// (product_ref, minimum order quantity)
    pub items: Vec<(String, u32)>,
}

/// What is wrong with a line's price, if anything: the back office is
/// asked to charge it, so it must be a real amount in a real currency.
fn price_problem(price: &Money) -> Option<String> {
    let code = &price.currency;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Some(format!(
            "currency `{code}` is not an ISO 4217 code: use three capital letters, e.g. GBP"
        ));
    }
    if price.minor_units < 0 {
        return Some("a line price cannot be negative".into());
    }
    None
}

impl Service {
    /// Stores an order in the outbox (durably, before answering) for
    /// delivery through the storefront's order plugin. A repeat of the same
    /// order id with the same content is the same order; with different
    /// content it is a conflict. Lines of stock-checked products (a
    /// minimum order quantity in the mapping, a stock plugin chosen) are
    /// checked with the stock plugin first: short stock refuses the order,
    /// naming the line, before anything is stored.
    pub async fn accept_order(&self, storefront: &str, input: OrderInput) -> Result<Accepted> {
        let sf = self.storefront(storefront).await?;
        let plugin = sf.connect.order_plugin.clone().ok_or_else(|| {
            ServiceError::NotHandled(format!(
                "no plugin handles orders for `{storefront}`: choose an order plugin in its Connect settings"
            ))
        })?;
        let hash = {
            let json = serde_json::to_vec(&input).map_err(anyhow::Error::from)?;
            format!("{:x}", Sha256::digest(&json))
        };
        if let Some(repeat) = self.repeated_order(storefront, &input.id, &hash).await? {
            return Ok(repeat);
        }

        let mut problems = Vec::new();
        let mut problem = |key: String, message: String| problems.push(FieldError { key, message });
        if input.id.trim().is_empty()
            || input.id.len() > 100
            || input.id.chars().any(|c| c.is_control() || c == '/')
        {
            problem(
                "id".into(),
                "enter the storefront's order id (1 to 100 characters, no `/`)".into(),
            );
        }
        if input.lines.is_empty() {
            problem("lines".into(), "an order needs at least one line".into());
        }
        for (key, date) in [
            ("order_date", &input.order_date),
            ("required_date", &input.required_date),
        ] {
            if let Some(d) = date
                && !valid_date(d)
            {
                problem(
                    key.into(),
                    "enter a real date in the form YYYY-MM-DD".into(),
                );
            }
        }
        let customer = match self
            .customer_context(storefront, &plugin, input.customer.as_deref())
            .await
        {
            Ok(c) => Some(c),
            Err(ServiceError::Invalid(f)) => {
                problems.extend(f);
                None
            }
            Err(e) => return Err(e),
        };
        let mut lines = Vec::new();
        let mut stock_items = Vec::new();
        for (i, line) in input.lines.iter().enumerate() {
            if line.quantity == 0 {
                problems.push(FieldError {
                    key: format!("lines[{i}].quantity"),
                    message: "must be at least 1".into(),
                });
            }
            if let Some(price) = &line.price {
                problems.extend(price_problem(price).map(|message| FieldError {
                    key: format!("lines[{i}].price"),
                    message,
                }));
            }
            let mapping = match self.mapping(storefront, &line.product).await {
                Ok(m) => m,
                Err(_) => {
                    problems.push(FieldError {
                        key: format!("lines[{i}].product"),
                        message: format!(
                            "product `{}` has no mapping in `{storefront}`",
                            line.product
                        ),
                    });
                    continue;
                }
            };
            if let (Some(min), Some(stock_plugin)) =
                (mapping.min_order_qty, &sf.connect.stock_plugin)
            {
                let product_ref = mapping.for_plugin(stock_plugin).product_ref;
                stock_items.push((i, product_ref, min, line.quantity));
            }
            // A quote reference goes back only to the plugin that issued it.
            let quote_ref = match line.quote_ref.as_deref().map(QuoteRef::parse) {
                Some(q) if q.issued_by(&plugin) => Some(q.reference.to_string()),
                Some(q) => {
                    tracing::info!(
                        storefront,
                        order = input.id,
                        line = i,
                        issuer = q.plugin,
                        plugin,
                        "a quote reference of another plugin is not sent to the order plugin"
                    );
                    None
                }
                None => None,
            };
            let source = line.price_source.unwrap_or(if quote_ref.is_some() {
                LinePriceSource::Quote
            } else if line.price.is_some() {
                LinePriceSource::PriceList
            } else {
                LinePriceSource::None
            });
            let source = match source {
                // Quoted by another plugin: to this one, a given price.
                LinePriceSource::Quote if quote_ref.is_none() && line.price.is_some() => {
                    LinePriceSource::PriceList
                }
                LinePriceSource::Quote if quote_ref.is_none() => LinePriceSource::None,
                s => s,
            };
            lines.push(OrderLine {
                line_ref: line.line_ref.clone().unwrap_or_else(|| (i + 1).to_string()),
                product_ref: mapping.for_plugin(&plugin).product_ref,
                quantity: line.quantity,
                quote_ref,
                price: line.price.clone(),
                price_source: match source {
                    LinePriceSource::Quote => PriceSource::Quote,
                    LinePriceSource::PriceList => PriceSource::PriceList,
                    LinePriceSource::None => PriceSource::None,
                },
                description: line.description.clone(),
                attributes: line.attributes.clone().into_iter().collect(),
            });
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        let order = Order {
            order_id: input.id.clone(),
            customer: customer.expect("resolved when there are no problems"),
            order_date: input.order_date.clone().unwrap_or_else(today),
            required_date: input.required_date.clone(),
            reference: input.reference.clone(),
            lines,
        };
        if let Some(stock_plugin) = &sf.connect.stock_plugin {
            let short = self
                .short_stock(storefront, stock_plugin, &input, &stock_items)
                .await?;
            if !short.is_empty() {
                return Err(ServiceError::Invalid(short));
            }
        }
        let payload = serde_json::to_string(&order).map_err(anyhow::Error::from)?;
        let created = self
            .store
            .insert_order(&NewOrder {
                storefront: storefront.into(),
                id: input.id.clone(),
                plugin: plugin.clone(),
                payload,
                payload_hash: hash.clone(),
            })
            .await?;
        if !created {
            // Accepted concurrently by another request: same rules as above.
            return self
                .repeated_order(storefront, &input.id, &hash)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("order `{}` vanished while accepted", input.id).into()
                });
        }
        tracing::info!(storefront, order = input.id, plugin, "order accepted");
        // The answer shows the order as accepted: read before the worker
        // is woken, or it may already be delivering it.
        let order = self.order(storefront, &input.id).await;
        self.outbox_wake.notify_one();
        self.announce(Change::Orders).await;
        Ok(Accepted {
            created: true,
            order: order?,
        })
    }

    /// The answer for an order id accepted before: the same order
    /// (`created: false`) when the content is the same, else a conflict.
    async fn repeated_order(
        &self,
        storefront: &str,
        id: &str,
        hash: &str,
    ) -> Result<Option<Accepted>> {
        match self.store.order_hash(storefront, id).await? {
            None => Ok(None),
            Some(existing) if existing == hash => Ok(Some(Accepted {
                created: false,
                order: self.order(storefront, id).await?,
            })),
            Some(_) => Err(ServiceError::Conflict(format!(
                "order `{id}` was already accepted with different content; an order id can be used once"
            ))),
        }
    }

    /// The lines whose product the stock plugin says is short: free stock
    /// below the mapping's minimum order quantity, or below the quantity
    /// ordered. A stock plugin whose own minimum-order check is off
    /// (`meets_minimum` absent) is not second-guessed.
    async fn short_stock(
        &self,
        storefront: &str,
        stock_plugin: &str,
        input: &OrderInput,
        items: &[(usize, String, u32, u32)],
    ) -> Result<Vec<FieldError>> {
        let mut short = Vec::new();
        if items.is_empty() {
            return Ok(short);
        }
        let customer = self
            .customer_context(storefront, stock_plugin, input.customer.as_deref())
            .await?;
        for (i, product_ref, minimum, quantity) in items {
            let req = StockRequest {
                product_ref: product_ref.clone(),
                customer: customer.clone(),
                minimum_order: Some(*minimum),
            };
            let stock = async |rt: &Runtime, t: &TenantSpec| rt.stock(t, stock_plugin, &req).await;
            let s = self.call(storefront, stock_plugin, "stock", stock).await?;
            let product = &input.lines[*i].product;
            let message = match s.meets_minimum {
                None => continue,
                Some(false) => format!(
                    "`{product}` has {} free, below its minimum order quantity {minimum}",
                    s.free
                ),
                Some(true) if s.free < i64::from(*quantity) => {
                    format!("`{product}`: {quantity} ordered but only {} free", s.free)
                }
                Some(true) => continue,
            };
            short.push(FieldError {
                key: format!("lines[{i}].quantity"),
                message,
            });
        }
        if !short.is_empty() {
            tracing::info!(
                storefront,
                order = input.id,
                lines = short.len(),
                "order refused: stock short"
            );
        }
        Ok(short)
    }
}
