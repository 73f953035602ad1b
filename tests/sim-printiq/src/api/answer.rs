//! printIQ's answers: HTTP 200 with `IsError`/`ErrorMessage` (and the
//! simulator's `IsWarning`/`WarningMessage`) beside the result fields;
//! failures outside printIQ's code are IIS/ASP.NET HTML pages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<T> {
    is_error: bool,
    error_message: Option<String>,
    is_warning: bool,
    warning_message: Option<String>,
    #[serde(flatten)]
    body: T,
}

/// A JSON response with any status (bytes straight from the typed value).
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
        Err(e) => html(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// 200, `IsError: false`, with an optional warning.
pub fn ok_with_warning<T: Serialize>(body: T, warning: Option<String>) -> Response {
    json_response(
        StatusCode::OK,
        &Answer {
            is_error: false,
            error_message: None,
            is_warning: warning.is_some(),
            warning_message: warning,
            body,
        },
    )
}

pub fn ok<T: Serialize>(body: T) -> Response {
    ok_with_warning(body, None)
}

/// The result fields an endpoint's error answer carries as null/false, as
/// the KB's "Invalid Product Code" example shows them.
fn null_fields(endpoint: &str) -> Map<String, Value> {
    let mut m = Map::new();
    let mut null = |k: &str| {
        m.insert(k.into(), Value::Null);
    };
    match endpoint {
        "GetPrice" | "CreateQuoteWithDelivery" => {
            null("QuoteDetails");
            m.insert("QuoteAccepted".into(), Value::Bool(false));
        }
        "GetQuoteDetails" => null("QuoteDetails"),
        "AcceptQuote" | "GetAcceptanceDetails" => null("AcceptanceDetails"),
        "GetTreeNodes" => null("TreeNodes"),
        "GetFilters" => null("Filters"),
        "inventorytransactions" => null("Transactions"),
        _ => {}
    }
    m
}

/// HTTP 200, `IsError: true`, `ErrorMessage` as given.
pub fn is_error_answer(endpoint: &str, message: &str) -> Response {
    json_response(
        StatusCode::OK,
        &Answer {
            is_error: true,
            error_message: Some(message.to_string()),
            is_warning: false,
            warning_message: None,
            body: null_fields(endpoint),
        },
    )
}

/// An IIS/ASP.NET-style HTML page (500, 503, 404, 405, 400).
pub fn html(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\
         <body><h1>Server Error in '/' Application.</h1><h2>{}</h2></body></html>\n",
        message.replace('<', "&lt;")
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A request body that is not JSON; answered as a 400 page.
#[derive(Debug)]
pub struct NotJson(String);

impl IntoResponse for NotJson {
    fn into_response(self) -> Response {
        html(
            StatusCode::BAD_REQUEST,
            &format!("The request body is not valid JSON: {}", self.0),
        )
    }
}

/// Parses a JSON body; an empty body counts as `{}` (every field missing,
/// answered as `IsError`).
pub fn json_body(body: &[u8]) -> Result<Value, NotJson> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| NotJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_stays_decimal_through_flatten() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct P {
            price: sim_kit::money::Money,
        }
        let a = Answer {
            is_error: false,
            error_message: None,
            is_warning: false,
            warning_message: None,
            body: P {
                price: sim_kit::money::Money::from_minor(3940),
            },
        };
        let s = serde_json::to_string(&a).unwrap_or_default();
        assert!(s.ends_with(r#""Price":39.40}"#), "{s}");
    }
}
