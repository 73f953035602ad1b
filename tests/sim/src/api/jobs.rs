//! `job/createfromestimate` and `jobs`.

use super::{AppState, Params, filters, json_body};
use crate::envelope;
use crate::json::{optional_text, required_int};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Creates a job from an estimate. `SetAsProductionReady` and
/// `SubmitToWorkflow` are accepted and ignored: every job starts `Received`.
pub async fn create_from_estimate(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    if !body.is_object() {
        return envelope::problem("The request body must be a JSON object.");
    }
    let estimate_id = match required_int(&body, "EstimateID", "EstimateID") {
        Ok(id) => id,
        Err(p) => return envelope::problem(p),
    };
    let job = {
        let mut db = state.write();
        if db.estimate(estimate_id).is_none() {
            return envelope::problem(format!("Estimate {estimate_id} does not exist."));
        }
        db.create_job(
            None,
            Some(estimate_id),
            optional_text(&body, "Ref1"),
            optional_text(&body, "Ref2"),
        )
    };
    state.job_changed(&job);
    envelope::ok(json!({ "JobNo": job.job_no, "ID": job.id }))
}

/// Filters `id`, `jobNo`, `orderID`, combined with AND.
pub async fn list(State(state): State<AppState>, params: Params) -> Response {
    let ([id, order_id], paging) = match filters(&state, &params, ["id", "orderID"]) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let job_no = params.get("jobNo");
    let db = state.read();
    let (items, total) = paging.take(
        db.jobs
            .iter()
            .filter(|j| id.is_none_or(|id| j.id == id))
            .filter(|j| order_id.is_none_or(|o| j.order_id == Some(o)))
            .filter(|j| job_no.is_none_or(|n| j.job_no.eq_ignore_ascii_case(n)))
            .cloned(),
    );
    drop(db);
    envelope::list(items, total)
}
