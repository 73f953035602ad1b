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

pub async fn get_settings(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.settings_view(&sf, &plugin).await?)))
}

/// Body: `{"key": "value", ...}`. Secret keys left out (or empty) keep their
/// stored value; `null` clears one.
pub async fn put_settings(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    Body(input): Body<SettingsInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.write_settings(&sf, &plugin, input).await?)))
}

pub async fn check_connection(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.check_connection(&sf, &plugin).await?)))
}

/// Whether the pair has a webhook secret (never the secret).
pub async fn get_webhook_secret(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.webhook_secret_info(&sf, &plugin).await?)))
}

/// A new webhook secret, answered this once; the old one stops working.
pub async fn rotate_webhook_secret(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(svc.rotate_webhook_secret(&sf, &plugin).await?)))
}

#[derive(Deserialize)]
pub struct ProductsQuery {
    #[serde(default)]
    offset: u32,
    #[serde(default = "fifty")]
    limit: u32,
    #[serde(default)]
    search: Option<String>,
}

fn fifty() -> u32 {
    50
}

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

#[derive(Deserialize)]
pub struct RefreshQuery {
    #[serde(default)]
    plugin: Option<String>,
}

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
