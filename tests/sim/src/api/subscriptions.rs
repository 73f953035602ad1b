//! `webhooks/subscriptions`: subscribe, list, unsubscribe.

use super::{AppState, json_body};
use crate::envelope;
use crate::json::optional_text;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    if !body.is_object() {
        return envelope::problem("The request body must be a JSON object.");
    }
    let mut problems = Vec::new();
    let url = optional_text(&body, "Url").unwrap_or_default();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        problems.push("Url must be an absolute http:// or https:// URL.".to_string());
    }
    let secret = optional_text(&body, "Secret").unwrap_or_default();
    if secret.is_empty() {
        problems.push("Secret is required (it keys the HMAC signature).".to_string());
    }
    if !problems.is_empty() {
        return envelope::bad_request(problems);
    }
    let sub = state.webhooks.subscribe(url, secret);
    tracing::info!(id = sub.id, url = %sub.url, "webhook subscription added");
    envelope::ok(json!({ "ID": sub.id }))
}

pub async fn list(State(state): State<AppState>) -> Response {
    let subs = state.subscriptions();
    let total = subs.len();
    envelope::list(subs, total)
}

pub async fn remove(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match id.trim().parse::<i64>() {
        Ok(id) if state.webhooks.unsubscribe(id) => envelope::ok(json!({ "ID": id })),
        _ => envelope::not_found(&format!("Subscription '{id}' does not exist.")),
    }
}
