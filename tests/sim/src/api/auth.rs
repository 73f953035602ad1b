//! `authentication/GenerateAPIToken` and the token check of every other call.

use super::{AppState, Params};
use crate::envelope;
use crate::state::SimState;
use crate::tokens::{ZERO_TOKEN, token_from_header};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::json;

/// Valid credentials get a fresh GUID; anything else gets the all-zero GUID
/// with HTTP 200, as Tharstern does.
pub async fn generate_token(State(state): State<AppState>, params: Params) -> Response {
    let email = params.get("email").unwrap_or_default();
    let password = params.raw("password").unwrap_or_default();
    let application_id = params.get("applicationId").unwrap_or_default();
    let known = state
        .config()
        .api_users
        .iter()
        .any(|(e, p)| e.eq_ignore_ascii_case(email) && p == password);
    let token = if known && !application_id.is_empty() {
        state.tokens.issue()
    } else {
        ZERO_TOKEN.to_string()
    };
    envelope::ok(json!({ "Token": token }))
}

/// Whether the request carries a live token.
pub fn is_authorized(state: &SimState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(token_from_header)
        .is_some_and(|t| state.tokens.is_valid(&t, state.token_lifetime()))
}
