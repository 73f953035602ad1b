//! A storefront's API keys (admin only): create (the key is answered once),
//! list (never the key), revoke.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiResult, Body, Path};
use crate::service::domain::keys::KeyInput;

pub async fn list(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "keys": svc.keys(&sf).await? })))
}

pub async fn create(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(input): Body<KeyInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(svc.create_key(&sf, input).await?)),
    ))
}

pub async fn revoke(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc.revoke_key(&sf, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
