//! Storefronts, Connect settings, departments, customers, product mappings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiResult, Body, Path};
use crate::service::domain::mappings::Mapping;
use crate::service::domain::storefronts::{ConnectSettings, Customer, Department, NewStorefront};

pub async fn list(State(svc): Svc) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "storefronts": svc.storefronts().await? })))
}

pub async fn create(
    State(svc): Svc,
    Body(new): Body<NewStorefront>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(svc.create_storefront(new).await?)),
    ))
}

pub async fn get_one(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.storefront(&sf).await?)))
}

pub async fn get_connect(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.storefront(&sf).await?.connect)))
}

pub async fn put_connect(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(cs): Body<ConnectSettings>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.set_connect(&sf, cs).await?.connect)))
}

pub async fn departments(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "departments": svc.departments(&sf).await? })))
}

pub async fn put_department(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
    Body(d): Body<Department>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        svc.put_department(&sf, Department { id, ..d }).await?
    )))
}

pub async fn delete_department(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc.delete_department(&sf, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn customers(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "customers": svc.customers(&sf).await? })))
}

pub async fn get_customer(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let customer = svc.customer(&sf, &id).await?;
    let links: Vec<_> = svc
        .customer_links(&sf)
        .await?
        .into_iter()
        .filter(|l| {
            customer
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&l.email))
        })
        .collect();
    let mut v = json!(customer);
    v["links"] = json!(links);
    Ok(Json(v))
}

pub async fn put_customer(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
    Body(c): Body<Customer>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        svc.put_customer(&sf, Customer { id, ..c }).await?
    )))
}

pub async fn mappings(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "mappings": svc.mappings(&sf).await? })))
}

pub async fn get_mapping(
    State(svc): Svc,
    Path((sf, product)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.mapping(&sf, &product).await?)))
}

pub async fn put_mapping(
    State(svc): Svc,
    Path((sf, product)): Path<(String, String)>,
    Body(m): Body<Mapping>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        svc.put_mapping(&sf, Mapping { product, ..m }).await?
    )))
}

pub async fn delete_mapping(
    State(svc): Svc,
    Path((sf, product)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc.delete_mapping(&sf, &product).await?;
    Ok(StatusCode::NO_CONTENT)
}
