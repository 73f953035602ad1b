//! `/_sim/...`: inspection and control for tests and demos. Plain JSON, no
//! authentication, not recorded in the call log.

use crate::api::AppState;
use crate::api::answer_json as json_response;
use crate::faults::FaultConfig;
use crate::model::JobStatus;
use crate::store::JobError;
use crate::webhooks::Event;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use sim_kit::json::optional_text;
use sim_kit::params::Params;

pub const ADMIN_BASE: &str = "/_sim";

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &json!({ "Error": message.into() }))
}

fn ok<T: serde::Serialize>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_sim", get(summary))
        .route("/_sim/", get(summary))
        .route(
            "/_sim/quotes",
            get(|State(s): State<AppState>| async move { ok(&s.quotes()) }),
        )
        .route(
            "/_sim/acceptances",
            get(|State(s): State<AppState>| async move { ok(&s.acceptances()) }),
        )
        .route("/_sim/jobs", get(jobs))
        .route(
            "/_sim/consignments",
            get(|State(s): State<AppState>| async move { ok(&s.consignments()) }),
        )
        .route(
            "/_sim/inventory",
            get(|State(s): State<AppState>| async move { ok(&s.inventory()) }),
        )
        .route(
            "/_sim/movements",
            get(|State(s): State<AppState>| async move { ok(&s.movements()) }),
        )
        .route(
            "/_sim/customers",
            get(|State(s): State<AppState>| async move { ok(&s.customers()) }),
        )
        .route(
            "/_sim/catalogue",
            get(|State(s): State<AppState>| async move {
                ok(&json!({"Tree": s.data().tree, "Products": s.data().products}))
            }),
        )
        .route("/_sim/calls", get(calls))
        .route("/_sim/deliveries", get(deliveries))
        .route(
            "/_sim/webhooks",
            get(get_webhooks).put(put_webhooks).delete(delete_webhooks),
        )
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route("/_sim/reset", post(reset))
        .route("/_sim/tokens/expire", post(expire_tokens))
        .route("/_sim/jobs/advance", post(advance_all))
        .route("/_sim/jobs/{job_no}/advance", post(advance))
        .route("/_sim/jobs/{job_no}/cancel", post(cancel))
}

/// Counts, with jobs per `CustomerReference` and the duplicated ones.
async fn summary(State(s): State<AppState>) -> Response {
    ok(&s.counts())
}

/// `?reference=` narrows to one `CustomerReference`.
async fn jobs(State(s): State<AppState>, params: Params) -> Response {
    match params.get("reference") {
        Some(r) => ok(&s.jobs_for_reference(r)),
        None => ok(&s.jobs()),
    }
}

/// `?endpoint=AcceptQuote&method=POST` narrow the list.
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

/// `?event=CreateJob` narrows the list.
async fn deliveries(State(s): State<AppState>, params: Params) -> Response {
    let event = params.get("event");
    let list: Vec<_> = s
        .deliveries()
        .into_iter()
        .filter(|d| event.is_none_or(|e| d.event.eq_ignore_ascii_case(e)))
        .collect();
    ok(&list)
}

async fn get_webhooks(State(s): State<AppState>) -> Response {
    ok(&s.webhook_links())
}

/// `{"Url": "http://..."}` links every event to `Url?event={Name}`;
/// `{"Event": "CreateJob", "Url": "http://..."}` links one event to `Url`
/// exactly as given.
async fn put_webhooks(State(s): State<AppState>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    let Some(url) = optional_text(&v, "Url") else {
        return error(StatusCode::BAD_REQUEST, "Url is required");
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return error(StatusCode::BAD_REQUEST, "Url must be http:// or https://");
    }
    match optional_text(&v, "Event") {
        None => s.set_webhook_url(&url),
        Some(name) => match Event::parse(&name) {
            Some(event) => s.link_webhook(event, &url),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "unknown event '{name}'; one of: {}",
                        Event::ALL.map(Event::as_str).join(", ")
                    ),
                );
            }
        },
    }
    ok(&s.webhook_links())
}

async fn delete_webhooks(State(s): State<AppState>) -> Response {
    s.clear_webhooks();
    ok(&s.webhook_links())
}

async fn get_faults(State(s): State<AppState>) -> Response {
    ok(&s.faults())
}

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

async fn expire_tokens(State(s): State<AppState>) -> Response {
    s.expire_tokens();
    ok(&json!({ "Expired": true }))
}

async fn advance_all(State(s): State<AppState>) -> Response {
    ok(&s.advance_all_jobs())
}

fn job_result(result: Result<crate::model::Job, JobError>) -> Response {
    match result {
        Ok(job) => ok(&job),
        Err(e @ JobError::NotFound(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

/// Body (optional): `{"JobStatus": "Dispatched", "TrackingCode": "..."}`.
/// Without `JobStatus` the job moves one step on.
async fn advance(State(s): State<AppState>, Path(job_no): Path<String>, body: Bytes) -> Response {
    let (status, tracking) = if body.iter().all(u8::is_ascii_whitespace) {
        (None, None)
    } else {
        let v: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
        };
        let status = match optional_text(&v, "JobStatus") {
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
        (status, optional_text(&v, "TrackingCode"))
    };
    job_result(s.advance_job(&job_no, status, tracking))
}

async fn cancel(State(s): State<AppState>, Path(job_no): Path<String>) -> Response {
    job_result(s.cancel_job(&job_no))
}
