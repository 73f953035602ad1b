//! The catalogue: product types (filtered by `product_type_filter`) and the
//! products visible to the storefront customer code, cached for the refresh
//! interval.
//!
//! Cache layout, bounded for very large catalogues: one entry per fetched
//! page of products (`cat:<fp>:<generation>:<n>`, a JSON array of
//! `[product-ref, code, name, kind]`), and an index entry (`cat:<fp>:index`)
//! with the generation, counts and the size of each page. Pages outlive the
//! index by a margin, so an expired index means "refresh". Pages are written
//! as they arrive: the whole catalogue is never held in memory.
//!
//! A product's `product-ref` is its product code; price, stock and orders
//! accept it (see `pricing`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::LogLevel;
use crate::Tharstern;
use crate::json;
use crate::sdk::cache::digest;
use crate::stock::FREE_STOCK_FIELDS;
use crate::{CatalogueReport, PluginError, ProductPage, ProductSummary};

/// Largest `limit` answered by `products`.
pub const MAX_LIMIT: u32 = 1000;
/// Extra lifetime of pages over the index.
const PAGE_TTL_MARGIN: u32 = 600;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Index {
    generation: u64,
    product_types: u32,
    products: u32,
    /// Number of products in each cached page.
    pages: Vec<u32>,
    fetched_at: u64,
}

type Entry = (String, String, String, String);

/// A product as looked up by its code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProductInfo {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub product_type_id: Option<i64>,
    pub stock_item_id: Option<i64>,
    /// Free stock on the product row itself, where products are the stock
    /// items (no `StockItemID`); as of the look-up, so only its presence is
    /// used from the cache.
    #[serde(default)]
    pub free_stock: Option<i64>,
}

const PRODUCT_TYPE_FIELDS: &[&str] = &[
    "ProductTypes_ID",
    "ProductTypeId",
    "ProductTypeID",
    "ProductType_ID",
];

impl Tharstern {
    fn catalogue_fp(&self) -> String {
        digest(&[
            &self.s.api_url,
            &self.s.customer_code,
            &self.s.product_type_filter.join(","),
        ])
    }

    fn index_key(&self) -> String {
        format!("cat:{}:index", self.catalogue_fp())
    }

    fn page_key(&self, generation: u64, n: usize) -> String {
        format!("cat:{}:{generation}:{n}", self.catalogue_fp())
    }

