//! The HTTP server: routing, the middleware around every call (call log,
//! case-insensitive paths, faults, authentication) and the background tasks.

use crate::admin;
use crate::api::{self, API_BASE, AppState};
use crate::calls::CallId;
use crate::envelope;
use crate::faults::Disruption;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use sim_kit::faults::spoil;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Marks a response with a fault the handler injected itself (the
/// estimate quirk), so the call log can show it.
#[derive(Debug, Clone, Copy)]
pub struct AppliedFault(pub &'static str);

/// The whole application. The outer router only wraps: it logs the call,
/// normalises the path, and hands the request to the inner router, which
/// routes on the normalised path.
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
            sim_kit::server::normalize_path(&[API_BASE], req, next)
        }))
        .layer(from_fn_with_state(state, record_call))
}

/// Serves until `shutdown` turns true (or its sender goes away).
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

/// Outermost: every call but `/_sim` ones goes into the call log.
async fn record_call(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state.calls.record(admin::ADMIN_BASE, req, next).await
}

/// Around every API handler: injected faults, then the token check.
async fn api_layer(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let Some(endpoint) = matched.as_ref().and_then(|m| api::endpoint_of(m.as_str())) else {
        return next.run(req).await;
    };
    let call = req.extensions().get::<CallId>().copied();
    let note = |fault: Option<&str>| {
        if let Some(id) = call {
            state.calls.annotate(id, Some(endpoint), fault);
        }
    };
    note(None);

    let (latency, disruption) = state.faults.before(endpoint);
    if !latency.is_zero() && !state.sleep(latency).await {
        return unavailable();
    }
    match disruption {
        Some(Disruption::Hang(hold)) => {
            note(Some("hang"));
            tracing::debug!(endpoint, ?hold, "hanging");
            // Only this task waits; other calls are served meanwhile.
            state.sleep(hold).await;
            return unavailable();
        }
        Some(Disruption::ServerError) => {
            note(Some("server_error"));
            return envelope::envelope(
                StatusCode::INTERNAL_SERVER_ERROR,
                false,
                "An error has occurred.",
                serde_json::Value::Null,
            );
        }
        Some(Disruption::RateLimited { retry_after_secs }) => {
            note(Some("rate_limit"));
            let mut r = envelope::envelope(
                StatusCode::TOO_MANY_REQUESTS,
                false,
                "Too many requests; retry later.",
                serde_json::Value::Null,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return r;
        }
        None => {}
    }

    if endpoint != "authentication/GenerateAPIToken" && !api::is_authorized(&state, req.headers()) {
        return envelope::unauthorized();
    }
    let response = next.run(req).await;
    if let Some(AppliedFault(name)) = response.extensions().get::<AppliedFault>() {
        note(Some(name));
    }
    match state.faults.body_fault(endpoint) {
        None => response,
        Some(fault) => {
            note(Some(fault.as_str()));
            spoil(response, fault).await
        }
    }
}

fn unavailable() -> Response {
    envelope::envelope(
        StatusCode::SERVICE_UNAVAILABLE,
        false,
        "The service is unavailable.",
        serde_json::Value::Null,
    )
}

async fn not_found(uri: Uri) -> Response {
    envelope::not_found(&format!(
        "No HTTP resource was found that matches the request URI '{}'.",
        uri.path()
    ))
}

async fn method_not_allowed(method: Method) -> Response {
    envelope::envelope(
        StatusCode::METHOD_NOT_ALLOWED,
        false,
        &format!("The requested resource does not support http method '{method}'."),
        serde_json::Value::Null,
    )
}
