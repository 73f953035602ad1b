//! The Tharstern API under `/TharsternAPI/api/`: routing and what the
//! handlers share (query parameters, paging, JSON bodies).

mod auth;
mod customers;
mod estimates;
mod jobs;
mod orders;
mod products;
mod stock;
mod subscriptions;

pub(crate) use auth::is_authorized;
pub use estimates::CALL_FOR_PRICE;

use crate::envelope::Problems;
use crate::state::SimState;
use axum::Router;
use axum::body::Bytes;
use axum::routing::{MethodRouter, delete, get, post};
use serde_json::Value;
use std::sync::Arc;

/// The API base path as clients write it.
pub const API_BASE: &str = "/TharsternAPI/api";

/// Paths are lower-cased before routing (ASP.NET matches case-insensitively),
/// so routes are registered in lower case.
pub fn route_path(endpoint: &str) -> String {
    format!("{API_BASE}/{endpoint}").to_ascii_lowercase()
}

/// The canonical endpoint name of a matched (lower-case) route path.
pub fn endpoint_of(matched_path: &str) -> Option<&'static str> {
    let rest = matched_path.strip_prefix(&API_BASE.to_ascii_lowercase())?;
    crate::faults::canonical_endpoint(rest)
}

pub type AppState = Arc<SimState>;

pub fn router() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 14] = [
        ("authentication/GenerateAPIToken", get(auth::generate_token)),
        ("customers", get(customers::list).post(customers::create)),
        ("producttypes", get(products::product_types)),
        ("products", get(products::products)),
        ("EstRequest/{id}/Example", get(estimates::example)),
        ("estrequest", post(estimates::request)),
        ("estimates", get(estimates::list)),
        ("stockitems", get(stock::list)),
        ("orders/submit", post(orders::submit)),
        ("orders", get(orders::list)),
        ("job/createfromestimate", post(jobs::create_from_estimate)),
        ("jobs", get(jobs::list)),
        (
            "webhooks/subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        ),
        ("webhooks/subscriptions/{id}", delete(subscriptions::remove)),
    ];
    routes.into_iter().fold(Router::new(), |r, (name, method)| {
        r.route(&route_path(name), method)
    })
}

/// Query parameters, names matched case-insensitively (`customerCode` and
/// `customercode` are the same), as ASP.NET binds them. Never rejects.
pub use sim_kit::params::Params;

/// One page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: usize,
    pub page_size: usize,
}

pub const DEFAULT_PAGE_SIZE: usize = 100;

impl Paging {
    /// Takes one page of an iterator and counts all of it.
    pub fn take<T>(&self, items: impl Iterator<Item = T>) -> (Vec<T>, usize) {
        let skip = (self.page - 1).saturating_mul(self.page_size);
        let mut total = 0;
        let mut page = Vec::new();
        for item in items {
            if total >= skip && page.len() < self.page_size {
                page.push(item);
            }
            total += 1;
        }
        (page, total)
    }

    /// One page of a whole list, without walking it: what the paged
    /// listings take when nothing filters them (a 1,000,000-product
    /// catalogue read page by page stays linear).
    pub fn slice<'a, T>(&self, all: &'a [T]) -> (&'a [T], usize) {
        let start = (self.page - 1)
            .saturating_mul(self.page_size)
            .min(all.len());
        let end = start.saturating_add(self.page_size).min(all.len());
        (&all[start..end], all.len())
    }
}

/// Paging read from query parameters.
trait ParamsPaging {
    fn paging(&self, max_page_size: usize) -> Result<Paging, Vec<String>>;
}

impl ParamsPaging for Params {
    /// `page` (1-based, default 1) and `pageSize` (default 100, silently
    /// capped at the configured maximum, 1000 unless set).
    fn paging(&self, max_page_size: usize) -> Result<Paging, Vec<String>> {
        let mut problems = Vec::new();
        let mut read = |name: &str, default: usize| match self.int(name) {
            Ok(None) => default,
            Ok(Some(n)) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            Ok(Some(_)) => {
                problems.push(format!("Query parameter '{name}' must be at least 1."));
                default
            }
            Err(p) => {
                problems.push(p);
                default
            }
        };
        let page = read("page", 1);
        let page_size = read("pageSize", DEFAULT_PAGE_SIZE).min(max_page_size.max(1));
        if problems.is_empty() {
            Ok(Paging { page, page_size })
        } else {
            Err(problems)
        }
    }
}

/// Parses a request body as JSON, or answers 400 with a problem.
pub fn json_body(body: &Bytes) -> Result<Value, Problems> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problems(vec![
            "The request body is empty; a JSON object is expected.".into(),
        ]));
    }
    serde_json::from_slice(body)
        .map_err(|e| Problems(vec![format!("The request body is not valid JSON: {e}.")]))
}

/// Reads integer query filters and the paging together; every problem goes
/// into one 400.
pub fn filters<const N: usize>(
    state: &SimState,
    params: &Params,
    names: [&str; N],
) -> Result<([Option<i64>; N], Paging), Problems> {
    let mut problems = Vec::new();
    let values = names.map(|name| {
        params.int(name).unwrap_or_else(|p| {
            problems.push(p);
            None
        })
    });
    match params.paging(state.config().max_page_size) {
        Ok(paging) if problems.is_empty() => Ok((values, paging)),
        Ok(_) => Err(Problems(problems)),
        Err(more) => Err(Problems([problems, more].concat())),
    }
}
