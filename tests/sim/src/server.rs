//! The HTTP server: routing, the middleware around every call (call log,
//! case-insensitive paths, faults, authentication) and the background tasks.

use crate::admin;
use crate::api::{self, API_BASE, AppState};
use crate::calls::CallId;
use crate::envelope;
use crate::faults::{self, BodyFault, Disruption};
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header, uri::PathAndQuery};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Most a response body is read into memory when a fault spoils it.
const MAX_SPOILED_BODY: usize = 64 * 1024 * 1024;
/// How long shutdown waits for open calls before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

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
        .layer(from_fn(normalize_path))
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
    let stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let graceful = axum::serve(listener, app(state)).with_graceful_shutdown(stop(shutdown.clone()));
    tokio::select! {
        r = graceful => r,
        _ = async { stop(shutdown).await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
    }
}

async fn auto_advance(state: AppState, every: Duration) {
    while state.sleep(every).await {
        state.advance_all_jobs();
    }
}

/// Outermost: every call but `/_sim` ones goes into the call log.
async fn record_call(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with(admin::ADMIN_BASE) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let id = state.calls.start(method.as_str(), &path, req.uri().query());
    req.extensions_mut().insert(id);
    let started = Instant::now();
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    state
        .calls
        .finish(id, response.status().as_u16(), elapsed.as_millis() as u64);
    tracing::debug!(%method, %path, status = response.status().as_u16(), ms = elapsed.as_millis() as u64, "call");
    response
}

/// ASP.NET routes case-insensitively and ignores a trailing slash, so API
/// paths are lower-cased (routes are registered in lower case) and trimmed.
async fn normalize_path(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_api = path
        .get(..API_BASE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(API_BASE));
    if is_api {
        let mut normalized = path.to_ascii_lowercase();
        while normalized.len() > 1 && normalized.ends_with('/') {
            normalized.pop();
        }
        if let Some(q) = req.uri().query() {
            normalized = format!("{normalized}?{q}");
        }
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = PathAndQuery::try_from(normalized) {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    next.run(req).await
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
            note(Some(match fault {
                BodyFault::Malformed => "malformed_json",
                BodyFault::Truncated => "truncated_json",
            }));
            spoil(response, fault).await
        }
    }
}

async fn spoil(response: Response, fault: BodyFault) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_SPOILED_BODY)
        .await
        .unwrap_or_default();
    let spoiled = match fault {
        BodyFault::Malformed => faults::malform(&bytes),
        BodyFault::Truncated => faults::truncate(&bytes),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(spoiled))
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
