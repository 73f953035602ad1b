//! `/WebService/WebHook.svc/json/...`: customers and inventory, behind the
//! `PrintIQ-API-Name` / `PrintIQ-API-Key` headers (wrong or missing: HTTP
//! 401 with an empty body, checked by the server layer).

use super::AppState;
use super::answer::{is_error_answer, json_body, ok};
use crate::model::{Location, Movement};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use sim_kit::params::Params;

pub const API_NAME_HEADER: &str = "PrintIQ-API-Name";
pub const API_KEY_HEADER: &str = "PrintIQ-API-Key";

pub(crate) fn is_authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let get = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
    };
    let (name, key) = (get(API_NAME_HEADER), get(API_KEY_HEADER));
    state
        .config()
        .api_keys
        .iter()
        .any(|(n, k)| n.eq_ignore_ascii_case(name) && k == key)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CustomerView {
    #[serde(rename = "ID")]
    id: i64,
    code: String,
    name: String,
    email: String,
    phone: String,
    active: bool,
}

/// `customerbycode/{code}` (case-insensitive).
pub async fn customer_by_code(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    match state
        .data()
        .customers
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
    {
        Some(c) => ok(CustomerView {
            id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            active: c.active,
        }),
        None => is_error_answer("customerbycode/{code}", "Customer not found"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ItemView {
    #[serde(rename = "IIKey")]
    ii_key: i64,
    #[serde(rename = "IICode")]
    ii_code: String,
    #[serde(rename = "IIDescription")]
    ii_description: String,
    locations: Vec<Location>,
}

/// `inventoryitems/{IICode}`: stock per location.
pub async fn inventory_item(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let db = state.read();
    match db.inventory_item(&code) {
        Some(i) => ok(ItemView {
            ii_key: i.ii_key,
            ii_code: i.ii_code.clone(),
            ii_description: i.ii_description.clone(),
            locations: i.locations.clone(),
        }),
        None => is_error_answer("inventoryitems/{IICode}", "Inventory item not found"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TransactionsAnswer {
    transactions: Vec<Movement>,
}

/// `GET inventorytransactions[?IICode=]`: the movements posted.
pub async fn list_transactions(State(state): State<AppState>, params: Params) -> Response {
    let code = params.get("IICode").map(str::to_string);
    let transactions = state
        .read()
        .movements
        .iter()
        .filter(|m| {
            code.as_deref()
                .is_none_or(|c| m.ii_code.eq_ignore_ascii_case(c))
        })
        .cloned()
        .collect();
    ok(TransactionsAnswer { transactions })
}

/// `POST inventorytransactions`: one transaction object or an array of
/// them, all or nothing; every one posts a new movement (no
/// de-duplication).
pub async fn post_transactions(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "inventorytransactions";
    let body = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let list = match body {
        Value::Array(list) => list,
        other => vec![other],
    };
    let posted = state.write().post_transactions(&list);
    match posted {
        Ok(transactions) => {
            tracing::info!(n = transactions.len(), "inventory transactions posted");
            ok(TransactionsAnswer { transactions })
        }
        Err(e) => is_error_answer(E, &e),
    }
}
