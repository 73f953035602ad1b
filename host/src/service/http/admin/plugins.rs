//! Connect plugins: each enabled plugin with Configure and Check
//! Connection, and the configure form generated from the plugin's settings
//! schema (secret fields write-only, defaults shown, field errors inline).

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::Svc;
use super::layout::{Tab, flash, page};
use super::pages::{Notice, error_page, errors_of};
use crate::service::domain::catalogue::RefreshOutcome;
use crate::service::domain::plugin_settings::{
    CheckOutcome, SettingsInput, SettingsView, is_secret, secret_spec,
};
use crate::service::http::webhook_auth::NewWebhookSecret;
use crate::service::{Service, ServiceError};
use connect_runtime::contract::{PluginInfo, SettingKind, SettingSpec};

/// What an action just did, shown once on the plugin list (for one plugin).
enum Shown {
    Nothing,
    Saved,
    Check(String, CheckOutcome),
    Refresh(String, Result<RefreshOutcome, ServiceError>),
    /// A new webhook secret: the only time its URL is shown.
    Secret(String, Result<NewWebhookSecret, ServiceError>),
}

pub async fn list(State(svc): Svc, Path(sf): Path<String>, Query(n): Query<Notice>) -> Response {
    let shown = if n.saved.is_some() {
        Shown::Saved
    } else {
        Shown::Nothing
    };
    render_list(&svc, &sf, shown).await
}

async fn render_list(svc: &Service, sf: &str, shown: Shown) -> Response {
    let (check, refresh, secret) = match &shown {
        Shown::Check(p, o) => (Some((p.as_str(), o)), None, None),
        Shown::Refresh(p, o) => (None, Some((p.as_str(), o)), None),
        Shown::Secret(p, o) => (None, None, Some((p.as_str(), o))),
        Shown::Nothing | Shown::Saved => (None, None, None),
    };
    let saved = matches!(shown, Shown::Saved);
    let storefront = match svc.storefront(sf).await {
        Ok(s) => s,
        Err(e) => return error_page(e, None),
    };
    let mut rows = Vec::new();
    for id in &storefront.connect.enabled_plugins {
        let Ok(info) = svc.runtime.info(id) else {
            continue;
        };
        match svc.settings_view(sf, id).await {
            Ok(view) => rows.push((info, view)),
            Err(e) => return error_page(e, Some((sf, Tab::Plugins))),
        }
    }
    let body = html! {
        @if saved { (flash(true, "Settings saved. Check the connection to verify them.")) }
        @if rows.is_empty() {
            p.muted { "No plugins are enabled for this storefront: enable them under " a href={ "/admin/storefronts/" (sf) } { "Connect settings" } "." }
        }
        @for (info, view) in &rows {
            div.card id={ "plugin-" (info.id) } {
                h2 { (info.name) " " span.muted { (info.version) } }
                p { (info.description) }
                p {
                    @if view.configured { "Configured " span.muted { (view.configured_at.as_deref().unwrap_or("")) } }
                    @else { strong { "Not configured yet." } }
                }
                @if let Some((_, outcome)) = check.filter(|(p, _)| *p == info.id) {
                    (check_box(outcome))
                } @else if let Some(last) = &view.last_check {
                    p.muted { "Last check " (last.at) ": " @if last.ok { "success" } @else { "failed" } }
                }
                @if let Some((_, outcome)) = refresh.as_ref().filter(|(p, _)| *p == info.id) {
                    @match outcome {
                        Ok(r) if r.ok => div.check-ok { "Catalogue refreshed: " (r.products.unwrap_or(0)) " products in " (r.product_types.unwrap_or(0)) " product types." },
                        Ok(r) => div.check-failed { "Catalogue refresh failed: " (r.error.as_deref().unwrap_or("")) },
                        Err(e) => div.check-failed { (e.to_string()) },
                    }
                }
                (webhook_box(svc, sf, &info.id, secret.filter(|(p, _)| *p == info.id).map(|(_, o)| o)).await)
                a href={ "/admin/storefronts/" (sf) "/plugins/" (info.id) "/configure" } {
                    button.secondary type="button" id={ "configure-" (info.id) } { "Configure" }
                }
                " "
                form.inline method="post" action={ "/admin/storefronts/" (sf) "/plugins/" (info.id) "/check" } {
                    button type="submit" id={ "check-" (info.id) } { "Check Connection" }
                }
                " "
                form.inline method="post" action={ "/admin/storefronts/" (sf) "/plugins/" (info.id) "/refresh" } {
                    button.secondary type="submit" id={ "refresh-" (info.id) } { "Refresh catalogue" }
                }
            }
        }
    };
    page("Connect plugins", Some((sf, Tab::Plugins)), body).into_response()
}

