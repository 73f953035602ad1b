//! What the storefront calls: price, stock, orders; and the back office's
//! webhooks.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiError, ApiResult, Body, Path, Query, RawBody};
use crate::contract::WebhookRequest;
use crate::service::orders::OrderInput;
use crate::service::quotes::{PriceInput, StockInput};

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
    let accepted = svc.accept_order(&sf, input)?;
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
        json!({ "orders": svc.orders(&sf, q.state.as_deref(), q.limit)? }),
    ))
}

pub async fn order(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.order(&sf, &id)?)))
}

pub async fn retry(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.retry_order(&sf, &id)?)))
}

pub async fn refresh_status(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.refresh_order_status(&sf, &id).await?)))
}

/// Hands the raw request to the plugin's `handle-webhook`. A signature the
/// plugin refuses is a 401; updates for unknown orders are ignored.
pub async fn webhook(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let request = WebhookRequest {
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: body.to_vec(),
    };
    match svc.webhook(&sf, &plugin, request).await {
        Ok(applied) => Ok(Json(json!({ "applied": applied }))),
        Err(e) if e.kind() == "authentication" => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication",
            e.to_string(),
        )),
        Err(e) => Err(e.into()),
    }
}
