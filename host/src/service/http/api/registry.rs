//! The plugin registry: upload a version (raw `application/wasm` body or
//! multipart), list versions and who runs them, upgrade and roll back for
//! all storefronts or one.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest as _, Multipart, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiError, ApiResult, Body, Path};
use crate::service::ServiceError;

/// `POST /plugins`: 201 with what the upload did; 422 with the reason when
/// the component is refused; 409 when that id and version is loaded.
#[utoipa::path(
    post,
    path = "/plugins",
    operation_id = "registry_upload",
    tag = "registry",
    summary = "Upload a plugin version: the .wasm as the raw body (application/wasm) or a multipart file part; validated before it is accepted (409: that id and version is loaded)",
    request_body(content((super::openapi::Wasm = "application/wasm"), (super::openapi::Upload = "multipart/form-data"))),
    responses((status = 201, description = "the version and the storefronts upgraded or refused")),
)]
pub async fn upload(State(svc): Svc, req: Request) -> ApiResult<(StatusCode, Json<Value>)> {
    let bytes = read_component(req).await?;
    let outcome = svc.upload_plugin(bytes).await?;
    Ok((StatusCode::CREATED, Json(json!(outcome))))
}

/// The component of an upload: the whole body, or the first file part of a
/// `multipart/form-data` body.
async fn read_component(req: Request) -> ApiResult<Vec<u8>> {
    let multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let bytes = Bytes::from_request(req, &())
            .await
            .map_err(|r| too_large(r.status(), r.body_text()))?;
        return Ok(bytes.to_vec());
    }
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|r| too_large(r.status(), r.body_text()))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| too_large(e.status(), e.body_text()))?
    {
        if field.file_name().is_some() || field.name() == Some("component") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| too_large(e.status(), e.body_text()))?;
            return Ok(bytes.to_vec());
        }
    }
    Err(ServiceError::invalid(
        "component",
        "the form has no file: send the .wasm as a file part (e.g. `component`)",
    )
    .into())
}

/// A body error; over the limit, it names the setting that sets it.
fn too_large(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "too-large",
            "the component is over the upload limit (`plugins.max_upload_mib` in the configuration)",
        )
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", text)
    }
}

/// `GET /plugins/{plugin}`: its versions and the storefronts running each.
#[utoipa::path(
    get,
    path = "/plugins/{plugin}",
    operation_id = "registry_versions",
    tag = "registry",
    summary = "A plugin's versions and the storefronts running each",
    params(("plugin" = String, Path, description = "plugin id")),
    responses((status = 200, description = "the plugin's versions")),
)]
pub async fn versions(State(svc): Svc, Path(plugin): Path<String>) -> ApiResult<Json<Value>> {
    let entry = svc
        .plugin_registry()
        .await?
        .into_iter()
        .find(|e| e.id == plugin)
        .ok_or_else(|| ServiceError::NotFound(format!("no plugin `{plugin}` is loaded")))?;
    Ok(Json(json!(entry)))
}

/// Body of a switch: the version (`null`: follow the newest) and, for all
/// storefronts, optionally which ones.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = VersionSwitch)]
pub struct SwitchBody {
    /// A loaded version; null: follow the newest.
    #[schema(required)]
    version: Option<String>,
    /// Default: every storefront using the plugin.
    #[serde(default)]
    storefronts: Option<Vec<String>>,
}

/// `PUT /plugins/{plugin}/version`: every storefront using the plugin (or
/// those listed) moves to the version; refusals are listed, not fatal.
#[utoipa::path(
    put,
    path = "/plugins/{plugin}/version",
    operation_id = "registry_switch_all",
    tag = "registry",
    summary = "Upgrade or roll back every storefront using the plugin (or those listed) to a version; null: follow the newest. A storefront whose settings the version refuses stays, listed under refused",
    params(("plugin" = String, Path, description = "plugin id")),
    request_body = SwitchBody,
    responses((status = 200, description = "switched and refused storefronts")),
)]
pub async fn switch_all(
    State(svc): Svc,
    Path(plugin): Path<String>,
    Body(body): Body<SwitchBody>,
) -> ApiResult<Json<Value>> {
    let outcome = svc
        .switch_version(&plugin, body.version.as_deref(), body.storefronts)
        .await?;
    Ok(Json(json!(outcome)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Version)]
pub struct VersionBody {
    /// A loaded version; null: follow the newest.
    #[schema(required)]
    version: Option<String>,
}

/// `PUT /storefronts/{sf}/plugins/{plugin}/version`: one storefront; 422
/// with the field errors when the version refuses its settings (it stays).
#[utoipa::path(
    put,
    path = "/storefronts/{sf}/plugins/{plugin}/version",
    operation_id = "registry_switch_one",
    tag = "registry",
    summary = "Upgrade or roll back one storefront; 422 with the field errors when the version refuses its settings",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id")),
    request_body = VersionBody,
    responses((status = 200, description = "the switch")),
)]
pub async fn switch_one(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    Body(body): Body<VersionBody>,
) -> ApiResult<Json<Value>> {
    let outcome = svc
        .switch_version(&plugin, body.version.as_deref(), Some(vec![sf]))
        .await?;
    if let Some(refusal) = outcome.refused.first() {
        return Err(ServiceError::Invalid(refusal.errors.clone()).into());
    }
    Ok(Json(json!(outcome)))
}
