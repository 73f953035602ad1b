//! `connect-host`: the storefront service (REST API, admin pages, durable
//! outbox, webhooks, stores, several nodes) and its command line, on the
//! plugin runtime of `connect-runtime`.

pub mod service;
