//! Storefronts, Connect settings, departments, customers, product mappings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiResult, Body, Path};
use crate::service::domain::mappings::Mapping;
use crate::service::domain::storefronts::{ConnectSettings, Customer, Department, NewStorefront};

#[utoipa::path(
    get,
    path = "/storefronts",
    operation_id = "storefronts_list",
    tag = "storefronts",
    summary = "List storefronts",
    responses((status = 200, description = "storefronts")),
)]
pub async fn list(State(svc): Svc) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "storefronts": svc.storefronts().await? })))
}

#[utoipa::path(
    post,
    path = "/storefronts",
    operation_id = "storefronts_create",
    tag = "storefronts",
    summary = "Create a storefront",
    request_body = NewStorefront,
    responses((status = 201, description = "the storefront")),
)]
pub async fn create(
    State(svc): Svc,
    Body(new): Body<NewStorefront>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(svc.create_storefront(new).await?)),
    ))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}",
    operation_id = "storefronts_get_one",
    tag = "storefronts",
    summary = "A storefront",
    params(("sf" = String, Path, description = "storefront id")),
    responses((status = 200, description = "the storefront")),
)]
pub async fn get_one(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.storefront(&sf).await?)))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/connect",
    operation_id = "storefronts_get_connect",
    tag = "storefronts",
    summary = "Connect settings",
    params(("sf" = String, Path, description = "storefront id")),
    responses((status = 200, description = "connect settings")),
)]
pub async fn get_connect(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.storefront(&sf).await?.connect)))
}

#[utoipa::path(
    put,
    path = "/storefronts/{sf}/connect",
    operation_id = "storefronts_put_connect",
    tag = "storefronts",
    summary = "Set Connect settings: enabled plugins and which plugin handles price, stock and orders",
    params(("sf" = String, Path, description = "storefront id")),
    request_body = ConnectSettings,
    responses((status = 200, description = "connect settings")),
)]
pub async fn put_connect(
    State(svc): Svc,
    Path(sf): Path<String>,
    Body(cs): Body<ConnectSettings>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.set_connect(&sf, cs).await?.connect)))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/departments",
    operation_id = "storefronts_departments",
    tag = "storefronts",
    summary = "Departments",
    params(("sf" = String, Path, description = "storefront id")),
    responses((status = 200, description = "departments")),
)]
pub async fn departments(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "departments": svc.departments(&sf).await? })))
}

#[utoipa::path(
    put,
    path = "/storefronts/{sf}/departments/{id}",
    operation_id = "storefronts_put_department",
    tag = "storefronts",
    summary = "Create or update a department and its customer code",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    request_body = Department,
    responses((status = 200, description = "the department")),
)]
pub async fn put_department(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
    Body(d): Body<Department>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        svc.put_department(&sf, Department { id, ..d }).await?
    )))
}

#[utoipa::path(
    delete,
    path = "/storefronts/{sf}/departments/{id}",
    operation_id = "storefronts_delete_department",
    tag = "storefronts",
    summary = "Delete a department",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    responses((status = 204, description = "deleted")),
)]
pub async fn delete_department(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc.delete_department(&sf, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/customers",
    operation_id = "storefronts_customers",
    tag = "storefronts",
    summary = "Customers (storefront users)",
    params(("sf" = String, Path, description = "storefront id")),
    responses((status = 200, description = "customers")),
)]
pub async fn customers(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "customers": svc.customers(&sf).await? })))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/customers/{id}",
    operation_id = "storefronts_get_customer",
    tag = "storefronts",
    summary = "A customer with the backend customers linked to their email",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    responses((status = 200, description = "the customer")),
)]
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

#[utoipa::path(
    put,
    path = "/storefronts/{sf}/customers/{id}",
    operation_id = "storefronts_put_customer",
    tag = "storefronts",
    summary = "Create or update a customer: email, name, department",
    params(("sf" = String, Path, description = "storefront id"), ("id" = String, Path)),
    request_body = Customer,
    responses((status = 200, description = "the customer")),
)]
pub async fn put_customer(
    State(svc): Svc,
    Path((sf, id)): Path<(String, String)>,
    Body(c): Body<Customer>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        svc.put_customer(&sf, Customer { id, ..c }).await?
    )))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/mappings",
    operation_id = "storefronts_mappings",
    tag = "storefronts",
    summary = "Product mappings",
    params(("sf" = String, Path, description = "storefront id")),
    responses((status = 200, description = "mappings")),
)]
pub async fn mappings(State(svc): Svc, Path(sf): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "mappings": svc.mappings(&sf).await? })))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/mappings/{product}",
    operation_id = "storefronts_get_mapping",
    tag = "storefronts",
    summary = "A product mapping",
    params(("sf" = String, Path, description = "storefront id"), ("product" = String, Path, description = "storefront product id")),
    responses((status = 200, description = "the mapping")),
)]
pub async fn get_mapping(
    State(svc): Svc,
    Path((sf, product)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.mapping(&sf, &product).await?)))
}

#[utoipa::path(
    put,
    path = "/storefronts/{sf}/mappings/{product}",
    operation_id = "storefronts_put_mapping",
    tag = "storefronts",
    summary = "Map a storefront product to a plugin product reference",
    params(("sf" = String, Path, description = "storefront id"), ("product" = String, Path, description = "storefront product id")),
    request_body = Mapping,
    responses((status = 200, description = "the mapping")),
)]
pub async fn put_mapping(
    State(svc): Svc,
    Path((sf, product)): Path<(String, String)>,
    Body(m): Body<Mapping>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        svc.put_mapping(&sf, Mapping { product, ..m }).await?
    )))
}

#[utoipa::path(
    delete,
    path = "/storefronts/{sf}/mappings/{product}",
    operation_id = "storefronts_delete_mapping",
    tag = "storefronts",
    summary = "Delete a mapping",
    params(("sf" = String, Path, description = "storefront id"), ("product" = String, Path, description = "storefront product id")),
    responses((status = 204, description = "deleted")),
)]
pub async fn delete_mapping(
    State(svc): Svc,
    Path((sf, product)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc.delete_mapping(&sf, &product).await?;
    Ok(StatusCode::NO_CONTENT)
}
