//! Reading a quote request (GetPrice / CreateQuoteWithDelivery) and
//! pricing it against the catalogue. Every problem is an `IsError`
//! message, as printIQ answers them (texts beyond "Invalid Product Code"
//! are the simulator's, inferred).

use crate::data::DemoData;
use crate::model::{Customer, QuoteDelivery, QuotedProduct, TreeNode};
use crate::pricing;
use serde_json::Value;
use sim_kit::json::{boolean, decimal_text, field, int, optional_text};
use sim_kit::money::Money;

pub const INVALID_PRODUCT_CODE: &str = "Invalid Product Code";
pub const INVALID_CUSTOMER_CODE: &str = "Invalid Customer Code";
pub const PLEASE_CALL: &str = "Please call for price";
pub const MAX_QUANTITY: i64 = 10_000_000;

/// How the product is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductChoice {
    Code(String),
    Filters {
        tree_node_id: i64,
        price_list_level: Option<u8>,
        values: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone)]
pub struct DeliveryRequest {
    pub quantity: Option<i64>,
    pub freight_method: Option<String>,
    pub destination_address: Value,
    pub delivery_contact: Value,
}

/// A quote request as read.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    pub customer_code: String,
    pub product: ProductChoice,
    pub quantity: i64,
    pub kinds: i64,
    pub customer_reference: Option<String>,
    pub job_title: Option<String>,
    pub job_description: Option<String>,
    pub notes: Option<String>,
    pub deliveries: Vec<DeliveryRequest>,
    pub target_freight_price: Option<Money>,
    pub accept: bool,
    pub raw: Value,
}

/// What pricing a request gives.
#[derive(Debug, Clone)]
pub struct Priced {
    /// As the catalogue spells it.
    pub customer_code: String,
    pub product: QuotedProduct,
    pub deliveries: Vec<QuoteDelivery>,
    pub freight: Money,
    pub warning: Option<String>,
}

pub fn read(body: &Value) -> Result<QuoteRequest, String> {
    let customer_code = optional_text(body, "CustomerCode")
        .ok_or_else(|| "CustomerCode is required".to_string())?;
    let product = if let Some(code) = optional_text(body, "ProductCode") {
        ProductChoice::Code(code)
    } else if let Some(input) = field(body, "FilterInput") {
        let tree_node_id = field(input, "TreeNodeID")
            .and_then(int)
            .ok_or_else(|| "FilterInput.TreeNodeID is required".to_string())?;
        let price_list_level = field(input, "PriceListLevel")
            .and_then(int)
            .filter(|l| (1..=5).contains(l))
            .map(|l| l as u8);
        let mut values = Vec::new();
        if let Some(list) = field(input, "FilterValues").and_then(Value::as_array) {
            for v in list {
                let name = optional_text(v, "Name")
                    .ok_or_else(|| "FilterValues[].Name is required".to_string())?;
                let value = optional_text(v, "Value")
                    .ok_or_else(|| format!("A value is required for filter '{name}'"))?;
                values.push((name, value));
            }
        }
        ProductChoice::Filters {
            tree_node_id,
            price_list_level,
            values,
        }
    } else if field(body, "CustomProduct").is_some() || field(body, "PromotionalProduct").is_some()
    {
        return Err(
            "CustomProduct and PromotionalProduct are not simulated; use ProductCode or FilterInput"
                .into(),
        );
    } else {
        return Err("A product is required: ProductCode or FilterInput".into());
    };
    let selected = field(body, "SelectedQuantity");
    let quantity = selected
        .and_then(|s| field(s, "Quantity"))
        .and_then(int)
        .ok_or_else(|| "SelectedQuantity.Quantity is required".to_string())?;
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(format!(
            "Quantity must be between 1 and {MAX_QUANTITY}, not {quantity}"
        ));
    }
    let kinds = selected
        .and_then(|s| field(s, "Kinds"))
        .and_then(int)
        .unwrap_or(1)
        .max(1);
    let mut deliveries = Vec::new();
    if let Some(list) = field(body, "Deliveries").and_then(Value::as_array) {
        for d in list {
            deliveries.push(DeliveryRequest {
                quantity: field(d, "Quantity").and_then(int),
                freight_method: optional_text(d, "FreightMethod"),
                destination_address: field(d, "DestinationAddress").cloned().unwrap_or_default(),
                delivery_contact: field(d, "DeliveryContact").cloned().unwrap_or_default(),
            });
        }
    }
    let target_freight_price = match field(body, "TargetFreightPrice") {
        None => None,
        Some(v) => Some(
            decimal_text(v)
                .and_then(|t| Money::parse(&t))
                .ok_or_else(|| "TargetFreightPrice must be a number".to_string())?,
        ),
    };
    Ok(QuoteRequest {
        customer_code,
        product,
        quantity,
        kinds,
        customer_reference: optional_text(body, "CustomerReference"),
        job_title: optional_text(body, "JobTitle"),
        job_description: optional_text(body, "JobDescription"),
        notes: optional_text(body, "Notes"),
        deliveries,
        target_freight_price,
        accept: field(body, "AcceptQuote")
            .and_then(boolean)
            .unwrap_or(false),
        raw: body.clone(),
    })
}

