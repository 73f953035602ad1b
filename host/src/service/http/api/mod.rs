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
pub mod openapi;
mod plugins;
mod registry;
mod storefronts;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts as _, MatchedPath, RawPathParams, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use crate::service::{Service, auth};
use error::ApiError;

pub type Svc = State<Arc<Service>>;

pub fn router(svc: Arc<Service>) -> Router {
    let upload_limit =
        axum::extract::DefaultBodyLimit::max(svc.config.plugins.max_upload_mib << 20);
    let (api, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(plugins::list, registry::upload).layer(upload_limit))
        .routes(routes!(registry::versions))
        .routes(routes!(registry::switch_all))
        .routes(routes!(registry::switch_one))
        .routes(routes!(storefronts::list, storefronts::create))
        .routes(routes!(storefronts::get_one))
        .routes(routes!(storefronts::get_connect, storefronts::put_connect))
        .routes(routes!(plugins::get_settings, plugins::put_settings))
        .routes(routes!(plugins::check_connection))
        .routes(routes!(
            plugins::get_webhook_secret,
            plugins::rotate_webhook_secret
        ))
        .routes(routes!(plugins::products))
        .routes(routes!(plugins::refresh))
        .routes(routes!(storefronts::departments))
        .routes(routes!(
            storefronts::put_department,
            storefronts::delete_department
        ))
        .routes(routes!(storefronts::customers))
        .routes(routes!(
            storefronts::get_customer,
            storefronts::put_customer
        ))
        .routes(routes!(storefronts::mappings))
        .routes(routes!(
            storefronts::get_mapping,
            storefronts::put_mapping,
            storefronts::delete_mapping
        ))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(commerce::price))
        .routes(routes!(commerce::stock))
        .routes(routes!(commerce::orders, commerce::accept_order))
        .routes(routes!(commerce::order))
        .routes(routes!(commerce::retry))
        .routes(routes!(commerce::refresh_status))
        .split_for_parts();
    openapi::finish(&mut doc);
    // Serialised once: the document changes only with the binary.
    let doc = doc
        .to_json()
        .expect("the generated OpenAPI document serialises");
    let api = api
        .route_layer(axum::middleware::from_fn_with_state(svc.clone(), authorize))
        .route(
            "/openapi.json",
            get(move || async move { ([(CONTENT_TYPE, "application/json")], doc) }),
        )
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
