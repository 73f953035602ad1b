//! What the storefront calls: price, stock, orders; and the back office's
//! webhooks.

use axum::Json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiResult, Body, Path, Query, RawBody};
use crate::service::domain::orders::OrderInput;
use crate::service::domain::quotes::{PriceInput, StockInput};
use crate::service::http::webhook_auth::{Credential, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use connect_runtime::contract::WebhookRequest;

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/price",
    operation_id = "commerce_price",
    tag = "commerce",
    summary = "Price, answered by the storefront's price plugin; `handled: false` when none handles price; `no_price` when the backend gives none",
    params(("sf" = String, Path, description = "storefront id")),
    request_body = PriceInput,
    responses((status = 200, description = "the price")),
)]
pub async fn price(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<PriceInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.price(&sf, input).await?)))
}

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/stock",
    operation_id = "commerce_stock",
    tag = "commerce",
    summary = "Stock, answered by the storefront's stock plugin; `handled: false` when none handles stock",
    params(("sf" = String, Path, description = "storefront id")),
    request_body = StockInput,
    responses((status = 200, description = "the stock level")),
)]
pub async fn stock(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<StockInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.stock(&sf, input).await?)))
}

/// 202 once the order is durably stored (also for a repeat of the same
/// order id, with `created: false`).
#[utoipa::path(
    post,
    path = "/storefronts/{sf}/orders",
    operation_id = "commerce_accept_order",
    tag = "commerce",
    summary = "Accept an order: 202 once durably stored; a repeat of the id is the same order (`created: false`), with other content a 409",
    params(("sf" = String, Path, description = "storefront id")),
    request_body = OrderInput,
    responses((status = 202, description = "accepted")),
)]
pub async fn accept_order(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<OrderInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let accepted = svc.accept_order(&sf, input).await?;
    Ok((StatusCode::ACCEPTED, Json(json!(accepted))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only orders in this state: pending, delivering, delivered, failed.
    #[serde(default)]
    state: Option<String>,
    /// At most this many (default 100).
    #[serde(default = "hundred")]
    limit: u32,
}

fn hundred() -> u32 {
    100
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/orders",
    operation_id = "commerce_orders",
    tag = "commerce",
    summary = "Orders, newest first",
    params(("sf" = String, Path, description = "storefront id"), OrdersQuery),
    responses((status = 200, description = "orders")),
)]
pub async fn orders(
    State(svc): Svc,
    Path(sf): Path<String>,
    Query(q): Query<OrdersQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "orders": svc.orders(&sf, q.state.as_deref(), q.limit).await? }),
    ))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/orders/{id}",
    operation_id = "commerce_order",
    tag = "commerce",
    summary = "An order: state, attempts, last error, backend order number, job status, tracking, history",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    responses((status = 200, description = "the order")),
)]
pub async fn order(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.order(&sf, &id).await?)))
}

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/orders/{id}/retry",
    operation_id = "commerce_retry",
    tag = "commerce",
    summary = "Retry a failed (parked) order",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    responses((status = 200, description = "the order")),
)]
pub async fn retry(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.retry_order(&sf, &id).await?)))
}

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/orders/{id}/refresh-status",
    operation_id = "commerce_refresh_status",
    tag = "commerce",
    summary = "Ask the plugin for a delivered order's status (polling fallback)",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    responses((status = 200, description = "the order")),
)]
pub async fn refresh_status(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.refresh_order_status(&sf, &id).await?)))
}

/// A signed webhook (`X-Connect-Timestamp`, `X-Connect-Signature`): the
/// host checks it, then hands the raw request to the plugin's
/// `handle-webhook`. Updates for unknown orders are ignored.
pub async fn webhook(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    client: Client,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let credential = Credential::Signed {
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
    };
    let request = webhook_request(&uri, &headers, body);
    let applied = svc
        .webhook(&sf, &plugin, credential, client.ip(), request)
        .await?;
    Ok(Json(json!({ "applied": applied })))
}

/// A webhook to the URL holding the pair's secret, for back offices that
/// cannot sign.
pub async fn webhook_with_secret(
    State(svc): Svc,
    Path((sf, plugin, secret)): Path<(String, String, String)>,
    client: Client,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let request = webhook_request(&uri, &headers, body);
    let applied = svc
        .webhook(&sf, &plugin, Credential::Url(&secret), client.ip(), request)
        .await?;
    Ok(Json(json!({ "applied": applied })))
}

/// The client's address, where the server knows it (not in router-only
/// tests).
pub type Client = Option<Extension<ConnectInfo<SocketAddr>>>;

trait ClientIp {
    fn ip(&self) -> IpAddr;
}

impl ClientIp for Client {
    fn ip(&self) -> IpAddr {
        self.as_ref()
            .map_or(Ipv4Addr::UNSPECIFIED.into(), |c| c.0.0.ip())
    }
}

fn webhook_request(uri: &Uri, headers: &HeaderMap, body: axum::body::Bytes) -> WebhookRequest {
    WebhookRequest {
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: body.to_vec(),
    }
}
