//! Product mappings: how a storefront product is named to each plugin.
//!
//! A mapping has a default block (product reference, attribute overrides,
//! advanced JSON) and may have one block per plugin: a storefront that
//! prices with one plugin and checks stock or orders with another names the
//! product to each in its own terms. A plugin without its own block gets
//! the default one. The minimum order quantity belongs to the storefront
//! product, whoever handles it.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension as _, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Result, Service, ServiceError};
use crate::contract::{FieldError, ProductMapping};

/// How a storefront product maps to the backend.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub product: String,
    pub product_ref: String,
    /// Attribute overrides (name -> value), applied before the user's
    /// selections.
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
    /// A JSON object merged over the request the plugin builds (RFC 7386).
    #[serde(default)]
    pub advanced_json: Option<Value>,
    /// Minimum order quantity; checked against the stock plugin before an
    /// order is accepted.
    #[serde(default)]
    pub min_order_qty: Option<u32>,
    /// Blocks for particular plugins (plugin id -> block), used instead of
    /// the default block above by that plugin.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginMapping>,
}

/// How a storefront product is named to one plugin.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginMapping {
    pub product_ref: String,
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
    #[serde(default)]
    pub advanced_json: Option<Value>,
}

impl Mapping {
    /// What `plugin` is told about this product: its own block, else the
    /// default one.
    pub fn for_plugin(&self, plugin: &str) -> ProductMapping {
        let (product_ref, overrides, advanced) = match self.plugins.get(plugin) {
            Some(p) => (&p.product_ref, &p.overrides, &p.advanced_json),
            None => (&self.product_ref, &self.overrides, &self.advanced_json),
        };
        ProductMapping {
            product_ref: product_ref.clone(),
            overrides: overrides.clone().into_iter().collect(),
            advanced_json: advanced.as_ref().map(Value::to_string),
        }
    }
}

/// `advanced_json` as given (an object, a JSON text, or empty), checked.
fn advanced(key: &str, v: Option<Value>, problems: &mut Vec<FieldError>) -> Option<Value> {
    let mut problem = |message: String| {
        problems.push(FieldError {
            key: key.into(),
            message,
        })
    };
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => match serde_json::from_str(&s) {
            Ok(v @ Value::Object(_)) => Some(v),
            Ok(_) => {
                problem("must be a JSON object".into());
                None
            }
            Err(e) => {
                problem(format!("is not valid JSON: {e}"));
                None
            }
        },
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => {
            problem("must be a JSON object".into());
            None
        }
    }
}

fn reference(key: &str, r: &str, problems: &mut Vec<FieldError>) -> String {
    if r.trim().is_empty() {
        problems.push(FieldError {
            key: key.into(),
            message: "enter the plugin's product reference".into(),
        });
    }
    r.trim().to_string()
}

fn json_text(v: &impl Serialize) -> Result<String> {
    Ok(serde_json::to_string(v).map_err(anyhow::Error::from)?)
}

