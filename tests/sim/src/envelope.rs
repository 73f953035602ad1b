//! Tharstern's response envelope:
//! `{"Status": {"Success": bool, "Message": "..."}, "Details": ...}`.
//!
//! Bodies are serialised straight from typed values (never via
//! `serde_json::Value`) so that money keeps its two decimals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

pub const UNAUTHORIZED_MESSAGE: &str = "Authorization has been denied for this request.";
pub const INVALID_MESSAGE: &str = "The request is invalid.";

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Status<'a> {
    success: bool,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope<'a, T> {
    status: Status<'a>,
    details: T,
}

/// `{"Items": [...], "TotalItemCount": n}`
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemList<T> {
    pub items: Vec<T>,
    pub total_item_count: usize,
}

/// A JSON response with any status.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            bytes,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// An envelope with any status, success flag and message.
pub fn envelope<T: Serialize>(
    status: StatusCode,
    success: bool,
    message: &str,
    details: T,
) -> Response {
    json_response(
        status,
        &Envelope {
            status: Status { success, message },
            details,
        },
    )
}

/// 200, `Success: true`.
pub fn ok<T: Serialize>(details: T) -> Response {
    envelope(StatusCode::OK, true, "", details)
}

/// 200 with a page of items.
pub fn list<T: Serialize>(items: Vec<T>, total_item_count: usize) -> Response {
    ok(ItemList {
        items,
        total_item_count,
    })
}

/// 400 with `Details.Result.Problems`.
pub fn bad_request(problems: Vec<String>) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        false,
        INVALID_MESSAGE,
        json!({"Result": {"Problems": problems}}),
    )
}

/// Validation problems; answered as 400 with `Details.Result.Problems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<String>);

impl IntoResponse for Problems {
    fn into_response(self) -> Response {
        bad_request(self.0)
    }
}

/// 400 with a single problem.
pub fn problem(text: impl Into<String>) -> Response {
    bad_request(vec![text.into()])
}

pub fn not_found(message: &str) -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        false,
        message,
        serde_json::Value::Null,
    )
}

pub fn unauthorized() -> Response {
    envelope(
        StatusCode::UNAUTHORIZED,
        false,
        UNAUTHORIZED_MESSAGE,
        serde_json::Value::Null,
    )
}
