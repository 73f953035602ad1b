//! `orders/submit` (idempotent by `UniqueSubmitOrderID`) and `orders`.

use super::{AppState, Params, filters, json_body};
use crate::envelope;
use crate::json::{decimal_text, field, int, nested_code, optional_text};
use crate::money::Money;
use crate::store::{OrderItemRequest, OrderRequest};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Reads one order; problems fail that order only (ID 0), as Tharstern
/// reports failures per order.
fn read_order(i: usize, v: &Value) -> OrderRequest {
    let mut req = OrderRequest::default();
    if !v.is_object() {
        req.problems.push(format!("Orders[{i}] must be an object."));
        return req;
    }
    req.unique_submit_order_id = optional_text(v, "UniqueSubmitOrderID");
    req.customer_code = nested_code(v, "InvoiceCustomer");
    req.order_date = optional_text(v, "OrderDate");
    req.required_date = optional_text(v, "RequiredDate");
    req.ref1 = optional_text(v, "Ref1");
    req.ref2 = optional_text(v, "Ref2");
    match field(v, "Items") {
        None => {}
        Some(Value::Array(items)) => {
            for (n, item) in items.iter().enumerate() {
                match read_item(n + 1, item) {
                    Ok(item) => req.items.push(item),
                    Err(p) => req.problems.push(p),
                }
            }
        }
        Some(_) => req.problems.push("Items must be an array.".into()),
    }
    req
}

fn read_item(n: usize, v: &Value) -> Result<OrderItemRequest, String> {
    if !v.is_object() {
        return Err(format!("Item {n} must be an object."));
    }
    // 0 means "none" for the two references, as in Tharstern's own clients.
    let reference = |name: &str| match field(v, name) {
        None => Ok(None),
        Some(x) => match int(x) {
            Some(0) => Ok(None),
            Some(id) => Ok(Some(id)),
            None => Err(format!("Item {n}: {name} must be a whole number.")),
        },
    };
    let quantity = match field(v, "Quantity") {
        None => return Err(format!("Item {n}: Quantity is required.")),
        Some(q) => int(q).ok_or_else(|| format!("Item {n}: Quantity must be a whole number."))?,
    };
    let price = match field(v, "Price") {
        None => None,
        Some(p) => Some(
            decimal_text(p)
                .and_then(|t| Money::parse(&t))
                .ok_or_else(|| format!("Item {n}: Price must be a number."))?,
        ),
    };
    Ok(OrderItemRequest {
        stock_item_id: reference("StockItemID")?,
        estimate_id: reference("EstimateID")?,
        quantity,
        price,
        ref1: optional_text(v, "Ref1"),
        ref2: optional_text(v, "Ref2"),
        description: optional_text(v, "Description"),
    })
}

pub async fn submit(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    let orders = match field(&body, "Orders") {
        Some(Value::Array(orders)) => orders,
        Some(_) => return envelope::problem("Orders must be an array."),
        None => return envelope::problem("Orders is required."),
    };
    let requests: Vec<OrderRequest> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| read_order(i, o))
        .collect();
    // One write lock for the whole batch: a repeated UniqueSubmitOrderID
    // can never slip in between the look-up and the insert.
    let outcomes: Vec<_> = {
        let mut db = state.write();
        requests.iter().map(|r| db.submit_order(r)).collect()
    };
    let mut answers = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        if let Some(job) = &outcome.new_job {
            state.job_changed(job);
        }
        tracing::info!(id = outcome.id, details = %outcome.status_details, "order submitted");
        answers.push(json!({
            "ID": outcome.id,
            "OrderNo": outcome.order_no,
            "UniqueSubmitOrderID": outcome.unique_submit_order_id,
            "StatusDetails": outcome.status_details,
        }));
    }
    envelope::ok(json!({ "Orders": answers }))
}

fn id_list(text: Option<&str>) -> Result<Option<Vec<i64>>, String> {
    text.map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| {
                    format!("Query parameter 'orderIDs' has '{s}', not a whole number.")
                })
            })
            .collect()
    })
    .transpose()
}

/// Filters `orderIDs` and `orderNOs` (comma-separated) and
/// `uniqueSubmitOrderID`, combined with AND.
pub async fn list(State(state): State<AppState>, params: Params) -> Response {
    let ([], paging) = match filters(&state, &params, []) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let ids = match id_list(params.get("orderIDs")) {
        Ok(ids) => ids,
        Err(p) => return envelope::problem(p),
    };
    let numbers: Option<Vec<&str>> = params.get("orderNOs").map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    });
    let unique = params.get("uniqueSubmitOrderID");
    let db = state.read();
    let (items, total) = paging.take(
        db.orders
            .iter()
            .filter(|o| ids.as_ref().is_none_or(|ids| ids.contains(&o.id)))
            .filter(|o| {
                numbers
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|n| n.eq_ignore_ascii_case(&o.order_no)))
            })
            .filter(|o| unique.is_none_or(|u| o.unique_submit_order_id.as_deref() == Some(u)))
            .cloned(),
    );
    drop(db);
    envelope::list(items, total)
}
