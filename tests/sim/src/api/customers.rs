//! `customers`: look up by code or email, and create.

use super::{AppState, Params, filters, json_body};
use crate::envelope;
use crate::json::optional_text;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn list(State(state): State<AppState>, params: Params) -> Response {
    let ([], paging) = match filters(&state, &params, []) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let code = params.get("customerCode");
    let email = params.get("email");
    let db = state.read();
    let (items, total) = paging.take(
        db.customers
            .iter()
            .filter(|c| code.is_none_or(|code| c.code.eq_ignore_ascii_case(code)))
            .filter(|c| email.is_none_or(|email| c.email.eq_ignore_ascii_case(email)))
            .cloned(),
    );
    drop(db);
    envelope::list(items, total)
}

/// Creates a customer; without `Code` one is assigned (`WEB` + 5-digit ID).
pub async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    if !body.is_object() {
        return envelope::problem("The request body must be a JSON object.");
    }
    let mut problems = Vec::new();
    let name = optional_text(&body, "Name");
    if name.is_none() {
        problems.push("Name is required.".to_string());
    }
    let email = optional_text(&body, "Email").unwrap_or_default();
    if !email.is_empty() && !email.contains('@') {
        problems.push(format!("Email '{email}' is not a valid email address."));
    }
    let code = optional_text(&body, "Code");
    if let Some(c) = &code
        && (c.len() > 20 || c.chars().any(char::is_whitespace))
    {
        problems.push(format!(
            "Code '{c}' must be at most 20 characters without spaces."
        ));
    }
    if !problems.is_empty() {
        return envelope::bad_request(problems);
    }
    let created = state
        .write()
        .create_customer(code, name.unwrap_or_default(), email);
    match created {
        Ok(customer) => envelope::ok(json!({ "Customer": customer })),
        Err(p) => envelope::problem(p),
    }
}
