//! The REST API, versioned under `/api/v1`, JSON in and out, described by
//! the OpenAPI document at `/api/v1/openapi.json`. Every route but the
//! document needs `Authorization: Bearer <admin token>`. Webhooks
//! (`/webhooks/{storefront}/{plugin}`) are not behind the token: the plugin
//! verifies them (e.g. by signature).

mod commerce;
pub mod error;
mod openapi;
mod plugins;
mod storefronts;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use super::Service;
use error::ApiError;

pub type Svc = State<Arc<Service>>;

pub fn router(svc: Arc<Service>) -> Router {
    let api = Router::new()
        .route("/plugins", get(plugins::list))
        .route(
            "/storefronts",
            get(storefronts::list).post(storefronts::create),
        )
        .route("/storefronts/{sf}", get(storefronts::get_one))
        .route(
            "/storefronts/{sf}/connect",
            get(storefronts::get_connect).put(storefronts::put_connect),
        )
        .route(
            "/storefronts/{sf}/plugins/{plugin}/settings",
            get(plugins::get_settings).put(plugins::put_settings),
        )
        .route(
            "/storefronts/{sf}/plugins/{plugin}/check-connection",
            post(plugins::check_connection),
        )
        .route(
            "/storefronts/{sf}/plugins/{plugin}/products",
            get(plugins::products),
        )
        .route(
            "/storefronts/{sf}/catalogue/refresh",
            post(plugins::refresh),
        )
        .route(
            "/storefronts/{sf}/departments",
            get(storefronts::departments),
        )
        .route(
            "/storefronts/{sf}/departments/{id}",
            put(storefronts::put_department).delete(storefronts::delete_department),
        )
        .route("/storefronts/{sf}/customers", get(storefronts::customers))
        .route(
            "/storefronts/{sf}/customers/{id}",
            get(storefronts::get_customer).put(storefronts::put_customer),
        )
        .route("/storefronts/{sf}/mappings", get(storefronts::mappings))
        .route(
            "/storefronts/{sf}/mappings/{product}",
            get(storefronts::get_mapping)
                .put(storefronts::put_mapping)
                .delete(storefronts::delete_mapping),
        )
        .route("/storefronts/{sf}/price", post(commerce::price))
        .route("/storefronts/{sf}/stock", post(commerce::stock))
        .route(
            "/storefronts/{sf}/orders",
            get(commerce::orders).post(commerce::accept_order),
        )
        .route("/storefronts/{sf}/orders/{id}", get(commerce::order))
        .route("/storefronts/{sf}/orders/{id}/retry", post(commerce::retry))
        .route(
            "/storefronts/{sf}/orders/{id}/refresh-status",
            post(commerce::refresh_status),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            svc.clone(),
            require_token,
        ))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not-found",
                "no such API route; see /api/v1/openapi.json",
            )
        });
    Router::new()
        .nest("/api/v1", api)
        .route("/webhooks/{sf}/{plugin}", post(commerce::webhook))
        .with_state(svc)
}

async fn require_token(State(svc): Svc, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    if svc.auth.bearer_ok(header) {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}
