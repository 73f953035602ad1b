//! The admin web pages at `/admin`: server-rendered HTML (maud), plain
//! forms, no JavaScript. Operators log in with the admin token or the
//! configured user name and password (throttled per client address); the
//! session is a random id kept server-side ([`crate::service::http::auth`]) in a cookie
//! (`SameSite=Strict`, which also keeps other sites from posting forms),
//! and a form posted from another site is refused outright
//! ([`cross_site`]), so the pages do not rely on the cookie attribute alone.

mod keys;
mod layout;
mod mappings;
mod pages;
mod plugins;
mod registry;

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Request, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::service::Service;
use crate::service::http::auth::COOKIE as SESSION_COOKIE;

pub type Svc = State<Arc<Service>>;

pub fn router(svc: Arc<Service>) -> Router {
    let protected =
        Router::new()
            .route("/", get(pages::storefronts).post(pages::create_storefront))
            .route(
                "/storefronts/{sf}",
                get(pages::connect).post(pages::save_connect),
            )
            .route(
                "/plugins",
                get(registry::list).post(registry::upload).layer(
                    axum::extract::DefaultBodyLimit::max(svc.config.plugins.max_upload_mib << 20),
                ),
            )
            .route("/plugins/{plugin}/version", post(registry::switch))
            .route("/storefronts/{sf}/plugins", get(plugins::list))
            .route(
                "/storefronts/{sf}/plugins/{plugin}/configure",
                get(plugins::configure_form).post(plugins::configure_save),
            )
            .route(
                "/storefronts/{sf}/plugins/{plugin}/check",
                post(plugins::check_connection),
            )
            .route(
                "/storefronts/{sf}/plugins/{plugin}/refresh",
                post(plugins::refresh),
            )
            .route(
                "/storefronts/{sf}/plugins/{plugin}/webhook-secret",
                post(plugins::rotate_webhook_secret),
            )
            .route(
                "/storefronts/{sf}/departments",
                get(pages::departments).post(pages::save_department),
            )
            .route("/storefronts/{sf}/customers", post(pages::save_customer))
            .route(
                "/storefronts/{sf}/mappings",
                get(mappings::list).post(mappings::save),
            )
            .route("/storefronts/{sf}/orders", get(pages::orders))
            .route(
                "/storefronts/{sf}/orders/{id}/retry",
                post(pages::retry_order),
            )
            .route("/storefronts/{sf}/keys", get(keys::list).post(keys::create))
            .route("/storefronts/{sf}/keys/{key}/revoke", post(keys::revoke))
            .route("/logout", post(logout))
            .route("/logout-all", post(logout_all))
            .route_layer(axum::middleware::from_fn_with_state(
                svc.clone(),
                require_login,
            ));
    Router::new()
        .merge(protected)
        .route("/login", get(login_form).post(login))
        .layer(axum::middleware::from_fn_with_state(
            svc.clone(),
            refuse_cross_site,
        ))
        .with_state(svc)
}

/// Whether a request that changes something comes from another site: the
/// browser's own `Sec-Fetch-Site` says so, or (from browsers that do not
/// send it) an `Origin` that is neither this host nor `server.public_url`.
/// Requests without either header (curl, scripts) are not browser form
/// posts and pass on to the login check.
fn cross_site(req: &Request, public_url: &str) -> bool {
    if req.method().is_safe() {
        return false;
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let from_host =
        header("host").is_some_and(|host| origin.split_once("://").is_some_and(|(_, o)| o == host));
    !(from_host || origin == public_url)
}

async fn refuse_cross_site(State(svc): Svc, req: Request, next: Next) -> Response {
    if cross_site(&req, &svc.config.public_url()) {
        tracing::warn!(path = %req.uri().path(), "a form posted from another site was refused");
        return (
            StatusCode::FORBIDDEN,
            "Refused: this form was posted from another site.",
        )
            .into_response();
    }
    next.run(req).await
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

async fn require_login(State(svc): Svc, req: Request, next: Next) -> Response {
    let logged_in = match session_cookie(req.headers()) {
        Some(c) => svc.session_ok(&c).await,
        None => false,
    };
    if logged_in {
        next.run(req).await
    } else {
        Redirect::to("/admin/login").into_response()
    }
}

async fn login_form(State(svc): Svc) -> maud::Markup {
    login_page(&svc, None)
}

fn login_page(svc: &Service, error: Option<&str>) -> maud::Markup {
    layout::page(
        "Log in",
        None,
        html! {
            form.card method="post" action="/admin/login" {
                h2 { "Log in" }
                @if let Some(e) = error { p.flash.error id="login-error" { (e) } }
                @if svc.auth.has_user() {
                    label for="username" { "User name (leave empty to log in with the admin token)" }
                    input #username name="username" autocomplete="username";
                } @else {
                    input type="hidden" name="username" value="";
                }
                label for="secret" { @if svc.auth.has_user() { "Password or admin token" } @else { "Admin token" } }
                input #secret type="password" name="secret" autocomplete="current-password" required;
                button #login type="submit" { "Log in" }
            }
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    secret: String,
}

async fn login(
    State(svc): Svc,
    client: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    Form(f): Form<LoginForm>,
) -> Response {
    let address = client.map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |c| c.0.0.ip());
    if !svc.auth.login_allowed(address) {
        tracing::warn!(%address, "admin login throttled");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            login_page(
                &svc,
                Some("Too many login attempts from your address: wait a minute, then try again."),
            ),
        )
            .into_response();
    }
    if !svc.auth.login_ok(f.username.trim(), &f.secret) {
        tracing::warn!("admin login refused");
        return (
            StatusCode::UNAUTHORIZED,
            login_page(&svc, Some("Wrong credentials.")),
        )
            .into_response();
    }
    let session = match svc.open_session().await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "no admin session could be opened");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "No session could be opened.",
            )
                .into_response();
        }
    };
    let mut resp = Redirect::to("/admin").into_response();
    if let Ok(v) = HeaderValue::from_str(&svc.auth.cookie(&session)) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}

/// Ends this session (server-side too: the cookie is no login any more).
async fn logout(State(svc): Svc, headers: HeaderMap) -> Response {
    if let Some(id) = session_cookie(&headers)
        && let Err(e) = svc.close_session(&id).await
    {
        tracing::error!(error = %e, "an admin session could not be closed");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The session could not be closed; try again.",
        )
            .into_response();
    }
    logged_out(&svc)
}

/// Ends every admin session.
async fn logout_all(State(svc): Svc) -> Response {
    match svc.close_all_sessions().await {
        Ok(n) => tracing::warn!(sessions = n, "every admin session was revoked"),
        Err(e) => {
            tracing::error!(error = %e, "admin sessions could not be revoked");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The sessions could not be closed; try again.",
            )
                .into_response();
        }
    }
    logged_out(&svc)
}

fn logged_out(svc: &Service) -> Response {
    let mut resp = (StatusCode::SEE_OTHER, [(LOCATION, "/admin/login")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&svc.auth.cookie("")) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}
