//! `stockitems`: stock levels by ID or code.

use super::{AppState, Params, filters};
use crate::config::ProductShape;
use crate::envelope;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn list(State(state): State<AppState>, params: Params) -> Response {
    // Where products are the stock items, there is no such endpoint.
    if state.config().product_shape == ProductShape::ProductsAreStockItems {
        return envelope::not_found(
            "No HTTP resource was found that matches the request URI '/TharsternAPI/api/stockitems'.",
        );
    }
    let ([id], paging) = match filters(&state, &params, ["id"]) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let code = params.get("code");
    let db = state.read();
    let (items, total) = paging.take(
        db.stock_items
            .iter()
            .filter(|s| id.is_none_or(|id| s.id == id))
            .filter(|s| code.is_none_or(|c| s.code.eq_ignore_ascii_case(c)))
            .cloned(),
    );
    drop(db);
    envelope::list(items, total)
}
