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

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sdk::cache::exact_key;
use crate::sdk::catalogue::{self, Node};
use crate::sdk::json;
use crate::{CatalogueReport, PluginError, PrintIq, ProductPage, ProductSummary};

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
        let (leaves, nodes) = catalogue::walk_tree(&*self.p, 0, MAX_NODES, |id| {
            let body = json!({"TreeNodeID": id, "CustomerCode": code});
            let reply = client.read("GetTreeNodes", &body)?;
            let nodes = reply.get("TreeNodes").and_then(Value::as_array);
            Ok(nodes.into_iter().flatten().filter_map(node).collect())
        })?;
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
            nodes: nodes as u32,
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
        let items = c
            .leaves
            .into_iter()
            .map(|(id, name, filters)| ProductSummary {
                product_ref: format!("node:{id}"),
                code: id.to_string(),
                name,
                kind: if filters.is_empty() {
                    "category".into()
                } else {
                    format!("category (filters: {filters})")
                },
            });
        Ok(catalogue::page(items, offset, limit, MAX_LIMIT, search))
    }
}

/// A tree node as `GetTreeNodes` lists it: with `Children` (empty: a
/// leaf), or without (asked for them).
fn node(v: &Value) -> Option<Node> {
    let id = json::int_field(v, &["ID", "TreeNodeID"])?;
    Some(Node {
        id,
        name: json::text_field(v, &["Name"]).unwrap_or_else(|| format!("Category {id}")),
        children: json::get(v, "Children")
            .and_then(Value::as_array)
            .map(|c| c.iter().filter_map(node).collect()),
    })
}

#[cfg(test)]
mod tests;
