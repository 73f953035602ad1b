//! Paged lists: `page` / `pageSize` asked, `Details.Items` and
//! `TotalItemCount` answered.
//!
//! A page shorter than asked proves nothing: many servers cap `pageSize`
//! (answering 100 when 500 is asked). So a walk goes on until
//! `TotalItemCount` items were read, or, without a total, until a page comes
//! back empty. A server that ignores `page` answers the same page again;
//! that ends the walk too, so it never runs to [`MAX_PAGES`] on duplicates.

use std::ops::ControlFlow;

use serde_json::Value;

use super::{Client, Reply};
use crate::json;
use crate::{LogLevel, PluginError};

/// Page size asked for; the server may answer fewer items per page.
pub const PAGE_SIZE: u32 = 500;
/// Safety bound on one walk (5 million items at 500 a page).
pub const MAX_PAGES: u32 = 10_000;
const TOTAL_FIELDS: &[&str] = &["TotalItemCount", "TotalCount", "Total"];

/// How a walk through a paged list ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Exactly `TotalItemCount` items were read.
    Total,
    /// A page came back empty.
    Empty,
    /// The caller had what it needed.
    Stopped,
    /// A page repeated the one before: the server ignores `page`.
    Repeated,
    /// [`MAX_PAGES`] pages were read.
    Bound,
}

/// What a walk read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// Items handed to the caller.
    pub seen: u64,
    /// The last `TotalItemCount` the server gave.
    pub total: Option<u64>,
    /// Pages requested.
    pub pages: u32,
    pub end: End,
}

impl Walk {
    fn ending(&self) -> String {
        match self.end {
            End::Empty => format!("page {} came back empty", self.pages),
            End::Repeated => format!(
                "page {} repeated page {}: the server seems to ignore `page`",
                self.pages,
                self.pages.saturating_sub(1)
            ),
            End::Bound => format!("the connector stops after {MAX_PAGES} pages"),
            End::Total | End::Stopped => format!("after {} pages", self.pages),
        }
    }
}

/// A page's identity for spotting a repeat: its length, first and last item.
type Print = (usize, Value, Value);

impl Client<'_> {
    /// Walk a paged list, calling `on_page` with each page (an empty last
    /// page too, so a caller sees an answer that is no list; a repeated page
    /// is not passed). `on_page` answers `Break` to stop early.
    pub fn get_pages(
        &self,
        path: &str,
        query: &[(&str, &str)],
        mut on_page: impl FnMut(&Reply, &[Value]) -> Result<ControlFlow<()>, PluginError>,
    ) -> Result<Walk, PluginError> {
        let size = PAGE_SIZE.to_string();
        let mut walk = Walk {
            seen: 0,
            total: None,
            pages: 0,
            end: End::Bound,
        };
        let mut last: Option<Print> = None;
        for page in 1..=MAX_PAGES {
            let page_s = page.to_string();
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("page", &page_s));
            q.push(("pageSize", &size));
            let reply = self.get(path, &q)?;
            walk.pages = page;
            let details = reply.details();
            if let Some(t) = json::int_field(details, TOTAL_FIELDS) {
                walk.total = Some(t.max(0) as u64);
            }
            let items = json::items(details);
            let print = match (items.first(), items.last()) {
                (Some(a), Some(b)) => Some((items.len(), a.clone(), b.clone())),
                _ => None,
            };
            if print.is_some() && print == last {
                walk.end = End::Repeated;
                break;
            }
            let flow = on_page(&reply, items)?;
            if items.is_empty() {
                walk.end = End::Empty;
                break;
            }
            walk.seen += items.len() as u64;
            if flow.is_break() {
                walk.end = End::Stopped;
                break;
            }
            // Past the total, the total is wrong: go on to an empty page.
            if walk.total == Some(walk.seen) {
                walk.end = End::Total;
                break;
            }
            last = print;
        }
        Ok(walk)
    }

    /// Walk a whole list, `what` naming its items for the operator (e.g.
    /// "products visible to customer X"). Fails when the pages ran out
    /// before `TotalItemCount` items: a caller never takes a cut list for
    /// the whole. Other disagreements are logged as warnings.
    pub fn get_all(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
        mut on_items: impl FnMut(&[Value]) -> Result<(), PluginError>,
    ) -> Result<Walk, PluginError> {
        let walk = self.get_pages(path, query, |_, items| {
            on_items(items).map(|()| ControlFlow::Continue(()))
        })?;
        let p = self.http.api().p;
        match walk.total {
            Some(t) if walk.seen < t => Err(PluginError::Internal(format!(
                "Tharstern said {t} {what} but answered only {} ({}; GET {path} in pages of up to {PAGE_SIZE}). \
                 If they were being changed in Tharstern, try again; otherwise Tharstern's paging is \
                 inconsistent: report it to its administrator",
                walk.seen,
                walk.ending()
            ))),
            Some(t) if walk.seen > t => {
                p.log(
                    LogLevel::Warn,
                    &format!(
                        "Tharstern said {t} {what} but answered {} ({}; GET {path}); all {} were kept",
                        walk.seen,
                        walk.ending(),
                        walk.seen
                    ),
                );
                Ok(walk)
            }
            None if walk.end == End::Bound => Err(PluginError::Internal(format!(
                "Tharstern answered {} {what} in {MAX_PAGES} pages (GET {path}) with neither a total \
                 nor an empty page, so the list may go on: report it to Tharstern's administrator",
                walk.seen
            ))),
            None if walk.end == End::Repeated => {
                p.log(
                    LogLevel::Warn,
                    &format!(
                        "Tharstern answered {} {what} without a total and {}; took them as the whole list",
                        walk.seen,
                        walk.ending()
                    ),
                );
                Ok(walk)
            }
            _ => Ok(walk),
        }
    }

    /// The first item of a paged list that `matches`, page after page until
    /// found: a server may cap the page size or ignore the filter, so the
    /// item need not be on the first page.
    pub fn find_in_pages(
        &self,
        path: &str,
        query: &[(&str, &str)],
        matches: impl Fn(&Value) -> bool,
    ) -> Result<Option<Value>, PluginError> {
        let mut found = None;
        let walk = self.get_pages(path, query, |_, items| {
            found = items.iter().find(|i| matches(i)).cloned();
            Ok(match found {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            })
        })?;
        self.bound_reached(&walk, path);
        Ok(found)
    }

    /// Log a look-up that gave up at [`MAX_PAGES`].
    pub(crate) fn bound_reached(&self, walk: &Walk, path: &str) {
        if walk.end == End::Bound {
            self.http.api().p.log(
                LogLevel::Warn,
                &format!(
                    "a look-up in GET {path} gave up after {MAX_PAGES} pages ({} items); the server may ignore its filter",
                    walk.seen
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
