//! `producttypes` and `products` (filtered by what a customer may see).

use super::{AppState, Params, filters};
use crate::config::ProductShape;
use crate::envelope;
use crate::model::Product;
use crate::store::Db;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

pub async fn product_types(State(state): State<AppState>, params: Params) -> Response {
    let ([id], paging) = match filters(&state, &params, ["id"]) {
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
    let ([type_id], paging) = match filters(&state, &params, ["productTypeId"]) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let code = params.get("productCode");
    let catalog = state.catalog();
    let keep = |p: &&Product| {
        code.is_none_or(|c| p.code.eq_ignore_ascii_case(c))
            && type_id.is_none_or(|t| p.product_type_id == t)
    };
    let unfiltered = code.is_none() && type_id.is_none();
    let (items, total) = match params.get("customerCode") {
        None if unfiltered => {
            let (page, total) = paging.slice(&catalog.products);
            (page.iter().collect(), total)
        }
        None => paging.take(catalog.products.iter().filter(keep)),
        Some(customer) => {
            let customer_id = state.read().customer_by_code(customer).map(|c| c.id);
            match customer_id {
                Some(id) if unfiltered => {
                    let (page, total) = paging.slice(catalog.visible_to(id));
                    let items = page.iter().map(|&i| &catalog.products[i as usize]);
                    (items.collect(), total)
                }
                Some(id) => paging.take(catalog.products_for(id).filter(keep)),
                None => (Vec::new(), 0),
            }
        }
    };
    match state.config().product_shape {
        ProductShape::StockItemLinked => envelope::list(items, total),
        ProductShape::ProductsAreStockItems => {
            let db = state.read();
            let rows: Vec<StockProductRow> =
                items.iter().map(|p| StockProductRow::new(p, &db)).collect();
            drop(db);
            envelope::list(rows, total)
        }
    }
}

/// A product row where products are the stock items: the live `FreeStock`
/// of its stock item instead of a `StockItemID`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StockProductRow<'a> {
    #[serde(rename = "ID")]
    id: i64,
    code: &'a str,
    name: &'a str,
    #[serde(rename = "ProductTypes_ID")]
    product_type_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    free_stock: Option<i64>,
}

impl<'a> StockProductRow<'a> {
    fn new(p: &'a Product, db: &Db) -> Self {
        let stock = p
            .stock_item_id
            .and_then(|id| db.stock_items.iter().find(|s| s.id == id));
        StockProductRow {
            id: p.id,
            code: &p.code,
            name: &p.name,
            product_type_id: p.product_type_id,
            free_stock: stock.map(|s| s.free_stock),
        }
    }
}
