//! Storefronts, Connect settings, departments and customers, orders.
//! (Product mappings are in [`super::mappings`].)

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::Svc;
use super::layout::{Tab, flash, page};
use crate::service::domain::orders::FAILED;
use crate::service::domain::storefronts::{ConnectSettings, Customer, Department, NewStorefront};
use crate::service::http::api::error::status_of;
use crate::service::{Service, ServiceError};
use connect_runtime::contract::{Capability, FieldError};

pub(super) type Fields = Vec<(String, String)>;

pub(super) fn field<'a>(form: &'a Fields, key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(super) fn opt(form: &Fields, key: &str) -> Option<String> {
    Some(field(form, key).trim().to_string()).filter(|s| !s.is_empty())
}

/// A failure as a page: the status the API would answer, and the message.
pub fn error_page(e: ServiceError, storefront: Option<(&str, Tab)>) -> Response {
    (
        status_of(&e),
        page("Error", storefront, flash(false, &e.to_string())),
    )
        .into_response()
}

pub fn errors_of(e: &ServiceError) -> BTreeMap<String, String> {
    match e {
        ServiceError::Invalid(fields) => fields
            .iter()
            .map(|FieldError { key, message }| (key.clone(), message.clone()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    pub saved: Option<String>,
}

pub async fn storefronts(State(svc): Svc) -> Response {
    render_storefronts(&svc, None).await.into_response()
}

async fn render_storefronts(svc: &Service, error: Option<&ServiceError>) -> Response {
    let list = match svc.storefronts().await {
        Ok(l) => l,
        Err(e) => return error_page(e, None),
    };
    let errors = error.map(errors_of).unwrap_or_default();
    let body = html! {
        @if let Some(e) = error { (flash(false, &e.to_string())) }
        table #storefronts {
            tr { th { "Storefront" } th { "Name" } th { "Price" } th { "Stock" } th { "Orders" } th { "Plugins" } }
            @for sf in &list {
                tr {
                    td { a href={ "/admin/storefronts/" (sf.id) } { (sf.id) } }
                    td { (sf.name) }
                    td { (sf.connect.price_plugin.as_deref().unwrap_or("storefront")) }
                    td { (sf.connect.stock_plugin.as_deref().unwrap_or("storefront")) }
                    td { (sf.connect.order_plugin.as_deref().unwrap_or("—")) }
                    td { (sf.connect.enabled_plugins.join(", ")) }
                }
            }
            @if list.is_empty() { tr { td colspan="6" .muted { "No storefronts yet." } } }
        }
        form.card method="post" action="/admin" {
            h2 { "New storefront" }
            label for="id" { "Id" }
            input #id name="id" required pattern="[A-Za-z0-9._-]{1,64}";
            p.help { "Letters, digits, - _ . (used in URLs and webhook addresses)." }
            @if let Some(m) = errors.get("id") { p.field-error { (m) } }
            label for="name" { "Name" }
            input #name name="name";
            div { button type="submit" { "Create" } }
        }
    };
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    (status, page("Storefronts", None, body)).into_response()
}

pub async fn create_storefront(State(svc): Svc, Form(form): Form<Fields>) -> Response {
    let new = NewStorefront {
        id: field(&form, "id").trim().to_string(),
        name: opt(&form, "name"),
    };
    match svc.create_storefront(new).await {
        Ok(sf) => Redirect::to(&format!("/admin/storefronts/{}", sf.id)).into_response(),
        Err(e) => render_storefronts(&svc, Some(&e)).await,
    }
}

pub async fn connect(State(svc): Svc, Path(sf): Path<String>, Query(n): Query<Notice>) -> Response {
    render_connect(&svc, &sf, None, n.saved.is_some()).await
}

async fn render_connect(
    svc: &Service,
    sf: &str,
    error: Option<&ServiceError>,
    saved: bool,
) -> Response {
    let storefront = match svc.storefront(sf).await {
        Ok(s) => s,
        Err(e) => return error_page(e, None),
    };
    let plugins = svc.runtime.plugins();
    let errors = error.map(errors_of).unwrap_or_default();
    let cs = &storefront.connect;
    let chooser = |key: &str, label: &str, current: &Option<String>, cap: Capability| {
        html! {
            label for=(key) { (label) }
            select #(key) name=(key) {
                option value="" selected[current.is_none()] { "None (the storefront's own)" }
                @for p in plugins.iter().filter(|p| p.info.capabilities.contains(&cap)) {
                    option value=(p.info.id) selected[current.as_deref() == Some(p.info.id.as_str())] { (p.info.name) " (" (p.info.id) ")" }
                }
            }
            @if let Some(m) = errors.get(key) { p.field-error id={ "error-" (key) } { (m) } }
        }
    };
    let body = html! {
        @if saved { (flash(true, "Connect settings saved.")) }
        @if let Some(e) = error { (flash(false, &e.to_string())) }
        form.card #connect-form method="post" action={ "/admin/storefronts/" (sf) } {
            h2 { "Enabled plugins" }
            @for p in &plugins {
                div {
                    input type="checkbox" id={ "enable-" (p.info.id) } name="enabled_plugins" value=(p.info.id)
                        checked[cs.enabled_plugins.contains(&p.info.id)];
                    " " label.inline for={ "enable-" (p.info.id) } { (p.info.name) " " span.muted { (p.info.version) } }
                }
            }
            @if plugins.is_empty() { p.muted { "No plugins are loaded." } }
            @for f in &svc.failed_plugins {
                p.field-error.failed-plugin {
                    "Not loaded: " (f.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()) ": " (f.reason)
                }
            }
            @if let Some(m) = errors.get("enabled_plugins") { p.field-error { (m) } }
            h2 { "Who handles what" }
            (chooser("price_plugin", "Price", &cs.price_plugin, Capability::Price))
            (chooser("stock_plugin", "Stock", &cs.stock_plugin, Capability::Stock))
            (chooser("order_plugin", "Orders", &cs.order_plugin, Capability::Orders))
            label for="refresh_minutes" { "Catalogue refresh interval (minutes)" }
            input #refresh_minutes type="number" min="1" name="refresh_minutes" value=(cs.refresh_minutes);
            @if let Some(m) = errors.get("refresh_minutes") { p.field-error { (m) } }
            h2 { "Network" }
            div {
                input type="checkbox" #allow_private_networks name="allow_private_networks" value="on"
                    checked[cs.allow_private_networks];
                " " label.inline for="allow_private_networks" {
                    "Allow private networks: plugins may reach loopback and private addresses "
                    "(10/8, 172.16/12, 192.168/16, fc00::/7). Only for a back office on your own network."
                }
            }
            div { button #save-connect type="submit" { "Save" } }
        }
    };
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page("Connect settings", Some((sf, Tab::Connect)), body),
    )
        .into_response()
}

