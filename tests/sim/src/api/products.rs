//! `producttypes` and `products` (filtered by what a customer may see).

use super::{AppState, Params, filters};
use crate::envelope;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn product_types(State(state): State<AppState>, params: Params) -> Response {
    let ([id], paging) = match filters(&params, ["id"]) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let (items, total) = paging.take(
        state
            .catalog()
            .product_types
            .iter()
            .filter(|t| id.is_none_or(|id| t.id == id))
            .map(|t| json!({"ID": t.id, "Name": t.name, "Kind": t.kind, "WorkType": t.work_type})),
    );
    envelope::list(items, total)
}

/// Without `customerCode` every product is listed; with an unknown one,
/// none.
pub async fn products(State(state): State<AppState>, params: Params) -> Response {
    let ([type_id], paging) = match filters(&params, ["productTypeId"]) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let code = params.get("productCode");
    let catalog = state.catalog();
    let keep = |p: &&crate::model::Product| {
        code.is_none_or(|c| p.code.eq_ignore_ascii_case(c))
            && type_id.is_none_or(|t| p.product_type_id == t)
    };
    let (items, total) = match params.get("customerCode") {
        None => paging.take(catalog.products.iter().filter(keep)),
        Some(customer) => {
            let customer_id = state.read().customer_by_code(customer).map(|c| c.id);
            match customer_id {
                Some(id) => paging.take(catalog.products_for(id).filter(keep)),
                None => (Vec::new(), 0),
            }
        }
    };
    envelope::list(items, total)
}
