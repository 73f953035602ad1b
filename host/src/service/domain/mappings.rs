//! Product mappings: how a storefront product is named to each plugin.
//!
//! A mapping has a default block (product reference, attribute overrides,
//! advanced JSON) and may have one block per plugin: a storefront that
//! prices with one plugin and checks stock or orders with another names the
//! product to each in its own terms. A plugin without its own block gets
//! the default one. The minimum order quantity belongs to the storefront
//! product, whoever handles it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::{FieldError, ProductMapping};

/// How a storefront product maps to the backend.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
    #[schema(value_type = Option<Object>)]
    pub advanced_json: Option<Value>,
    /// Minimum order quantity; checked against the stock plugin before an
    /// order is accepted.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub min_order_qty: Option<u32>,
    /// Blocks for particular plugins (plugin id -> block), used instead of
    /// the default block above by that plugin.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginMapping>,
}

/// How a storefront product is named to one plugin.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginMapping {
    pub product_ref: String,
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
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

impl Service {
    pub async fn put_mapping(&self, storefront: &str, m: Mapping) -> Result<Mapping> {
        self.storefront(storefront).await?;
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
            if connect_runtime::plugin::validate_id(&plugin).is_err() {
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
        self.store.put_mapping(storefront, &m).await?;
        Ok(m)
    }

    pub async fn mappings(&self, storefront: &str) -> Result<Vec<Mapping>> {
        self.storefront(storefront).await?;
        Ok(self.store.mappings(storefront).await?)
    }

    pub async fn mapping(&self, storefront: &str, product: &str) -> Result<Mapping> {
        self.storefront(storefront).await?;
        self.store
            .mapping(storefront, product)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "storefront `{storefront}` has no mapping for product `{product}`"
                ))
            })
    }

    pub async fn delete_mapping(&self, storefront: &str, product: &str) -> Result<()> {
        if !self.store.delete_mapping(storefront, product).await? {
            return Err(ServiceError::NotFound(format!(
                "storefront `{storefront}` has no mapping for product `{product}`"
            )));
        }
        Ok(())
    }
}