fn check_box(outcome: &CheckOutcome) -> Markup {
    html! {
        @if outcome.ok {
            div.check-ok #check-result {
                strong { "Success. " } (outcome.summary)
                @if !outcome.checks.is_empty() {
                    ul { @for c in &outcome.checks { li { (c.name) ": " (c.detail) } } }
                }
                @if !outcome.warnings.is_empty() {
                    ul.warnings { @for w in &outcome.warnings { li { "Warning: " (w) } } }
                }
            }
        } @else {
            div.check-failed #check-result {
                strong { "Connection failed" @if let Some(k) = &outcome.kind { " (" (k) ")" } ". " }
                (outcome.summary)
            }
        }
    }
}

pub async fn check_connection(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> Response {
    match svc.check_connection(&sf, &plugin).await {
        Ok(outcome) => render_list(&svc, &sf, Shown::Check(plugin, outcome)).await,
        Err(e) => {
            let outcome = CheckOutcome {
                ok: false,
                summary: e.to_string(),
                kind: Some(e.kind().to_string()),
                checks: vec![],
                warnings: vec![],
                at: String::new(),
            };
            render_list(&svc, &sf, Shown::Check(plugin, outcome)).await
        }
    }
}

pub async fn refresh(State(svc): Svc, Path((sf, plugin)): Path<(String, String)>) -> Response {
    let outcome = svc.refresh_catalogue(&sf, &plugin).await;
    render_list(&svc, &sf, Shown::Refresh(plugin, outcome)).await
}

/// Makes a new webhook secret and shows its URL once.
pub async fn rotate_webhook_secret(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> Response {
    let outcome = svc.rotate_webhook_secret(&sf, &plugin).await;
    render_list(&svc, &sf, Shown::Secret(plugin, outcome)).await
}

/// Where the back office sends webhooks: the secret's state, a new secret
/// (once, right after it was made) and the button that makes one.
async fn webhook_box(
    svc: &Service,
    sf: &str,
    plugin: &str,
    new: Option<&Result<NewWebhookSecret, ServiceError>>,
) -> Markup {
    let info = svc.webhook_secret_info(sf, plugin).await;
    html! {
        div.webhooks id={ "webhooks-" (plugin) } {
            @match new {
                Some(Ok(n)) => div.check-ok #webhook-secret {
                    strong { "New webhook secret. " } "Shown this once: give the back office this URL (the old secret no longer works):"
                    p { code #webhook-secret-url { (n.secret_url) } }
                    p.help { "Or post to " code { (n.info.signed_url) } " signed with " code { "X-Connect-Timestamp" } " and " code { "X-Connect-Signature: v1=<hex HMAC-SHA256(secret, \"<timestamp>.<body>\")>" } " using the secret " code { (n.secret) } "." }
                },
                Some(Err(e)) => div.check-failed { (e.to_string()) },
                None => {},
            }
            p.help {
                @match &info {
                    Ok(i) if i.configured => { "Webhooks: a secret is set (" (i.created_at.as_deref().unwrap_or("")) "); webhooks without it are refused." }
                    Ok(_) => { strong { "Webhooks: no secret yet" } ", so every webhook is refused: make one and give its URL to the back office." }
                    Err(e) => { (e.to_string()) }
                }
                " "
                form.inline method="post" action={ "/admin/storefronts/" (sf) "/plugins/" (plugin) "/webhook-secret" } {
                    button.secondary type="submit" id={ "webhook-secret-" (plugin) } { "Make a new webhook secret" }
                }
            }
        }
    }
}

pub async fn configure_form(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
) -> Response {
    let (info, view) = match (
        svc.runtime.info(&plugin),
        svc.settings_view(&sf, &plugin).await,
    ) {
        (Ok(i), Ok(v)) => (i, v),
        (Err(e), _) => return error_page(e.into(), Some((&sf, Tab::Plugins))),
        (_, Err(e)) => return error_page(e, Some((&sf, Tab::Plugins))),
    };
    let values = view.values.clone();
    render_form(&sf, &info, &view, &values, None).into_response()
}

pub async fn configure_save(
    State(svc): Svc,
    Path((sf, plugin)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let info = match svc.runtime.info(&plugin) {
        Ok(i) => i,
        Err(e) => return error_page(e.into(), Some((&sf, Tab::Plugins))),
    };
    // Multi-choice checkboxes arrive as repeated keys: join them.
    let mut submitted: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in form {
        if !info.settings.iter().any(|s| s.key == k) {
            continue;
        }
        submitted
            .entry(k)
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    // An unticked multi-choice sends nothing: that is "none of them".
    for s in &info.settings {
        if s.kind == SettingKind::MultiChoice {
            submitted.entry(s.key.clone()).or_default();
        }
    }
    let input: SettingsInput = submitted
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    match svc.write_settings(&sf, &plugin, input).await {
        Ok(_) => Redirect::to(&format!("/admin/storefronts/{sf}/plugins?saved=1")).into_response(),
        Err(e) => {
            let view = match svc.settings_view(&sf, &plugin).await {
                Ok(v) => v,
                Err(e) => return error_page(e, Some((&sf, Tab::Plugins))),
            };
            // Show what was typed (never secrets) next to the errors.
            let shown: BTreeMap<String, String> = submitted
                .into_iter()
                .filter(|(k, _)| !is_secret(&info, k))
                .collect();
            let status = crate::service::http::api::error::status_of(&e);
            (status, render_form(&sf, &info, &view, &shown, Some(&e))).into_response()
        }
    }
}

fn render_form(
    sf: &str,
    info: &PluginInfo,
    view: &SettingsView,
    values: &BTreeMap<String, String>,
    error: Option<&ServiceError>,
) -> Markup {
    let errors = error.map(errors_of).unwrap_or_default();
    let body = html! {
        @if let Some(e) = error {
            @if errors.is_empty() { (flash(false, &e.to_string())) }
            @else { (flash(false, "Some settings need fixing; see the messages below.")) }
        }
        form.card #configure-form method="post" action={ "/admin/storefronts/" (sf) "/plugins/" (info.id) "/configure" } {
            @for spec in &info.settings {
                (setting_field(spec, values.get(&spec.key), view.secrets.get(&spec.key).copied(), errors.get(&spec.key)))
                @if spec.kind == SettingKind::Url { (outgoing_ips(&view.outgoing_ips)) }
            }
            @for (key, message) in errors.iter().filter(|(k, _)| !info.settings.iter().any(|s| &s.key == *k)) {
                p.field-error { (key) ": " (message) }
            }
            div { button #save-settings type="submit" { "Save" } }
        }
    };
    page(
        &format!("Configure {}", info.name),
        Some((sf, Tab::Plugins)),
        body,
    )
}

/// Beside an endpoint setting: the addresses the back office must allow.
fn outgoing_ips(ips: &[String]) -> Markup {
    html! {
        p.help.outgoing-ips {
            @if ips.is_empty() {
                "This service's outgoing addresses are not configured (" code { "server.outgoing_ips" } "): ask whoever runs it which addresses the back office must allow."
            } @else {
                "Requests to this address come from " @for (n, ip) in ips.iter().enumerate() { @if n > 0 { ", " } code.outgoing-ip { (ip) } } ": allow them in the back office's firewall or API allow-list."
            }
        }
    }
}

fn setting_field(
    spec: &SettingSpec,
    value: Option<&String>,
    secret_set: Option<bool>,
    error: Option<&String>,
) -> Markup {
    let id = format!("setting-{}", spec.key);
    let value = value.map(String::as_str).unwrap_or("");
    let default = spec.default_value.as_deref();
    html! {
        div.setting {
            label for=(id) { (spec.label) @if spec.required { " *" } }
            @match spec.kind {
                SettingKind::Password => {
                    @let set = secret_set.unwrap_or(false);
                    input id=(id) type="password" name=(spec.key) value="" autocomplete="new-password"
                        placeholder=(if set { "set (leave empty to keep)" } else { "not set" });
                }
                SettingKind::Boolean => {
                    @let current = if value.is_empty() { default.unwrap_or("false") } else { value };
                    select id=(id) name=(spec.key) {
                        option value="true" selected[current == "true"] { "Yes" }
                        option value="false" selected[current != "true"] { "No" }
                    }
                }
                SettingKind::Choice => {
                    @let current = if value.is_empty() { default.unwrap_or("") } else { value };
                    select id=(id) name=(spec.key) {
                        @if !spec.required { option value="" selected[current.is_empty()] { "—" } }
                        @for c in &spec.choices { option value=(c) selected[c == current] { (c) } }
                    }
                }
                SettingKind::MultiChoice => {
                    @let current = if value.is_empty() && !spec.key.is_empty() { default.unwrap_or("") } else { value };
                    @let chosen: Vec<&str> = current.split(',').map(str::trim).collect();
                    div id=(id) {
                        @for c in &spec.choices {
                            input type="checkbox" id={ (id) "-" (c) } name=(spec.key) value=(c) checked[chosen.contains(&c.as_str())];
                            " " label.inline for={ (id) "-" (c) } { (c) } "  "
                        }
                    }
                }
                SettingKind::Json => {
                    textarea id=(id) name=(spec.key) placeholder=[default] { (value) }
                }
                SettingKind::Integer => {
                    input id=(id) type="number" name=(spec.key) value=(value) placeholder=[default]
                        min=[spec.min] max=[spec.max];
                }
                SettingKind::Url => { input id=(id) type="text" inputmode="url" name=(spec.key) value=(value) placeholder=[default]; }
                SettingKind::Email => { input id=(id) type="email" name=(spec.key) value=(value) placeholder=[default]; }
                SettingKind::Text => { input id=(id) type="text" name=(spec.key) value=(value) placeholder=[default]; }
            }
            @if !spec.help.is_empty() { p.help { (spec.help) } }
            @if let Some(d) = default.filter(|d| !d.is_empty() && spec.kind != SettingKind::Password) {
                p.help { "Default: " code { (d) } }
            }
            @if secret_spec(spec) {
                p.help { "Write-only; " @if secret_set == Some(true) { "currently set: leave empty to keep it." } @else { "currently not set." } }
            }
            @if let Some(m) = error { p.field-error id={ "error-" (spec.key) } { (m) } }
        }
    }
}
