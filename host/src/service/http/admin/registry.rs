//! The Plugins page: every plugin with its versions and the storefronts
//! running each, an upload form, and a switch of every storefront, or of
//! one, to a version (upgrade or rollback), refusals shown with their field
//! errors.

use axum::extract::{Form, Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Svc;
use super::layout::{flash, page};
use super::pages::error_page;
use crate::service::domain::registry::Refusal;
use crate::service::{Service, ServiceError};

pub async fn list(State(svc): Svc) -> Response {
    render(&svc, html! {}).await
}

async fn render(svc: &Service, shown: Markup) -> Response {
    let registry = match svc.plugin_registry().await {
        Ok(r) => r,
        Err(e) => return error_page(e, None),
    };
    let body = html! {
        (shown)
        @for entry in &registry {
            div.card id={ "registry-" (entry.id) } {
                h2 { (entry.name) " " span.muted { (entry.id) } }
                table {
                    tr { th { "Version" } th { "Contract" } th { "Source" } th { "Storefronts" } th {} }
                    @for v in &entry.versions {
                        tr.version id={ "version-" (entry.id) "-" (v.version) } {
                            td { (v.version) @if v.version == entry.newest { " (newest)" } }
                            td { (v.contract) }
                            td { (v.source) }
                            td { @for s in &v.storefronts { (s.storefront) @if s.pinned { " (chosen)" } " " } }
                            td {
                                form.inline method="post" action={ "/admin/plugins/" (entry.id) "/version" } {
                                    input type="hidden" name="version" value=(v.version);
                                    button.secondary type="submit" { "Switch every storefront to " (v.version) }
                                }
                                @let others: Vec<&str> = entry.versions.iter()
                                    .filter(|o| o.version != v.version)
                                    .flat_map(|o| o.storefronts.iter().map(|s| s.storefront.as_str()))
                                    .collect();
                                @if !others.is_empty() {
                                    form.inline.switch-one method="post" action={ "/admin/plugins/" (entry.id) "/version" } {
                                        input type="hidden" name="version" value=(v.version);
                                        select name="storefront" aria-label="Storefront" {
                                            @for sf in &others { option value=(sf) { (sf) } }
                                        }
                                        button.secondary type="submit" { "Switch it to " (v.version) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        form.card #upload-form method="post" action="/admin/plugins" enctype="multipart/form-data" {
            h2 { "Upload a plugin version" }
            p.muted { "A .wasm component; validated before it is accepted. Storefronts that follow the newest move to it when it accepts their settings." }
            input #component type="file" name="component" accept=".wasm";
            button type="submit" #upload { "Upload" }
        }
    };
    page("Plugins", None, body).into_response()
}

pub async fn upload(State(svc): Svc, mut form: Multipart) -> Response {
    let mut bytes = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("component") {
            bytes = field.bytes().await.ok().map(|b| b.to_vec());
        }
    }
    let Some(bytes) = bytes else {
        return render(&svc, flash(false, "Choose a .wasm file to upload.")).await;
    };
    let shown = match svc.upload_plugin(bytes).await {
        Ok(o) => html! {
            (flash(true, &format!("Uploaded {} version {}. Upgraded: {}.", o.plugin, o.version,
                if o.upgraded.is_empty() { "none".to_string() } else { o.upgraded.join(", ") })))
            (refusals(&o.refused))
        },
        Err(e) => failure(&e),
    };
    render(&svc, shown).await
}

#[derive(Deserialize)]
pub struct SwitchForm {
    version: String,
    /// One storefront; absent: every storefront.
    #[serde(default)]
    storefront: Option<String>,
}

pub async fn switch(
    State(svc): Svc,
    Path(plugin): Path<String>,
    Form(f): Form<SwitchForm>,
) -> Response {
    let only = f.storefront.filter(|s| !s.is_empty()).map(|s| vec![s]);
    let shown = match svc.switch_version(&plugin, Some(&f.version), only).await {
        Ok(o) => html! {
            (flash(true, &format!("{} storefront(s) now run {} {}.", o.switched.len(), plugin, f.version)))
            (refusals(&o.refused))
        },
        Err(e) => failure(&e),
    };
    render(&svc, shown).await
}

fn failure(e: &ServiceError) -> Markup {
    html! { div #registry-error { (flash(false, &e.to_string())) } }
}

/// Storefronts that stayed on their version, with the field errors.
fn refusals(refused: &[Refusal]) -> Markup {
    html! {
        @for r in refused {
            div.check-failed.refusal id={ "refused-" (r.storefront) } {
                strong { (r.storefront) } " stays on " (r.stays_on) ": "
                @for e in &r.errors { (e.key) ": " (e.message) " " }
            }
        }
    }
}
