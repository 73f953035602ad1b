//! Loaded plugins, a storefront's plugin settings, Check Connection, the
//! catalogue.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Svc;
use super::error::{ApiResult, Body, Path, Query};
use crate::service::domain::plugin_settings::SettingsInput;

/// The newest version of each plugin, with every version under `versions`.
#[utoipa::path(
    get,
    path = "/plugins",
    operation_id = "plugins_list",
    tag = "plugins",
    summary = "Loaded plugins (newest version's info and settings schema) with every version",
    responses((status = 200, description = "plugins")),
)]
pub async fn list(State(svc): Svc) -> ApiResult<Json<Value>> {
    let registry = svc.plugin_registry().await?;
    let plugins: Vec<Value> = svc
        .runtime
        .plugins()
        .iter()
        .map(|p| {
            let mut v = json!(p.info);
            v["sha256"] = json!(p.digest);
            if let Some(entry) = registry.iter().find(|e| e.id == p.info.id) {
                v["versions"] = json!(entry.versions);
            }
            v
        })
        .collect();
    let mut answer = json!({ "plugins": plugins });
    if !svc.failed_plugins.is_empty() {
        answer["failed"] = json!(svc.failed_plugins);
    }
    Ok(Json(answer))
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/plugins/{plugin}/settings",
    operation_id = "plugins_get_settings",
    tag = "plugins",
    summary = "Plugin settings (secrets only say whether they are set)",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id")),
    responses((status = 200, description = "settings")),
)]
pub async fn get_settings(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.settings_view(&sf, &plugin).await?)))
}

/// Body: `{"key": "value", ...}`. Secret keys left out (or empty) keep their
/// stored value; `null` clears one.
#[utoipa::path(
    put,
    path = "/storefronts/{sf}/plugins/{plugin}/settings",
    operation_id = "plugins_put_settings",
    tag = "plugins",
    summary = "Write plugin settings; validated by the plugin, 422 names each bad field. Secret keys left out or empty keep their value; null clears.",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id")),
    request_body = BTreeMap<String, Option<String>>,
    responses((status = 200, description = "settings")),
)]
pub async fn put_settings(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    Body(input): Body<SettingsInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.write_settings(&sf, &plugin, input).await?)))
}

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/plugins/{plugin}/check-connection",
    operation_id = "plugins_check_connection",
    tag = "plugins",
    summary = "Check Connection: {ok, summary, kind?, checks}",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id")),
    responses((status = 200, description = "the check's outcome")),
)]
pub async fn check_connection(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.check_connection(&sf, &plugin).await?)))
}

/// Whether the pair has a webhook secret (never the secret).
#[utoipa::path(
    get,
    path = "/storefronts/{sf}/plugins/{plugin}/webhook-secret",
    operation_id = "plugins_get_webhook_secret",
    tag = "plugins",
    summary = "Whether the storefront has a webhook secret for the plugin (never the secret): {configured, created_at, signed_url}",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id")),
    responses((status = 200, description = "the secret's state")),
)]
pub async fn get_webhook_secret(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.webhook_secret_info(&sf, &plugin).await?)))
}

/// A new webhook secret, answered this once; the old one stops working.
#[utoipa::path(
    post,
    path = "/storefronts/{sf}/plugins/{plugin}/webhook-secret",
    operation_id = "plugins_rotate_webhook_secret",
    tag = "plugins",
    summary = "Make a new webhook secret (the old one stops working): {secret, secret_url, signed_url}, shown this once",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id")),
    responses((status = 200, description = "the new secret")),
)]
pub async fn rotate_webhook_secret(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.rotate_webhook_secret(&sf, &plugin).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    #[serde(default)]
    offset: u32,
    /// Default 50.
    #[serde(default = "fifty")]
    limit: u32,
    /// Text to look for in the products.
    #[serde(default)]
    search: Option<String>,
}

fn fifty() -> u32 {
    50
}

#[utoipa::path(
    get,
    path = "/storefronts/{sf}/plugins/{plugin}/products",
    operation_id = "plugins_products",
    tag = "plugins",
    summary = "A page of the plugin's catalogue",
    params(("sf" = String, Path, description = "storefront id"), ("plugin" = String, Path, description = "plugin id"), ProductsQuery),
    responses((status = 200, description = "products")),
)]
pub async fn products(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    Query(q): Query<ProductsQuery>,
) -> ApiResult<Json<Value>> {
    let search = q.search.filter(|s| !s.trim().is_empty());
    Ok(Json(json!(
        svc.products(&sf, &plugin, q.offset, q.limit, search)
            .await?
    )))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefreshQuery {
    /// Only this plugin's catalogue; default: every plugin's.
    #[serde(default)]
    plugin: Option<String>,
}

#[utoipa::path(
    post,
    path = "/storefronts/{sf}/catalogue/refresh",
    operation_id = "plugins_refresh",
    tag = "plugins",
    summary = "Refresh the storefront's catalogues now",
    params(("sf" = String, Path, description = "storefront id"), RefreshQuery),
    responses((status = 200, description = "refresh outcomes")),
)]
pub async fn refresh(
    State(svc): Svc,
    Path(sf): Path<String>,
    Query(q): Query<RefreshQuery>,
) -> ApiResult<Json<Value>> {
    let outcomes = match q.plugin {
        Some(p) => vec![svc.refresh_catalogue(&sf, &p).await?],
        None => svc.refresh_storefront(&sf).await?,
    };
    Ok(Json(json!({ "refreshed": outcomes })))
}
