//! The HTTP server: routing, the middleware around every call (call log,
//! case-insensitive paths, faults, credentials) and the auto-advance timer.

use crate::admin;
use crate::api::{self, AppState, Family, INVALID_LOGIN_TOKEN, LOGIN, html, is_error_answer};
use crate::faults::{After, Before};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use sim_kit::calls::CallId;
use sim_kit::params::Params;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The message of an injected `IsError`.
pub const INJECTED_ERROR: &str = "An unexpected error has occurred.";

/// The outer router only wraps: it logs the call and normalises the path,
/// then the inner router routes on the normalised path.
pub fn app(state: AppState) -> Router {
    let inner = api::router()
        .merge(admin::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), api_layer))
        .with_state(state.clone());
    Router::new()
        .fallback_service(inner)
        .layer(from_fn(|req, next| {
            sim_kit::server::normalize_path(
                &[api::QUOTE_PROCESS_BASE, api::WEBHOOK_SERVICE_BASE],
                req,
                next,
            )
        }))
        .layer(from_fn_with_state(state, record_call))
}

/// Serves until `shutdown` turns; runs the auto-advance timer if set.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    if let Some(every) = state.config().auto_advance {
        tokio::spawn(auto_advance(state.clone(), every));
    }
    sim_kit::server::serve(listener, app(state), shutdown).await
}

async fn auto_advance(state: AppState, every: Duration) {
    while state.sleep(every).await {
        state.advance_all_jobs();
    }
}

async fn record_call(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state.calls.record(admin::ADMIN_BASE, req, next).await
}

/// Around every API handler: faults before, credentials, the handler,
/// faults after.
async fn api_layer(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let Some((endpoint, family)) = matched.as_ref().and_then(|m| api::endpoint_of(m.as_str()))
    else {
        return next.run(req).await;
    };
    let call = req.extensions().get::<CallId>().copied();
    let note = |fault: Option<&str>| {
        if let Some(id) = call {
            state.calls.annotate(id, Some(endpoint), fault);
        }
    };
    note(None);
    if !method_allowed(endpoint, family, req.method()) {
        // The router answers 405 before anything else, as IIS does.
        return next.run(req).await;
    }
    let uses_token = family == Family::QuoteProcess && endpoint != LOGIN;
    let token = Params::from_query(req.uri().query().unwrap_or_default())
        .get("LoginToken")
        .map(str::to_string);

    let (latency, before) = state.faults.before(endpoint, uses_token);
    if !latency.is_zero() && !state.sleep(latency).await {
        return unavailable();
    }
    match before {
        Some(Before::Hang(hold)) => {
            note(Some("hang"));
            state.sleep(hold).await;
            return unavailable();
        }
        Some(Before::ServerError) => {
            note(Some("server_error"));
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Object reference not set to an instance of an object.",
            );
        }
        Some(Before::ExpiredToken) => {
            note(Some("expired_token"));
            if let Some(t) = &token {
                state.tokens.expire(t);
            }
            return is_error_answer(endpoint, INVALID_LOGIN_TOKEN);
        }
        Some(Before::IsError) => {
            note(Some("is_error"));
            return is_error_answer(endpoint, INJECTED_ERROR);
        }
        None => {}
    }

    match family {
        Family::QuoteProcess if uses_token => {
            let valid = token
                .as_deref()
                .is_some_and(|t| state.tokens.check_and_renew(t, state.token_lifetime()));
            if !valid {
                return is_error_answer(endpoint, INVALID_LOGIN_TOKEN);
            }
        }
        Family::WebhookService if !api::webhook_service_authorized(&state, req.headers()) => {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        _ => {}
    }

    let response = next.run(req).await;
    match state.faults.after(endpoint) {
        None => response,
        Some(After::IsError) => {
            note(Some("is_error_after_work"));
            is_error_answer(endpoint, INJECTED_ERROR)
        }
        Some(After::HoldBack(hold)) => {
            note(Some("timeout_after_work"));
            if state.sleep(hold).await {
                response
            } else {
                unavailable()
            }
        }
        Some(After::Body(fault)) => {
            note(Some(fault.as_str()));
            sim_kit::faults::spoil(response, fault).await
        }
    }
}

fn method_allowed(endpoint: &str, family: Family, method: &Method) -> bool {
    match (family, endpoint) {
        (Family::QuoteProcess, LOGIN) | (_, "inventorytransactions") => {
            method == Method::GET || method == Method::POST
        }
        (Family::QuoteProcess, _) => method == Method::POST,
        (Family::WebhookService, _) => method == Method::GET,
    }
}

fn unavailable() -> Response {
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is unavailable.",
    )
}

async fn not_found(uri: Uri) -> Response {
    html(
        StatusCode::NOT_FOUND,
        &format!("The resource '{}' cannot be found.", uri.path()),
    )
}

async fn method_not_allowed(method: Method) -> Response {
    html(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("The requested resource does not support http method '{method}'."),
    )
}