pub async fn save_connect(
    State(svc): Svc,
    Path(sf): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let refresh = field(&form, "refresh_minutes").trim();
    let cs = ConnectSettings {
        enabled_plugins: form
            .iter()
            .filter(|(k, _)| k == "enabled_plugins")
            .map(|(_, v)| v.clone())
            .collect(),
        price_plugin: opt(&form, "price_plugin"),
        stock_plugin: opt(&form, "stock_plugin"),
        order_plugin: opt(&form, "order_plugin"),
        refresh_minutes: if refresh.is_empty() {
            1440
        } else {
            refresh.parse().unwrap_or(0)
        },
        allow_private_networks: !field(&form, "allow_private_networks").is_empty(),
    };
    match svc.set_connect(&sf, cs).await {
        Ok(_) => Redirect::to(&format!("/admin/storefronts/{sf}?saved=1")).into_response(),
        Err(e) => render_connect(&svc, &sf, Some(&e), false).await,
    }
}

pub async fn departments(
    State(svc): Svc,
    Path(sf): Path<String>,
    Query(n): Query<Notice>,
) -> Response {
    render_departments(&svc, &sf, None, n.saved.as_deref()).await
}

async fn render_departments(
    svc: &Service,
    sf: &str,
    error: Option<&ServiceError>,
    saved: Option<&str>,
) -> Response {
    let (depts, customers, links) = match (
        svc.departments(sf).await,
        svc.customers(sf).await,
        svc.customer_links(sf).await,
    ) {
        (Ok(d), Ok(c), Ok(l)) => (d, c, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(e, None),
    };
    let errors = error.map(errors_of).unwrap_or_default();
    let body = html! {
        @if let Some(what) = saved { (flash(true, &format!("{what} saved."))) }
        @if let Some(e) = error { (flash(false, &e.to_string())) }
        p.help { "A department is a client company. Its customer code (the back office's customer, its \"ExternalId\") is used for prices and orders of its users; users without one use the storefront customer code." }
        table #departments {
            tr { th { "Department" } th { "Name" } th { "Customer code" } }
            @for d in &depts {
                tr { td { (d.id) } td { (d.name) } td { @if let Some(c) = &d.customer_code { code { (c) } } @else { span.muted { "storefront default" } } } }
            }
        }
        form.card method="post" action={ "/admin/storefronts/" (sf) "/departments" } {
            h2 { "Add or change a department" }
            label for="dept-id" { "Id" } input #dept-id name="id" required;
            @if let Some(m) = errors.get("id") { p.field-error { (m) } }
            label for="dept-name" { "Name" } input #dept-name name="name";
            label for="dept-code" { "Customer code" } input #dept-code name="customer_code";
            div { button type="submit" { "Save department" } }
        }
        h2 { "Customers" }
        table #customers {
            tr { th { "Customer" } th { "Email" } th { "Name" } th { "Department" } th { "Linked back-office customer" } }
            @for c in &customers {
                tr {
                    td { (c.id) } td { (c.email.as_deref().unwrap_or("")) } td { (c.name.as_deref().unwrap_or("")) }
                    td { (c.department.as_deref().unwrap_or("—")) }
                    td { @for l in links.iter().filter(|l| c.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&l.email))) {
                        code { (l.customer_code) } " " span.muted { "(" (l.plugin) @if l.created { ", created" } ")" } br;
                    } }
                }
            }
        }
        form.card method="post" action={ "/admin/storefronts/" (sf) "/customers" } {
            h2 { "Add or change a customer" }
            label for="cust-id" { "Id" } input #cust-id name="id" required;
            label for="cust-email" { "Email" } input #cust-email type="email" name="email";
            @if let Some(m) = errors.get("email") { p.field-error { (m) } }
            label for="cust-name" { "Name" } input #cust-name name="name";
            label for="cust-dept" { "Department" }
            select #cust-dept name="department" {
                option value="" { "None" }
                @for d in &depts { option value=(d.id) { (d.name) } }
            }
            @if let Some(m) = errors.get("department") { p.field-error { (m) } }
            div { button type="submit" { "Save customer" } }
        }
    };
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page(
            "Departments and customers",
            Some((sf, Tab::Departments)),
            body,
        ),
    )
        .into_response()
}

