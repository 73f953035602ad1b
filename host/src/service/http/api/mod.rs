//! The REST API, versioned under `/api/v1`, JSON in and out, described by
//! the OpenAPI document at `/api/v1/openapi.json`. Every route but the
//! document needs `Authorization: Bearer <token>`: the admin token, or a
//! storefront API key on that storefront's price, stock and order routes
//! ([`STOREFRONT_ROUTES`]). Webhooks
//! (`/webhooks/{storefront}/{plugin}[/{secret}]`) are not behind the token:
//! the host checks their own credential (signature or secret URL, see
//! [`crate::service::http::webhook_auth`]) before the plugin sees them.

mod commerce;
pub mod error;
mod keys;
mod openapi;
mod plugins;
mod registry;
mod storefronts;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts as _, MatchedPath, RawPathParams, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use crate::service::{Service, auth};
use error::ApiError;

pub type Svc = State<Arc<Service>>;

pub fn router(svc: Arc<Service>) -> Router {
    let api =
        Router::new()
            .route(
                "/plugins",
                get(plugins::list).post(registry::upload).layer(
                    axum::extract::DefaultBodyLimit::max(svc.config.plugins.max_upload_mib << 20),
                ),
            )
            .route("/plugins/{plugin}", get(registry::versions))
            .route("/plugins/{plugin}/version", put(registry::switch_all))
            .route(
                "/storefronts/{sf}/plugins/{plugin}/version",
                put(registry::switch_one),
            )
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
                "/storefronts/{sf}/plugins/{plugin}/webhook-secret",
                get(plugins::get_webhook_secret).post(plugins::rotate_webhook_secret),
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
            .route("/storefronts/{sf}/keys", get(keys::list).post(keys::create))
            .route(
                "/storefronts/{sf}/keys/{key}",
                axum::routing::delete(keys::revoke),
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
            .route_layer(axum::middleware::from_fn_with_state(svc.clone(), authorize))
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
        .route(
            "/webhooks/{sf}/{plugin}/{secret}",
            post(commerce::webhook_with_secret),
        )
        .with_state(svc)
}

/// What a storefront API key may call, and only for its own storefront
/// (the `{sf}` of the path): price, stock, submit and read orders. Every
/// other route needs the admin token.
pub const STOREFRONT_ROUTES: &[(&str, &str)] = &[
    ("POST", "/storefronts/{sf}/price"),
    ("POST", "/storefronts/{sf}/stock"),
    ("GET", "/storefronts/{sf}/orders"),
    ("POST", "/storefronts/{sf}/orders"),
    ("GET", "/storefronts/{sf}/orders/{id}"),
];

/// 401 without a valid credential; the admin token passes everywhere; a
/// storefront key passes on [`STOREFRONT_ROUTES`] of its storefront and is
/// a 403 elsewhere. Runs after routing (a route layer), so it sees the
/// matched route and its `{sf}`. Never logs or echoes the credential.
async fn authorize(State(svc): Svc, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let Some(token) = auth::bearer(header) else {
        return ApiError::unauthorized().into_response();
    };
    if svc.auth.is_admin_token(token) {
        return next.run(req).await;
    }
    let key_storefront = match svc.key_storefront(token).await {
        Ok(Some(sf)) => sf,
        Ok(None) => return ApiError::unauthorized().into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (mut parts, body) = req.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().trim_start_matches("/api/v1").to_string())
        .unwrap_or_default();
    let storefront_route = STOREFRONT_ROUTES
        .iter()
        .any(|(m, r)| *m == parts.method.as_str() && *r == route);
    let path_sf = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|p| {
            p.iter()
                .find(|(k, _)| *k == "sf")
                .map(|(_, v)| v.to_string())
        });
    if !storefront_route {
        return ApiError::forbidden(
            "a storefront API key may only price, check stock, submit orders and read orders \
             of its own storefront; this route needs the admin token",
        )
        .into_response();
    }
    if path_sf.as_deref() != Some(key_storefront.as_str()) {
        return ApiError::forbidden(format!(
            "this API key belongs to storefront `{key_storefront}`, not to the storefront in the path"
        ))
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
