//! The product mappings page: a default block (product reference,
//! attribute overrides, advanced JSON, minimum order) and, when the
//! storefront uses more than one plugin, one block per plugin that names the
//! product in that back office's terms (left empty: the default block).

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::Svc;
use super::layout::{Tab, flash, page};
use super::pages::{Fields, Notice, error_page, errors_of, field, opt};
use crate::service::domain::mappings::{Mapping, PluginMapping};
use crate::service::http::api::error::status_of;
use crate::service::{Service, ServiceError};

pub async fn list(State(svc): Svc, Path(sf): Path<String>, Query(n): Query<Notice>) -> Response {
    render(&svc, &sf, None, n.saved.is_some(), &Fields::new()).await
}

/// The plugins the storefront uses for price, stock or orders, when there
/// is more than one: each gets its own block on the form.
async fn plugins_in_use(svc: &Service, sf: &str) -> Vec<String> {
    let Ok(storefront) = svc.storefront(sf).await else {
        return Vec::new();
    };
    let c = &storefront.connect;
    let mut used: Vec<String> = [&c.price_plugin, &c.stock_plugin, &c.order_plugin]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    used.sort();
    used.dedup();
    if used.len() > 1 { used } else { Vec::new() }
}

fn overrides_text(o: &BTreeMap<String, String>) -> Markup {
    html! { @for (k, v) in o { code { (k) " = " (v) } br; } }
}

async fn render(
    svc: &Service,
    sf: &str,
    error: Option<&ServiceError>,
    saved: bool,
    form: &Fields,
) -> Response {
    let list = match svc.mappings(sf).await {
        Ok(l) => l,
        Err(e) => return error_page(e, None),
    };
    let used = plugins_in_use(svc, sf).await;
    let errors = error.map(errors_of).unwrap_or_default();
    let body = html! {
        @if saved { (flash(true, "Mapping saved.")) }
        @if let Some(e) = error { (flash(false, &e.to_string())) }
        table #mappings {
            tr { th { "Storefront product" } th { "Plugin product" } th { "Overrides" } th { "Advanced JSON" } th { "Min. order" } }
            @for m in &list {
                tr {
                    td { (m.product) }
                    td {
                        code { (m.product_ref) }
                        @for (plugin, b) in &m.plugins { br; span.muted { (plugin) ": " } code.plugin-ref { (b.product_ref) } }
                    }
                    td {
                        (overrides_text(&m.overrides))
                        @for (plugin, b) in m.plugins.iter().filter(|(_, b)| !b.overrides.is_empty()) { span.muted { (plugin) ": " } (overrides_text(&b.overrides)) }
                    }
                    td { @if let Some(a) = &m.advanced_json { code { (a.to_string()) } } }
                    td { @if let Some(q) = m.min_order_qty { (q) } }
                }
            }
            @if list.is_empty() { tr { td colspan="5" .muted { "No mappings yet." } } }
        }
        form.card method="post" action={ "/admin/storefronts/" (sf) "/mappings" } {
            h2 { "Add or change a mapping" }
            label for="product" { "Storefront product id" } input #product name="product" value=(field(form, "product")) required;
            @if let Some(m) = errors.get("product") { p.field-error { (m) } }
            label for="product_ref" { "Plugin product reference" } input #product_ref name="product_ref" value=(field(form, "product_ref")) required;
            p.help { "For Tharstern: a product code (e.g. BC-STD) or a product type id (type:12); for printIQ: code:<product code>." }
            @if let Some(m) = errors.get("product_ref") { p.field-error { (m) } }
            label for="overrides" { "Attribute overrides, one `name = value` per line" }
            textarea #overrides name="overrides" { (field(form, "overrides")) }
            @if let Some(m) = errors.get("overrides") { p.field-error { (m) } }
            label for="advanced_json" { "Advanced JSON (merged over the request)" }
            textarea #advanced_json name="advanced_json" { (field(form, "advanced_json")) }
            @if let Some(m) = errors.get("advanced_json") { p.field-error { (m) } }
            label for="min_order_qty" { "Minimum order quantity" }
            input #min_order_qty type="number" min="1" name="min_order_qty" value=(field(form, "min_order_qty"));
            @if let Some(m) = errors.get("min_order_qty") { p.field-error { (m) } }
            @for plugin in &used {
                fieldset.plugin-block id={ "block-" (plugin) } {
                    legend { "For " (plugin) }
                    p.help { "How " (plugin) " names this product, if not as above (empty: as above)." }
                    label for={ "ref-" (plugin) } { "Product reference" }
                    input id={ "ref-" (plugin) } name={ "ref-" (plugin) } value=(field(form, &format!("ref-{plugin}")));
                    @if let Some(m) = errors.get(&format!("plugins.{plugin}.product_ref")) { p.field-error { (m) } }
                    label for={ "overrides-" (plugin) } { "Attribute overrides, one `name = value` per line" }
                    textarea id={ "overrides-" (plugin) } name={ "overrides-" (plugin) } { (field(form, &format!("overrides-{plugin}"))) }
                    @if let Some(m) = errors.get(&format!("overrides-{plugin}")) { p.field-error { (m) } }
                }
            }
            div { button #save-mapping type="submit" { "Save mapping" } }
        }
    };
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page("Product mappings", Some((sf, Tab::Mappings)), body),
    )
        .into_response()
}

/// `name = value` lines; the error names the bad line.
fn parse_overrides(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut overrides = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                overrides.insert(k.trim().to_string(), v.trim().to_string());
            }
            _ => return Err(format!("`{}` is not `name = value`", line.trim())),
        }
    }
    Ok(overrides)
}

pub async fn save(State(svc): Svc, Path(sf): Path<String>, Form(form): Form<Fields>) -> Response {
    let fail = async |key: &str, message: String| {
        let e = ServiceError::invalid(key, message);
        render(&svc, &sf, Some(&e), false, &form).await
    };
    let overrides = match parse_overrides(field(&form, "overrides")) {
        Ok(o) => o,
        Err(m) => return fail("overrides", m).await,
    };
    let min = field(&form, "min_order_qty").trim();
    let min_order_qty = match min.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) if min.is_empty() => None,
        Err(_) => return fail("min_order_qty", "enter a whole number".into()).await,
    };
    let product = field(&form, "product").trim().to_string();
    // Blocks of plugins not on the form (set through the API) are kept.
    let mut plugins = svc
        .mapping(&sf, &product)
        .await
        .map(|m| m.plugins)
        .unwrap_or_default();
    for plugin in plugins_in_use(&svc, &sf).await {
        let reference = field(&form, &format!("ref-{plugin}")).trim();
        let overrides = match parse_overrides(field(&form, &format!("overrides-{plugin}"))) {
            Ok(o) => o,
            Err(m) => return fail(&format!("overrides-{plugin}"), m).await,
        };
        if reference.is_empty() {
            plugins.remove(&plugin);
            continue;
        }
        let advanced_json = plugins.get(&plugin).and_then(|b| b.advanced_json.clone());
        plugins.insert(
            plugin,
            PluginMapping {
                product_ref: reference.to_string(),
                overrides,
                advanced_json,
            },
        );
    }
    let m = Mapping {
        product,
        product_ref: field(&form, "product_ref").to_string(),
        overrides,
        advanced_json: opt(&form, "advanced_json").map(serde_json::Value::String),
        min_order_qty,
        plugins,
    };
    match svc.put_mapping(&sf, m).await {
        Ok(_) => Redirect::to(&format!("/admin/storefronts/{sf}/mappings?saved=1")).into_response(),
        Err(e) => render(&svc, &sf, Some(&e), false, &form).await,
    }
}