pub async fn save_department(
    State(svc): Svc,
    Path(sf): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let id = field(&form, "id").trim().to_string();
    // Codes for particular plugins are set through the API; keep them.
    let plugin_codes = svc
        .department(&sf, &id)
        .await
        .map(|d| d.plugin_codes)
        .unwrap_or_default();
    let d = Department {
        id,
        name: field(&form, "name").to_string(),
        customer_code: opt(&form, "customer_code"),
        plugin_codes,
    };
    match svc.put_department(&sf, d).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/storefronts/{sf}/departments?saved=Department"
        ))
        .into_response(),
        Err(e) => render_departments(&svc, &sf, Some(&e), None).await,
    }
}

pub async fn save_customer(
    State(svc): Svc,
    Path(sf): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let c = Customer {
        id: field(&form, "id").trim().to_string(),
        email: opt(&form, "email"),
        name: opt(&form, "name"),
        department: opt(&form, "department"),
    };
    match svc.put_customer(&sf, c).await {
        Ok(_) => Redirect::to(&format!(
            "/admin/storefronts/{sf}/departments?saved=Customer"
        ))
        .into_response(),
        Err(e) => render_departments(&svc, &sf, Some(&e), None).await,
    }
}

pub async fn orders(State(svc): Svc, Path(sf): Path<String>, Query(n): Query<Notice>) -> Response {
    let list = match svc.orders(&sf, None, 200).await {
        Ok(l) => l,
        Err(e) => return error_page(e, None),
    };
    let body = html! {
        @if n.saved.is_some() { (flash(true, "The order is due for delivery again.")) }
        p.help { "Newest first. Failed orders were parked after their last attempt; retry them once the cause is fixed." }
        table #orders {
            tr { th { "Order" } th { "State" } th { "Attempts" } th { "Last error" } th { "Order no." } th { "Customer" } th { "Job" } th { "Job status" } th { "Tracking" } th {} }
            @for o in &list {
                tr id={ "order-" (o.id) } {
                    td { (o.id) br; span.muted { (o.created_at) } }
                    td class={ "state-" (o.state) } { (o.state) }
                    td { (o.attempts) }
                    td { @if let Some(e) = &o.last_error { (e) } }
                    td { (o.backend_order_no.as_deref().or(o.backend_order_id.as_deref()).unwrap_or("")) }
                    td { (o.customer_code.as_deref().unwrap_or("")) }
                    td { (o.job_no.as_deref().unwrap_or("")) }
                    td.job-status { (o.job_status.as_deref().unwrap_or("")) }
                    td.tracking { (o.tracking_number.as_deref().unwrap_or("")) }
                    td { @if o.state == FAILED {
                        form method="post" action={ "/admin/storefronts/" (sf) "/orders/" (o.id) "/retry" } { button type="submit" style="margin:0" { "Retry" } }
                    } }
                }
            }
            @if list.is_empty() { tr { td colspan="10" .muted { "No orders yet." } } }
        }
    };
    page("Orders", Some((&sf, Tab::Orders)), body).into_response()
}

pub async fn retry_order(State(svc): Svc, Path((sf, id)): Path<(String, String)>) -> Response {
    match svc.retry_order(&sf, &id).await {
        Ok(_) => Redirect::to(&format!("/admin/storefronts/{sf}/orders?saved=1")).into_response(),
        Err(e) => error_page(e, Some((&sf, Tab::Orders))),
    }
}
