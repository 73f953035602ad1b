//! A storefront's API keys (admin only): create (the key is answered once),
//! list (never the key), revoke.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiResult, Body, Path};
use crate::service::domain::keys::KeyInput;

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/keys",
    operation_id = "keys_list",
    tag = "keys",
    summary = "The storefront's API keys: id, label, prefix, created_at (never the key)",
    params(("sf" = String, Path, description = "storefront id")),
    responses((status = 200, description = "keys")),
)]
pub async fn list(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "keys": svc.keys(&sf).await? })))
}

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/keys",
    operation_id = "keys_create",
    tag = "keys",
    summary = "Create an API key for the storefront; the answer's `key` is shown this once",
    params(("sf" = String, Path, description = "storefront id")),
    request_body = KeyInput,
    responses((status = 201, description = "the key")),
)]
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

#[utoipa::path(
    delete,
    path = "/storefronts/{sf}/keys/{key}",
    operation_id = "keys_revoke",
    tag = "keys",
    summary = "Revoke an API key at once",
    params(("sf" = String, Path, description = "storefront id"), ("key" = String, Path, description = "the key's id (not the key)")),
    responses((status = 204, description = "revoked")),
)]
pub async fn revoke(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc.revoke_key(&sf, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
