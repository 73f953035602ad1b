//! The service over HTTP: the REST API, the admin pages, webhooks, and who
//! may call what (the admin token, admin users and sessions, webhook
//! signatures). Handlers parse, call the domain, and answer; no business
//! rule lives here.

pub mod admin;
pub mod api;
pub mod auth;
pub mod server;
pub mod webhook_auth;