    fn load_index(&self) -> Option<Index> {
        let bytes = self.p.cache_get(&self.index_key())?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Fetch product types and products afresh into the cache.
    pub(crate) fn refresh_catalogue_impl(&self) -> Result<CatalogueReport, PluginError> {
        let index = self.fetch_catalogue()?;
        Ok(CatalogueReport {
            product_types: index.product_types,
            products: index.products,
        })
    }

    fn fetch_catalogue(&self) -> Result<Index, PluginError> {
        let client = self.client();
        let wanted = &self.s.product_type_filter;

        // Product types: few, kept in memory while products are paged.
        let mut types: HashMap<i64, String> = HashMap::new();
        client
            .get_all("producttypes", &[], "product types", |items| {
                for t in items {
                    let Some(id) = json::int_field(t, &["ID", "Id", "ProductTypeId"]) else {
                        continue;
                    };
                    let kind = json::text_field(t, &["Kind", "ProductTypeKind", "TypeKind"])
                        .unwrap_or_else(|| "None".to_string());
                    if !wanted.iter().any(|w| w.eq_ignore_ascii_case(&kind)) {
                        continue;
                    }
                    let name = json::text_field(t, &["Name", "Description"])
                        .unwrap_or_else(|| format!("Product type {id}"));
                    types.insert(id, format!("{name} ({kind})"));
                }
                Ok(())
            })
            .map_err(not_refreshed)?;

        // Unique even for two refreshes in one second: a failed refresh
        // then never overwrites the live catalogue's pages.
        let now = self.p.now_unix_secs();
        let generation = now.max(self.load_index().map_or(0, |o| o.generation + 1));
        let page_ttl = self.s.refresh_secs() + PAGE_TTL_MARGIN;
        let mut pages: Vec<u32> = Vec::new();
        let mut products = 0u32;
        let code = self.s.customer_code.as_str();
        let what = format!("products visible to customer {code}");
        let walked = client.get_all("products", &[("customerCode", code)], &what, |items| {
            let entries: Vec<Entry> = items
                .iter()
                .filter_map(|p| {
                    let type_id = json::int_field(p, PRODUCT_TYPE_FIELDS)?;
                    let kind = types.get(&type_id)?;
                    let code = json::text_field(p, &["Code", "ProductCode"])?;
                    let name = json::text_field(p, &["Name", "Description"]).unwrap_or_default();
                    Some((code.clone(), code, name, kind.clone()))
                })
                .collect();
            if !entries.is_empty() {
                let bytes = serde_json::to_vec(&entries).map_err(|e| {
                    PluginError::Internal(format!("serialising a catalogue page: {e}"))
                })?;
                self.p
                    .cache_set(&self.page_key(generation, pages.len()), &bytes, page_ttl);
                pages.push(entries.len() as u32);
                products += entries.len() as u32;
            }
            Ok(())
        });
        if let Err(e) = walked {
            // A cut catalogue never replaces the index: drop its pages.
            for n in 0..pages.len() {
                self.p.cache_delete(&self.page_key(generation, n));
            }
            return Err(not_refreshed(e));
        }

        let index = Index {
            generation,
            product_types: types.len() as u32,
            products,
            pages,
            fetched_at: now,
        };
        let old = self.load_index();
        let bytes = serde_json::to_vec(&index)
            .map_err(|e| PluginError::Internal(format!("serialising the catalogue index: {e}")))?;
        self.p
            .cache_set(&self.index_key(), &bytes, self.s.refresh_secs());
        if let Some(old) = old.filter(|o| o.generation != generation) {
            for n in 0..old.pages.len() {
                self.p.cache_delete(&self.page_key(old.generation, n));
            }
        }
        self.p.log(
            LogLevel::Info,
            &format!(
                "catalogue refreshed: {} product types, {} products",
                index.product_types, index.products
            ),
        );
        Ok(index)
    }

    fn load_page(&self, index: &Index, n: usize) -> Option<Vec<Entry>> {
        let bytes = self.p.cache_get(&self.page_key(index.generation, n))?;
        serde_json::from_slice(&bytes).ok()
    }

    /// A page of the cached catalogue (refreshed when expired).
    pub(crate) fn products_impl(
        &self,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, PluginError> {
        let limit = limit.min(MAX_LIMIT) as usize;
        let needle = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        let mut refreshed = false;
        loop {
            let index = match self.load_index() {
                Some(i) => i,
                None => {
                    refreshed = true;
                    self.fetch_catalogue()?
                }
            };
            match self.serve(&index, offset as usize, limit, needle.as_deref()) {
                Some(page) => return Ok(page),
                None if !refreshed => {
                    self.p.log(
                        LogLevel::Warn,
                        "a cached catalogue page was missing; refreshing the catalogue",
                    );
                    refreshed = true;
                    self.p.cache_delete(&self.index_key());
                }
                None => {
                    return Err(PluginError::Internal(
                        "the catalogue could not be kept in the cache (pages evicted right after being stored)".into(),
                    ));
                }
            }
        }
    }

    /// `None` when a page is missing from the cache.
    fn serve(
        &self,
        index: &Index,
        offset: usize,
        limit: usize,
        needle: Option<&str>,
    ) -> Option<ProductPage> {
        let mut items = Vec::new();
        match needle {
            None => {
                let mut start = 0usize;
                for (n, &count) in index.pages.iter().enumerate() {
                    let count = count as usize;
                    let end = start + count;
                    if items.len() >= limit {
                        break;
                    }
                    if end > offset {
                        let page = self.load_page(index, n)?;
                        let skip = offset.saturating_sub(start);
                        items.extend(
                            page.into_iter()
                                .skip(skip)
                                .take(limit - items.len())
                                .map(summary),
                        );
                    }
                    start = end;
                }
                Some(ProductPage {
                    items,
                    total: index.products,
                })
            }
            Some(needle) => {
                let mut total = 0u32;
                for n in 0..index.pages.len() {
                    for e in self.load_page(index, n)? {
                        if matches(&e, needle) {
                            if total as usize >= offset && items.len() < limit {
                                items.push(summary(e));
                            }
                            total += 1;
                        }
                    }
                }
                Some(ProductPage { items, total })
            }
        }
    }

    fn product_cache_key(&self, code: &str) -> String {
        format!(
            "prod:{}",
            digest(&[&self.s.api_url, &self.s.customer_code, &code.to_lowercase()])
        )
    }

    /// Look a product up by its code among those visible to the storefront
    /// customer (cached for the refresh interval).
    pub(crate) fn find_product(&self, code: &str) -> Result<ProductInfo, PluginError> {
        match self.cached_product(code) {
            Some(info) => Ok(info),
            None => self.fetch_product(code),
        }
    }

    pub(crate) fn cached_product(&self, code: &str) -> Option<ProductInfo> {
        self.p
            .cache_get(&self.product_cache_key(code))
            .and_then(|b| serde_json::from_slice::<ProductInfo>(&b).ok())
    }

    /// The product row as Tharstern has it now (and cached).
    pub(crate) fn fetch_product(&self, code: &str) -> Result<ProductInfo, PluginError> {
        let query = [
            ("customerCode", self.s.customer_code.as_str()),
            ("productCode", code),
        ];
        let found = self.client().find_in_pages("products", &query, |p| {
            json::text_field(p, &["Code", "ProductCode"])
                .is_some_and(|c| c.eq_ignore_ascii_case(code))
        })?;
        let Some(p) = found else {
            return Err(PluginError::NotFound(format!(
                "Tharstern has no product with code {code} visible to customer {}: check the product mapping, or the product's customer access in Tharstern",
                self.s.customer_code
            )));
        };
        let info = ProductInfo {
            id: json::int_field(&p, &["ID", "Id"]).unwrap_or(0),
            code: json::text_field(&p, &["Code", "ProductCode"])
                .unwrap_or_else(|| code.to_string()),
            name: json::text_field(&p, &["Name", "Description"]).unwrap_or_default(),
            product_type_id: json::int_field(&p, PRODUCT_TYPE_FIELDS),
            stock_item_id: json::int_field(&p, &["StockItemID", "StockItemId", "StockItem_ID"])
                .filter(|id| *id > 0),
            free_stock: json::int_field(&p, FREE_STOCK_FIELDS),
        };
        if let Ok(bytes) = serde_json::to_vec(&info) {
            self.p
                .cache_set(&self.product_cache_key(code), &bytes, self.s.refresh_secs());
        }
        Ok(info)
    }
}

/// A cut list says so: the cached catalogue (if any) stays as it was.
fn not_refreshed(e: PluginError) -> PluginError {
    match e {
        PluginError::Internal(m) => {
            PluginError::Internal(format!("the catalogue was not refreshed: {m}"))
        }
        other => other,
    }
}

fn summary(e: Entry) -> ProductSummary {
    ProductSummary {
        product_ref: e.0,
        code: e.1,
        name: e.2,
        kind: e.3,
    }
}

fn matches(e: &Entry, needle: &str) -> bool {
    e.1.to_lowercase().contains(needle)
        || e.2.to_lowercase().contains(needle)
        || e.3.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests;
