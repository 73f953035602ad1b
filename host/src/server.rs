//! The HTTP service. (The full storefront API is its own piece of work; this
//! serves health and the loaded plugins.)

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::runtime::Runtime;

pub fn router(runtime: Arc<Runtime>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/plugins", get(plugins))
        .with_state(runtime)
}

async fn plugins(State(runtime): State<Arc<Runtime>>) -> Json<serde_json::Value> {
    let plugins: Vec<_> = runtime
        .plugins()
        .iter()
        .map(|p| serde_json::to_value(&p.info).unwrap_or_default())
        .collect();
    Json(serde_json::json!({ "plugins": plugins }))
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(runtime: Arc<Runtime>, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, router(runtime))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")
}

async fn shutdown_signal() {
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
