//! `EstRequest/{id}/Example`, `estrequest` (price = new estimate) and
//! `estimates` (look-up).

use super::{AppState, Params, filters, json_body};
use crate::envelope;
use crate::estrequest;
use crate::json::nested_code;
use crate::model::Estimate;
use crate::money::Money;
use crate::pricing;
use crate::server::AppliedFault;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const CALL_FOR_PRICE: &str = "Please call for price";
/// The unhelpful message of the "not successful, but created" quirk.
pub const QUIRK_MESSAGE: &str = "An error has occurred.";

/// An estimate as the API shows it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EstimateView {
    #[serde(rename = "ID")]
    id: i64,
    estimate_ref: String,
    title: String,
    quantity: i64,
    total_price: Money,
    customer_code: String,
    product_type_id: i64,
    created_at: String,
}

impl From<&Estimate> for EstimateView {
    fn from(e: &Estimate) -> Self {
        Self {
            id: e.id,
            estimate_ref: e.estimate_ref.clone(),
            title: e.title.clone(),
            quantity: e.quantity,
            total_price: e.total_price,
            customer_code: e.customer_code.clone(),
            product_type_id: e.product_type_id,
            created_at: e.created_at.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EstimateDetails {
    estimate: Option<EstimateView>,
}

pub async fn example(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let product_type = id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| state.catalog().product_type(id));
    match product_type {
        Some(pt) => envelope::ok(estrequest::example(pt)),
        None => envelope::not_found(&format!("Product type '{id}' does not exist.")),
    }
}

/// Validates, prices and stores an estimate request.
pub async fn request(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    let catalog = state.catalog();
    // Customers are checked whatever else is wrong, so one answer lists
    // every problem.
    let mut problems = Vec::new();
    let customer_code = {
        let db = state.read();
        let mut known = |field: &str, label: &str| {
            let code = nested_code(&body, field)?;
            let found = db.customer_by_code(&code).map(|c| c.code.clone());
            if found.is_none() {
                problems.push(format!("{label} '{code}' does not exist."));
            }
            found
        };
        let code = known("Customer", "Customer");
        known("DeliveryCustomer", "Delivery customer");
        code
    };
    let parsed = match estrequest::parse(catalog, &body) {
        Ok(p) => p,
        Err(more) => return envelope::bad_request([more, problems].concat()),
    };
    let Some(pt) = catalog.product_type(parsed.product_type_id) else {
        return envelope::problem(format!(
            "Product type {} does not exist.",
            parsed.product_type_id
        ));
    };
    let breakdown = match pricing::price(catalog, pt, &parsed.input) {
        Ok(b) if problems.is_empty() => b,
        Ok(_) => return envelope::bad_request(problems),
        Err(more) => return envelope::bad_request([problems, more].concat()),
    };
    let customer_code = customer_code.unwrap_or_default();

    let unpriced = state
        .config()
        .unpriced_work_types
        .iter()
        .any(|w| w.eq_ignore_ascii_case(&pt.work_type));
    if unpriced {
        return envelope::envelope(
            StatusCode::OK,
            false,
            CALL_FOR_PRICE,
            EstimateDetails { estimate: None },
        );
    }

    let quantity = parsed.input.quantity;
    let title = parsed
        .title
        .unwrap_or_else(|| format!("{} x {quantity}", pt.name));
    let estimate =
        state
            .write()
            .insert_estimate(title, quantity, customer_code, pt.id, breakdown, body);
    tracing::debug!(id = estimate.id, total = %estimate.total_price, "estimate created");

    if state.faults.success_false("estrequest") {
        let mut response = envelope::envelope(
            StatusCode::OK,
            false,
            QUIRK_MESSAGE,
            EstimateDetails { estimate: None },
        );
        response
            .extensions_mut()
            .insert(AppliedFault("success_false"));
        return response;
    }
    envelope::ok(EstimateDetails {
        estimate: Some(EstimateView::from(&estimate)),
    })
}

/// Filters: `id`, `estimateRef` (exact), `keyword` (substring of the title);
/// all case-insensitive and combined with AND.
pub async fn list(State(state): State<AppState>, params: Params) -> Response {
    let ([id], paging) = match filters(&state, &params, ["id"]) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let reference = params.get("estimateRef");
    let keyword = params.get("keyword").map(str::to_lowercase);
    let db = state.read();
    let (items, total) = paging.take(
        db.estimates
            .iter()
            .filter(|e| id.is_none_or(|id| e.id == id))
            .filter(|e| reference.is_none_or(|r| e.estimate_ref.eq_ignore_ascii_case(r)))
            .filter(|e| {
                keyword
                    .as_deref()
                    .is_none_or(|k| e.title.to_lowercase().contains(k))
            })
            .map(EstimateView::from),
    );
    drop(db);
    envelope::list(items, total)
}