impl Service {
    pub fn put_mapping(&self, storefront: &str, m: Mapping) -> Result<Mapping> {
        self.storefront(storefront)?;
        let mut problems = Vec::new();
        if m.product.trim().is_empty() || m.product.len() > 200 {
            problems.push(FieldError {
                key: "product".into(),
                message: "enter the storefront product id (1 to 200 characters)".into(),
            });
        }
        let product_ref = reference("product_ref", &m.product_ref, &mut problems);
        let advanced_json = advanced("advanced_json", m.advanced_json, &mut problems);
        if m.min_order_qty == Some(0) {
            problems.push(FieldError {
                key: "min_order_qty".into(),
                message: "must be at least 1 (leave empty for none)".into(),
            });
        }
        let mut plugins = BTreeMap::new();
        for (plugin, block) in m.plugins {
            let key = format!("plugins.{plugin}");
            if crate::plugin::validate_id(&plugin).is_err() {
                problems.push(FieldError {
                    key: key.clone(),
                    message: "is not a plugin id".into(),
                });
            }
            let block = PluginMapping {
                product_ref: reference(
                    &format!("{key}.product_ref"),
                    &block.product_ref,
                    &mut problems,
                ),
                advanced_json: advanced(
                    &format!("{key}.advanced_json"),
                    block.advanced_json,
                    &mut problems,
                ),
                overrides: block.overrides,
            };
            plugins.insert(plugin, block);
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        let m = Mapping {
            product: m.product.trim().to_string(),
            product_ref,
            advanced_json,
            plugins,
            ..m
        };
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO mappings (storefront, product, product_ref, overrides, advanced_json, min_order_qty)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (storefront, product) DO UPDATE SET product_ref = ?3, overrides = ?4,
               advanced_json = ?5, min_order_qty = ?6",
            params![
                storefront,
                m.product,
                m.product_ref,
                json_text(&m.overrides)?,
                m.advanced_json.as_ref().map(|v| v.to_string()),
                m.min_order_qty
            ],
        )?;
        tx.execute(
            "DELETE FROM plugin_mappings WHERE storefront = ?1 AND product = ?2",
            params![storefront, m.product],
        )?;
        for (plugin, b) in &m.plugins {
            tx.execute(
                "INSERT INTO plugin_mappings (storefront, product, plugin, product_ref, overrides, advanced_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    storefront,
                    m.product,
                    plugin,
                    b.product_ref,
                    json_text(&b.overrides)?,
                    b.advanced_json.as_ref().map(|v| v.to_string())
                ],
            )?;
        }
        tx.commit()?;
        Ok(m)
    }

    pub fn mappings(&self, storefront: &str) -> Result<Vec<Mapping>> {
        self.storefront(storefront)?;
        let conn = self.db.lock();
        let mut stmt = conn.prepare(
            "SELECT product, product_ref, overrides, advanced_json, min_order_qty FROM mappings
             WHERE storefront = ?1 ORDER BY product",
        )?;
        let mut rows: Vec<Mapping> = stmt
            .query_map([storefront], mapping_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare(
            "SELECT product, plugin, product_ref, overrides, advanced_json FROM plugin_mappings
             WHERE storefront = ?1",
        )?;
        let blocks = stmt
            .query_map([storefront], |r| {
                Ok((r.get::<_, String>(0)?, plugin_row(r, 1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (product, (plugin, block)) in blocks {
            if let Some(m) = rows.iter_mut().find(|m| m.product == product) {
                m.plugins.insert(plugin, block);
            }
        }
        Ok(rows)
    }

    pub fn mapping(&self, storefront: &str, product: &str) -> Result<Mapping> {
        self.storefront(storefront)?;
        let conn = self.db.lock();
        let mut m = conn
            .prepare_cached(
                "SELECT product, product_ref, overrides, advanced_json, min_order_qty FROM mappings
                 WHERE storefront = ?1 AND product = ?2",
            )?
            .query_row(params![storefront, product], mapping_row)
            .optional()?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "storefront `{storefront}` has no mapping for product `{product}`"
                ))
            })?;
        let mut stmt = conn.prepare_cached(
            "SELECT plugin, product_ref, overrides, advanced_json FROM plugin_mappings
             WHERE storefront = ?1 AND product = ?2",
        )?;
        m.plugins = stmt
            .query_map(params![storefront, product], |r| plugin_row(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(m)
    }

    pub fn delete_mapping(&self, storefront: &str, product: &str) -> Result<()> {
        let n = self.db.lock().execute(
            "DELETE FROM mappings WHERE storefront = ?1 AND product = ?2",
            params![storefront, product],
        )?;
        if n == 0 {
            return Err(ServiceError::NotFound(format!(
                "storefront `{storefront}` has no mapping for product `{product}`"
            )));
        }
        Ok(())
    }
}

fn mapping_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Mapping> {
    let overrides: String = r.get(2)?;
    let advanced: Option<String> = r.get(3)?;
    Ok(Mapping {
        product: r.get(0)?,
        product_ref: r.get(1)?,
        overrides: serde_json::from_str(&overrides).unwrap_or_default(),
        advanced_json: advanced.and_then(|a| serde_json::from_str(&a).ok()),
        min_order_qty: r.get(4)?,
        plugins: BTreeMap::new(),
    })
}

/// (plugin, block) from columns plugin, product_ref, overrides,
/// advanced_json starting at `at`.
fn plugin_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<(String, PluginMapping)> {
    let overrides: String = r.get(at + 2)?;
    let advanced: Option<String> = r.get(at + 3)?;
    Ok((
        r.get(at)?,
        PluginMapping {
            product_ref: r.get(at + 1)?,
            overrides: serde_json::from_str(&overrides).unwrap_or_default(),
            advanced_json: advanced.and_then(|a| serde_json::from_str(&a).ok()),
        },
    ))
}
