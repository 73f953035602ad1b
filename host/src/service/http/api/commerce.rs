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

pub async fn price(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<PriceInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.price(&sf, input).await?)))
}

pub async fn stock(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<StockInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.stock(&sf, input).await?)))
}

/// 202 once the order is durably stored (also for a repeat of the same
/// order id, with `created: false`).
pub async fn accept_order(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<OrderInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let accepted = svc.accept_order(&sf, input).await?;
    Ok((StatusCode::ACCEPTED, Json(json!(accepted))))
}

#[derive(Deserialize)]
pub struct OrdersQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default = "hundred")]
    limit: u32,
}

fn hundred() -> u32 {
    100
}

pub async fn orders(
    State(svc): Svc,
    Path(sf): Path<String>,
    Query(q): Query<OrdersQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "orders": svc.orders(&sf, q.state.as_deref(), q.limit).await? }),
    ))
}

pub async fn order(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.order(&sf, &id).await?)))
}

pub async fn retry(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.retry_order(&sf, &id).await?)))
}

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