/// The customer by code (case-insensitive), active.
pub fn customer<'a>(data: &'a DemoData, code: &str) -> Result<&'a Customer, String> {
    let c = data
        .customers
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| INVALID_CUSTOMER_CODE.to_string())?;
    if !c.active {
        return Err(format!("Customer '{}' is not active", c.code));
    }
    Ok(c)
}

/// The top-level ancestor of a node.
fn root_of(data: &DemoData, node: &TreeNode) -> i64 {
    let mut current = node;
    while current.parent != 0 {
        match data.tree.iter().find(|n| n.id == current.parent) {
            Some(p) => current = p,
            None => break,
        }
    }
    current.id
}

/// Whether a customer may order from a node.
pub fn visible(data: &DemoData, customer: &Customer, node: &TreeNode) -> bool {
    match &customer.tree_nodes {
        None => true,
        Some(roots) => roots.contains(&root_of(data, node)),
    }
}

/// A node the customer may see, by ID.
pub fn tree_node<'a>(
    data: &'a DemoData,
    customer: &Customer,
    id: i64,
) -> Result<&'a TreeNode, String> {
    data.tree
        .iter()
        .find(|n| n.id == id)
        .filter(|n| visible(data, customer, n))
        .ok_or_else(|| format!("Invalid Tree Node ID {id}"))
}

