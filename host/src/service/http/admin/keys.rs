//! A storefront's API keys page: create a key (shown once, on the answer
//! to the form, never again), list keys by label and prefix, revoke.

use axum::extract::{Form, Path, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::Svc;
use super::layout::{Tab, flash, page};
use super::pages::{Notice, error_page, errors_of};
use crate::service::domain::keys::{CreatedKey, KeyInput};
use crate::service::http::api::error::status_of;
use crate::service::{Service, ServiceError};

pub async fn list(State(svc): Svc, Path(sf): Path<String>, Query(n): Query<Notice>) -> Response {
    render(&svc, &sf, None, None, n.saved.is_some()).await
}

async fn render(
    svc: &Service,
    sf: &str,
    created: Option<&CreatedKey>,
    error: Option<&ServiceError>,
    revoked: bool,
) -> Response {
    let keys = match svc.keys(sf).await {
        Ok(k) => k,
        Err(e) => return error_page(e, None),
    };
    let errors = error.map(errors_of).unwrap_or_default();
    let body = html! {
        @if revoked { (flash(true, "The key is revoked: requests with it are refused from now on.")) }
        @if let Some(e) = error { (flash(false, &e.to_string())) }
        @if let Some(c) = created {
            div.flash.ok #new-key {
                "New key " strong { (c.info.label) } ". Copy it now: it is not shown again."
                br; code #new-key-value { (c.key) }
            }
        }
        p.help { "The storefront sends its key as " code { "Authorization: Bearer <key>" } ". A key may only ask for price and stock and submit and read orders of this storefront; settings need the admin token." }
        table #keys {
            tr { th { "Label" } th { "Key starts with" } th { "Created" } th {} }
            @for k in &keys {
                tr id={ "key-" (k.id) } {
                    td { (k.label) } td { code { (k.prefix) "…" } } td { (k.created_at) }
                    td { form method="post" action={ "/admin/storefronts/" (sf) "/keys/" (k.id) "/revoke" } { button.secondary type="submit" style="margin:0" { "Revoke" } } }
                }
            }
            @if keys.is_empty() { tr { td colspan="4" .muted { "No keys yet." } } }
        }
        form.card method="post" action={ "/admin/storefronts/" (sf) "/keys" } {
            h2 { "Create a key" }
            label for="key-label" { "Label (what the key is for, e.g. the live shop)" } input #key-label name="label";
            @if let Some(m) = errors.get("label") { p.field-error { (m) } }
            div { button #create-key type="submit" { "Create key" } }
        }
    };
    let status = error.map(status_of).unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        // The page may hold a new key: keep it out of caches.
        [(CACHE_CONTROL, "no-store")],
        page("API keys", Some((sf, Tab::Keys)), body),
    )
        .into_response()
}

pub async fn create(
    State(svc): Svc,
    Path(sf): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let label = form.into_iter().find(|(k, _)| k == "label").map(|(_, v)| v);
    match svc.create_key(&sf, KeyInput { label }).await {
        Ok(created) => render(&svc, &sf, Some(&created), None, false).await,
        Err(e) => render(&svc, &sf, None, Some(&e), false).await,
    }
}

pub async fn revoke(State(svc): Svc, Path((sf, id)): Path<(String, String)>) -> Response {
    match svc.revoke_key(&sf, &id).await {
        Ok(()) => Redirect::to(&format!("/admin/storefronts/{sf}/keys?saved=1")).into_response(),
        Err(e) => error_page(e, Some((&sf, Tab::Keys))),
    }
}
