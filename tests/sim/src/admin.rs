//! `/_sim/...`: inspection and control for tests and demos. Plain JSON (no
//! envelope), no authentication, not recorded in the call log.

use crate::api::{AppState, Params};
use crate::envelope::json_response;
use crate::faults::FaultConfig;
use crate::json::optional_text;
use crate::model::JobStatus;
use crate::store::JobError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

pub const ADMIN_BASE: &str = "/_sim";

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &json!({ "Error": message.into() }))
}

fn ok<T: serde::Serialize>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

/// Admin routes, in lower case like every routed path.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_sim", get(summary))
        .route("/_sim/", get(summary))
        .route(
            "/_sim/estimates",
            get(|State(s): State<AppState>| async move { ok(&s.estimates()) }),
        )
        .route(
            "/_sim/orders",
            get(|State(s): State<AppState>| async move { ok(&s.orders()) }),
        )
        .route(
            "/_sim/customers",
            get(|State(s): State<AppState>| async move { ok(&s.customers()) }),
        )
        .route(
            "/_sim/jobs",
            get(|State(s): State<AppState>| async move { ok(&s.jobs()) }),
        )
        .route(
            "/_sim/stockitems",
            get(|State(s): State<AppState>| async move { ok(&s.stock_items()) }),
        )
        .route(
            "/_sim/subscriptions",
            get(|State(s): State<AppState>| async move { ok(&s.subscriptions()) }),
        )
        .route(
            "/_sim/deliveries",
            get(|State(s): State<AppState>| async move { ok(&s.deliveries()) }),
        )
        .route("/_sim/calls", get(calls))
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route("/_sim/reset", post(reset))
        .route("/_sim/jobs/{job_no}/advance", post(advance))
}

async fn summary(State(s): State<AppState>) -> Response {
    let db = s.read();
    let body = json!({
        "ProductTypes": s.catalog().product_types.len(),
        "Products": s.catalog().products.len(),
        "Customers": db.customers.len(),
        "StockItems": db.stock_items.len(),
        "Estimates": db.estimates.len(),
        "Orders": db.orders.len(),
        "Jobs": db.jobs.len(),
    });
    drop(db);
    ok(&body)
}

/// `?endpoint=orders/submit&method=POST` narrow the list.
async fn calls(State(s): State<AppState>, params: Params) -> Response {
    let endpoint = params.get("endpoint");
    let method = params.get("method");
    let calls: Vec<_> = s
        .calls()
        .into_iter()
        .filter(|c| {
            endpoint.is_none_or(|e| {
                c.endpoint
                    .as_deref()
                    .is_some_and(|ce| ce.eq_ignore_ascii_case(e))
            })
        })
        .filter(|c| method.is_none_or(|m| c.method.eq_ignore_ascii_case(m)))
        .collect();
    ok(&calls)
}

async fn get_faults(State(s): State<AppState>) -> Response {
    ok(&s.faults())
}

/// Replaces the whole fault configuration.
async fn put_faults(State(s): State<AppState>, body: Bytes) -> Response {
    let config: FaultConfig = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("invalid fault configuration: {e}"),
            );
        }
    };
    match s.set_faults(config) {
        Ok(()) => ok(&s.faults()),
        Err(problems) => json_response(StatusCode::BAD_REQUEST, &json!({ "Problems": problems })),
    }
}

/// Clears calls, deliveries and faults; `?data=true` also restores the data.
async fn reset(State(s): State<AppState>, params: Params) -> Response {
    let data = params
        .get("data")
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    if data {
        s.reset_data();
    } else {
        s.reset();
    }
    ok(&json!({ "Reset": true, "Data": data }))
}

/// Body (optional): `{"Status": "Despatched", "TrackingNumber": "..."}`.
/// Without `Status` the job moves one step on.
async fn advance(State(s): State<AppState>, Path(job_no): Path<String>, body: Bytes) -> Response {
    let (status, tracking) = if body.iter().all(u8::is_ascii_whitespace) {
        (None, None)
    } else {
        let v: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
        };
        let status = match optional_text(&v, "Status") {
            None => None,
            Some(text) => match JobStatus::parse(&text) {
                Some(st) => Some(st),
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "unknown status '{text}'; one of: {}",
                            JobStatus::ALL.map(JobStatus::as_str).join(", ")
                        ),
                    );
                }
            },
        };
        (status, optional_text(&v, "TrackingNumber"))
    };
    match s.advance_job(&job_no, status, tracking) {
        Ok(job) => ok(&job),
        Err(e @ JobError::NotFound(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ JobError::AlreadyDespatched(_)) => error(StatusCode::CONFLICT, e.to_string()),
    }
}
