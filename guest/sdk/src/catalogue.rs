//! Catalogue helpers: walking a back office's category tree
//! ([`walk_tree`]) and answering `products` from a list the connector
//! keeps ([`page`]).

use std::collections::{HashSet, VecDeque};

use crate::platform::{Log, Platform};
use crate::{PluginError, ProductPage, ProductSummary};

/// A category as a back office lists it.
pub struct Node {
    pub id: i64,
    pub name: String,
    /// Listed with it: `Some(children)` (empty: a leaf); `None`: ask.
    pub children: Option<Vec<Node>>,
}

/// The leaves of a category tree, walked breadth-first from `root`, each
/// with its path name ("Cards > Business cards"), sorted by it; and the
/// number of nodes seen. `children(id)` lists a node's children (a node
/// with none when asked is a leaf); a node seen twice is walked once, and
/// at most `max` nodes are read (the rest is left out, with a warning).
pub fn walk_tree(
    p: &dyn Platform,
    root: i64,
    max: usize,
    mut children: impl FnMut(i64) -> Result<Vec<Node>, PluginError>,
) -> Result<(Vec<(i64, String)>, usize), PluginError> {
    let mut seen: HashSet<i64> = HashSet::new();
    let mut queue = VecDeque::from([(root, String::new())]);
    let mut leaves = Vec::new();
    let mut full = false;
    while let Some((id, path)) = queue.pop_front() {
        // A node counted before the bound was reached is still asked: it
        // may be a leaf (nothing below it); only new nodes are left out.
        let nodes = children(id)?;
        if nodes.is_empty() && id != root {
            leaves.push((id, path));
            continue;
        }
        let mut pending: Vec<(Node, String)> =
            nodes.into_iter().map(|n| (n, path.clone())).collect();
        while let Some((n, parent)) = pending.pop() {
            if seen.len() >= max {
                if !full {
                    p.warn(&format!(
                        "the category tree has more than {max} nodes; the rest is left out"
                    ));
                    full = true;
                }
                break;
            }
            if !seen.insert(n.id) {
                continue;
            }
            let full_name = if parent.is_empty() {
                n.name
            } else {
                format!("{parent} > {}", n.name)
            };
            match n.children {
                Some(c) if c.is_empty() => leaves.push((n.id, full_name)),
                Some(c) => pending.extend(c.into_iter().map(|c| (c, full_name.clone()))),
                None => queue.push_back((n.id, full_name)),
            }
        }
    }
    leaves.sort_by(|a, b| a.1.cmp(&b.1));
    Ok((leaves, seen.len()))
}

/// One page of `items`: those whose name or code contains `search` (without
/// case; all when none), from `offset`, at most `limit` (capped at `max`).
pub fn page(
    items: impl IntoIterator<Item = ProductSummary>,
    offset: u32,
    limit: u32,
    max: u32,
    search: Option<&str>,
) -> ProductPage {
    let needle = search
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let matching = items.into_iter().filter(|p| {
        needle
            .as_ref()
            .is_none_or(|n| p.name.to_lowercase().contains(n) || p.code.to_lowercase().contains(n))
    });
    let (mut total, mut out) = (0u32, Vec::new());
    for p in matching {
        if total >= offset && out.len() < limit.min(max) as usize {
            out.push(p);
        }
        total += 1;
    }
    ProductPage { items: out, total }
}

#[cfg(test)]
mod tests;
