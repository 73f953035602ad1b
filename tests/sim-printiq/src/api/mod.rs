//! The printIQ API: QuoteProcess under `/api/QuoteProcess/` (login token in
//! the query) and the webhook service under `/WebService/WebHook.svc/json/`
//! (two API headers). Paths are lower-cased before routing, so routes are
//! registered in lower case.

mod answer;
mod quote_process;
mod webhook_service;

pub use answer::{html, is_error_answer, json_response as answer_json};
pub(crate) use webhook_service::is_authorized as webhook_service_authorized;

use crate::state::SimState;
use axum::Router;
use axum::routing::{MethodRouter, get, post};
use std::sync::Arc;

pub const QUOTE_PROCESS_BASE: &str = "/api/QuoteProcess";
pub const WEBHOOK_SERVICE_BASE: &str = "/WebService/WebHook.svc/json";
pub const LOGIN: &str = "GetApplicationLogInToken";
/// The message of an unknown or expired login token (inferred).
pub const INVALID_LOGIN_TOKEN: &str = "Invalid login token";

pub type AppState = Arc<SimState>;

/// Which API an endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    QuoteProcess,
    WebhookService,
}

/// Every endpoint: (canonical name, family).
const ROUTES: [(&str, Family); 12] = [
    (LOGIN, Family::QuoteProcess),
    ("GetTreeNodes", Family::QuoteProcess),
    ("GetFilters", Family::QuoteProcess),
    ("GetPrice", Family::QuoteProcess),
    ("CreateQuoteWithDelivery", Family::QuoteProcess),
    ("AcceptQuote", Family::QuoteProcess),
    ("GetQuoteDetails", Family::QuoteProcess),
    ("GetAcceptanceDetails", Family::QuoteProcess),
    ("AddExternalConsignment", Family::QuoteProcess),
    ("customerbycode/{code}", Family::WebhookService),
    ("inventoryitems/{IICode}", Family::WebhookService),
    ("inventorytransactions", Family::WebhookService),
];

/// The (lower-case) route path of an endpoint.
pub fn route_path(endpoint: &str, family: Family) -> String {
    let base = match family {
        Family::QuoteProcess => QUOTE_PROCESS_BASE,
        Family::WebhookService => WEBHOOK_SERVICE_BASE,
    };
    format!("{base}/{endpoint}").to_ascii_lowercase()
}

/// The canonical endpoint and its family of a matched route path.
pub fn endpoint_of(matched_path: &str) -> Option<(&'static str, Family)> {
    ROUTES
        .iter()
        .find(|(e, f)| route_path(e, *f) == matched_path)
        .copied()
}

pub fn router() -> Router<AppState> {
    let handlers: [MethodRouter<AppState>; 12] = [
        get(quote_process::login).post(quote_process::login),
        post(quote_process::tree_nodes),
        post(quote_process::filters),
        post(quote_process::get_price),
        post(quote_process::create_quote_with_delivery),
        post(quote_process::accept_quote),
        post(quote_process::quote_details),
        post(quote_process::acceptance_details),
        post(quote_process::add_external_consignment),
        get(webhook_service::customer_by_code),
        get(webhook_service::inventory_item),
        get(webhook_service::list_transactions).post(webhook_service::post_transactions),
    ];
    ROUTES
        .iter()
        .zip(handlers)
        .fold(Router::new(), |r, ((name, family), method)| {
            r.route(&route_path(name, *family), method)
        })
}