pub fn price(data: &DemoData, req: &QuoteRequest) -> Result<Priced, String> {
    let customer = customer(data, &req.customer_code)?;
    let mut level = customer.price_list_level;
    let (setup, per_1000, min_quantity, product_code, tree_node_id, filter_values, description) =
        match &req.product {
            ProductChoice::Code(code) => {
                let p = data
                    .products
                    .iter()
                    .find(|p| p.code.eq_ignore_ascii_case(code))
                    .ok_or_else(|| INVALID_PRODUCT_CODE.to_string())?;
                if p.please_call {
                    return Err(PLEASE_CALL.into());
                }
                (
                    p.setup,
                    p.per_1000,
                    p.min_quantity,
                    Some(p.code.clone()),
                    p.tree_node_id,
                    Vec::new(),
                    p.description.clone(),
                )
            }
            ProductChoice::Filters {
                tree_node_id,
                price_list_level,
                values,
            } => {
                let node = tree_node(data, customer, *tree_node_id)?;
                if node.filters.is_empty() {
                    return Err(format!(
                        "Tree node {} ({}) is a category; choose one of its products",
                        node.id, node.name
                    ));
                }
                if let Some(l) = price_list_level {
                    level = *l;
                }
                for (name, _) in values {
                    if !node
                        .filters
                        .iter()
                        .any(|f| f.name.eq_ignore_ascii_case(name))
                    {
                        return Err(format!("Invalid filter '{name}' for tree node {}", node.id));
                    }
                }
                let mut setup = node.setup.minor();
                let mut per_1000 = node.per_1000.minor();
                let mut chosen = Vec::new();
                let mut names = Vec::new();
                for filter in &node.filters {
                    let given = values
                        .iter()
                        .rev()
                        .find(|(n, _)| n.eq_ignore_ascii_case(&filter.name))
                        .map(|(_, v)| v)
                        .ok_or_else(|| {
                            format!("A value is required for filter '{}'", filter.name)
                        })?;
                    let value = filter
                        .values
                        .iter()
                        .find(|v| v.value.eq_ignore_ascii_case(given.trim()))
                        .ok_or_else(|| {
                            format!("Invalid value '{given}' for filter '{}'", filter.name)
                        })?;
                    setup += value.setup.minor();
                    per_1000 += value.per_1000.minor();
                    chosen.push((filter.name.clone(), value.value.clone()));
                    names.push(value.name.clone());
                }
                if node.please_call {
                    return Err(PLEASE_CALL.into());
                }
                (
                    Money::from_minor(setup),
                    Money::from_minor(per_1000),
                    node.min_quantity,
                    None,
                    Some(node.id),
                    chosen,
                    format!("{}, {}", node.name, names.join(", ")),
                )
            }
        };
    if req.quantity < min_quantity {
        return Err(format!("The minimum quantity is {min_quantity}"));
    }
    let breakdown = pricing::price(setup, per_1000, req.quantity, req.kinds, level);
    let mut deliveries = Vec::new();
    let mut warnings = Vec::new();
    for d in &req.deliveries {
        let method = d.freight_method.as_deref().unwrap_or("Standard");
        let (method, freight) =
            pricing::freight(method).ok_or_else(|| format!("Invalid Freight Method '{method}'"))?;
        let quantity = match d.quantity {
            Some(q) if q > 0 => q,
            Some(q) => return Err(format!("Delivery quantity must be positive, not {q}")),
            None if req.deliveries.len() == 1 => req.quantity,
            None => return Err("Delivery quantity is required".into()),
        };
        deliveries.push(QuoteDelivery {
            quantity,
            freight_method: method.to_string(),
            freight_price: freight,
            destination_address: d.destination_address.clone(),
            delivery_contact: d.delivery_contact.clone(),
        });
    }
    let delivered: i64 = deliveries.iter().map(|d| d.quantity).sum();
    if !deliveries.is_empty() && delivered != req.quantity {
        warnings.push(format!(
            "Delivery quantities ({delivered}) do not add up to the quote quantity ({})",
            req.quantity
        ));
    }
    let freight = match req.target_freight_price {
        Some(target) if !deliveries.is_empty() => target,
        _ => deliveries.iter().map(|d| d.freight_price).sum(),
    };
    Ok(Priced {
        customer_code: customer.code.clone(),
        product: QuotedProduct {
            product_code,
            tree_node_id,
            filter_values,
            description,
            quantity: req.quantity,
            kinds: req.kinds,
            price: breakdown.price,
            breakdown,
        },
        deliveries,
        freight,
        warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn priced(body: Value) -> Result<Priced, String> {
        price(&crate::data::demo(), &read(&body)?)
    }

    #[test]
    fn product_codes_and_errors() {
        let p = priced(json!({"CustomerCode": "WEBSHOP", "ProductCode": "bc-std",
            "SelectedQuantity": {"Quantity": 500}}))
        .expect("priced");
        assert_eq!(p.product.price, Money::from_minor(3940));
        let e = priced(json!({"CustomerCode": "WEBSHOP", "ProductCode": "NOPE",
            "SelectedQuantity": {"Quantity": 500}}));
        assert_eq!(e.err().as_deref(), Some(INVALID_PRODUCT_CODE));
        let e = priced(
            json!({"CustomerCode": "WEBSHOP", "ProductCode": "BANNER-PVC",
            "SelectedQuantity": {"Quantity": 1}}),
        );
        assert_eq!(e.err().as_deref(), Some(PLEASE_CALL));
        let e = priced(json!({"CustomerCode": "OLDCO", "ProductCode": "BC-STD",
            "SelectedQuantity": {"Quantity": 500}}));
        assert!(e.is_err());
    }

    #[test]
    fn filters_and_visibility() {
        let body = |node: i64, customer: &str| {
            json!({"CustomerCode": customer, "SelectedQuantity": {"Quantity": 1000},
              "FilterInput": {"TreeNodeID": node, "FilterValues": [
                {"Name": "Stock", "Value": "7002"}, {"Name": "FinishSize", "Value": "11"},
                {"Name": "Process", "Value": "51,1"}]}})
        };
        // Flyers: setup 25.00; per 1000 10 + 18 + 15 + 18 = 61.00; 15 % off 61.00.
        let p = priced(body(1111, "WEBSHOP")).expect("priced");
        assert_eq!(p.product.price, Money::from_minor(2500 + 6100 - 915));
        // ACME sees flyers (5 % off) but not posters.
        assert!(priced(body(1111, "ACME-MKT")).is_ok());
        assert!(priced(body(1211, "ACME-MKT")).is_err());
        let mut missing = body(1111, "WEBSHOP");
        missing["FilterInput"]["FilterValues"] = json!([{"Name": "Stock", "Value": "7002"}]);
        assert!(priced(missing).is_err());
    }

    #[test]
    fn deliveries_add_freight() {
        let p = priced(json!({"CustomerCode": "WEBSHOP", "ProductCode": "BC-STD",
            "SelectedQuantity": {"Quantity": 500},
            "Deliveries": [{"Quantity": 300}, {"Quantity": 200, "FreightMethod": "express"}]}))
        .expect("priced");
        assert_eq!(p.freight, Money::from_minor(795 + 1595));
        assert!(p.warning.is_none());
    }
}
