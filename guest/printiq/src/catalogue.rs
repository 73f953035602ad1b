//! The catalogue: printIQ's category tree as the default customer sees it
//! (`GetTreeNodes`, walked breadth-first from the root, bounded), with the
//! filters of each orderable category (`GetFilters`, a leaf of the tree).
//! Neither call pages; the walk is bounded by [`MAX_NODES`]. Each leaf is
//! one product, `node:<TreeNodeID>`, named by its path; the whole list is
//! one cache entry, and `products` pages and searches it.
//!
//! printIQ has no public call listing its product codes (Connect:printIQ's
//! product sync is pushed by a printIQ webhook), so `code:` products are
//! mapped by hand.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sdk::cache::exact_key;
use crate::sdk::json;
use crate::{CatalogueReport, LogLevel, PluginError, PrintIq, ProductPage, ProductSummary};

/// Most tree nodes read in one refresh.
pub const MAX_NODES: usize = 2000;
/// Largest `limit` answered by `products`.
pub const MAX_LIMIT: u32 = 1000;

#[derive(Serialize, Deserialize)]
struct Catalogue {
    nodes: u32,
    /// (TreeNodeID, path name, filter names)
    leaves: Vec<(i64, String, String)>,
}

impl PrintIq {
    fn catalogue_key(&self) -> String {
        exact_key("catalogue", &[&self.s.api_url, &self.s.customer_code])
    }

    pub(crate) fn refresh_catalogue_impl(&self) -> Result<CatalogueReport, PluginError> {
        let c = self.fetch_catalogue()?;
        Ok(CatalogueReport {
            product_types: c.nodes,
            products: c.leaves.len() as u32,
        })
    }

    fn fetch_catalogue(&self) -> Result<Catalogue, PluginError> {
        let client = self.client();
        let code = &self.s.customer_code;
        let mut seen: HashSet<i64> = HashSet::new();
        let mut queue: VecDeque<(i64, String)> = VecDeque::from([(0, String::new())]);
        let mut leaves = Vec::new();
        while let Some((id, path)) = queue.pop_front() {
            let reply = client.read(
                "GetTreeNodes",
                &json!({"TreeNodeID": id, "CustomerCode": code}),
            )?;
            let nodes = reply
                .get("TreeNodes")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if nodes.is_empty() && id != 0 {
                leaves.push((id, path));
                continue;
            }
            // A node shown with an empty `Children` is a leaf; one shown
            // with children is not asked again, its children are; one
            // shown without the field is asked.
            let mut pending: Vec<(&Value, String)> =
                nodes.iter().map(|n| (n, path.clone())).collect();
            while let Some((n, parent)) = pending.pop() {
                let Some(nid) = json::int_field(n, &["ID", "TreeNodeID"]) else {
                    continue;
                };
                if seen.len() >= MAX_NODES {
                    self.p.log(LogLevel::Warn, &format!("the printIQ category tree has more than {MAX_NODES} nodes; the rest is left out"));
                    break;
                }
                if !seen.insert(nid) {
                    continue;
                }
                let name =
                    json::text_field(n, &["Name"]).unwrap_or_else(|| format!("Category {nid}"));
                let full = if parent.is_empty() {
                    name
                } else {
                    format!("{parent} > {name}")
                };
                match json::get(n, "Children").and_then(Value::as_array) {
                    Some(c) if c.is_empty() => leaves.push((nid, full)),
                    Some(c) => pending.extend(c.iter().map(|c| (c, full.clone()))),
                    None => queue.push_back((nid, full)),
                }
            }
        }
        leaves.sort_by(|a, b| a.1.cmp(&b.1));
        let mut out = Vec::with_capacity(leaves.len());
        for (id, path) in leaves {
            let mut body = json!({"TreeNodeID": id, "GetInitialValues": true, "GetSimplifiedSet": true, "CustomerCode": code});
            if let Some(level) = self.s.price_list_level {
                body["PriceListLevel"] = json!(level);
            }
            let reply = client.read("GetFilters", &body)?;
            let names: Vec<String> = reply
                .get("Filters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|f| json::text_field(f, &["Name"]))
                .collect();
            out.push((id, path, names.join(", ")));
        }
        let c = Catalogue {
            nodes: seen.len() as u32,
            leaves: out,
        };
        self.cache()
            .set(&self.catalogue_key(), &c, self.s.refresh_secs());
        Ok(c)
    }

    pub(crate) fn products_impl(
        &self,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, PluginError> {
        let c = match self.cache().get::<Catalogue>(&self.catalogue_key()) {
            Some(c) => c,
            None => self.fetch_catalogue()?,
        };
        let needle = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        let matching: Vec<&(i64, String, String)> = c
            .leaves
            .iter()
            .filter(|(id, name, _)| {
                needle
                    .as_ref()
                    .is_none_or(|n| name.to_lowercase().contains(n) || id.to_string() == *n)
            })
            .collect();
        Ok(ProductPage {
            total: matching.len() as u32,
            items: matching
                .into_iter()
                .skip(offset as usize)
                .take(limit.min(MAX_LIMIT) as usize)
                .map(|(id, name, filters)| ProductSummary {
                    product_ref: format!("node:{id}"),
                    code: id.to_string(),
                    name: name.clone(),
                    kind: if filters.is_empty() {
                        "category".into()
                    } else {
                        format!("category (filters: {filters})")
                    },
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests;
