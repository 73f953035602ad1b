//! The HTTP service: the REST API (`/api/v1`), webhooks, the admin pages
//! (`/admin`), `/healthz` and `/metrics`; and a graceful shutdown that lets
//! in-flight requests and order deliveries finish (or cancels them
//! cleanly) before the process exits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::service::Service;
use crate::service::infra::metrics;

pub fn router(svc: Arc<Service>) -> Router {
    let limit = svc.config.server.max_body_kib << 10;
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(svc.clone())
        .merge(crate::service::http::api::router(svc.clone()))
        .nest("/admin", crate::service::http::admin::router(svc))
        .layer(DefaultBodyLimit::max(limit))
}

async fn healthz(State(svc): State<Arc<Service>>) -> Response {
    let db_ok = svc.store.ping().await.is_ok();
    let body = serde_json::json!({
        "status": if db_ok { "ok" } else { "degraded" },
        "database": db_ok,
        "plugins": svc.runtime.plugins().iter().map(|p| p.info.id.clone()).collect::<Vec<_>>(),
    });
    let status = if db_ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(svc): State<Arc<Service>>) -> Response {
    let depth = svc.outbox_depth().await.unwrap_or_default();
    let text = svc.metrics.render(&depth, &svc.runtime.bounds_stats());
    ([(CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

/// Binds the configured address.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr} (is another service using the port?)"))
}

/// Serves until `stop` resolves (e.g. [`shutdown_signal`]), then drains:
/// no new connections, in-flight requests get the grace period, the outbox
/// worker finishes or cancels its deliveries (they stay in the outbox).
pub async fn serve(
    svc: Arc<Service>,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let background = svc.start_background();
    let grace = Duration::from_secs(svc.config.server.shutdown_grace_secs);
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    // The client's address: admin logins are throttled per address.
    let app = router(svc.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        stop.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopped_tx.send(());
    });
    let server = tokio::spawn(async move { server.await });
    let mut server = std::pin::pin!(server);
    let result = tokio::select! {
        r = &mut server => r,
        _ = async { let _ = stopped_rx.await; tokio::time::sleep(grace).await; } => {
            tracing::warn!("in-flight requests did not finish within the grace period; closing them");
            server.abort();
            Ok(Ok(()))
        }
    };
    svc.shutdown();
    for task in background {
        let _ = task.await;
    }
    tracing::info!("stopped");
    match result {
        Ok(r) => r.context("serving HTTP"),
        Err(e) if e.is_cancelled() => Ok(()),
        Err(e) => Err(anyhow::anyhow!("the HTTP server task failed: {e}")),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
