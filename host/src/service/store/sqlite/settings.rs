//! Mappings, plugin settings, API keys and webhook secrets in SQLite.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::{OptionalExtension as _, params};

use super::SqliteStore;
use crate::service::domain::mappings::{Mapping, PluginMapping};
use crate::service::infra::time::now;
use crate::service::store::{KeyRow, MappingStore, SettingsStore, StoreResult, StoredSettings};

#[async_trait]
impl MappingStore for SqliteStore {
    async fn put_mapping(&self, storefront: &str, m: &Mapping) -> StoreResult<()> {
        let (sf, m) = (storefront.to_owned(), m.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO mappings (storefront, product, product_ref, overrides, advanced_json, min_order_qty)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (storefront, product) DO UPDATE SET product_ref = ?3, overrides = ?4,
                   advanced_json = ?5, min_order_qty = ?6",
                params![
                    sf,
                    m.product,
                    m.product_ref,
                    json_text(&m.overrides),
                    m.advanced_json.as_ref().map(|v| v.to_string()),
                    m.min_order_qty
                ],
            )?;
            tx.execute(
                "DELETE FROM plugin_mappings WHERE storefront = ?1 AND product = ?2",
                params![sf, m.product],
            )?;
            for (plugin, b) in &m.plugins {
                tx.execute(
                    "INSERT INTO plugin_mappings (storefront, product, plugin, product_ref, overrides, advanced_json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        sf,
                        m.product,
                        plugin,
                        b.product_ref,
                        json_text(&b.overrides),
                        b.advanced_json.as_ref().map(|v| v.to_string())
                    ],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn mappings(&self, storefront: &str) -> StoreResult<Vec<Mapping>> {
        let sf = storefront.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT product, product_ref, overrides, advanced_json, min_order_qty FROM mappings
                 WHERE storefront = ?1 ORDER BY product",
            )?;
            let mut rows: Vec<Mapping> = stmt
                .query_map([&sf], mapping_row)?
                .collect::<rusqlite::Result<_>>()?;
            let mut stmt = c.prepare(
                "SELECT product, plugin, product_ref, overrides, advanced_json FROM plugin_mappings
                 WHERE storefront = ?1",
            )?;
            let blocks = stmt
                .query_map([&sf], |r| Ok((r.get::<_, String>(0)?, plugin_row(r, 1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (product, (plugin, block)) in blocks {
                if let Some(m) = rows.iter_mut().find(|m| m.product == product) {
                    m.plugins.insert(plugin, block);
                }
            }
            Ok(rows)
        })
        .await
    }

    async fn mapping(&self, storefront: &str, product: &str) -> StoreResult<Option<Mapping>> {
        let (sf, product) = (storefront.to_owned(), product.to_owned());
        self.read_point(move |c| {
            let m = c
                .prepare_cached(
                    "SELECT product, product_ref, overrides, advanced_json, min_order_qty FROM mappings
                     WHERE storefront = ?1 AND product = ?2",
                )?
                .query_row(params![sf, product], mapping_row)
                .optional()?;
            let Some(mut m) = m else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT plugin, product_ref, overrides, advanced_json FROM plugin_mappings
                 WHERE storefront = ?1 AND product = ?2",
            )?;
            m.plugins = stmt
                .query_map(params![sf, product], |r| plugin_row(r, 0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Some(m))
        })
        .await
    }

    async fn delete_mapping(&self, storefront: &str, product: &str) -> StoreResult<bool> {
        let (sf, product) = (storefront.to_owned(), product.to_owned());
        self.write(move |tx| {
            let n = tx.execute(
                "DELETE FROM mappings WHERE storefront = ?1 AND product = ?2",
                params![sf, product],
            )?;
            Ok(n > 0)
        })
        .await
    }
}

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn plugin_settings(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> StoreResult<Option<StoredSettings>> {
        let (sf, plugin) = (storefront.to_owned(), plugin.to_owned());
        self.read(move |c| {
            c.prepare_cached(
                "SELECT enabled, settings, secrets, configured_at, check_ok, check_summary, check_at
                 FROM plugin_settings WHERE storefront = ?1 AND plugin = ?2",
            )?
            .query_row(params![sf, plugin], |r| {
                let check = match (r.get::<_, Option<bool>>(4)?, r.get(5)?, r.get(6)?) {
                    (Some(ok), Some(s), Some(at)) => Some((ok, s, at)),
                    _ => None,
                };
                Ok(StoredSettings {
                    enabled: r.get(0)?,
                    values_json: r.get(1)?,
                    sealed_secrets: r.get(2)?,
                    configured_at: r.get(3)?,
                    check,
                })
            })
            .optional()
        })
        .await
    }

    async fn write_plugin_settings(
        &self,
        storefront: &str,
        plugin: &str,
        values_json: &str,
        sealed: Option<&str>,
    ) -> StoreResult<()> {
        let args = (
            storefront.to_owned(),
            plugin.to_owned(),
            values_json.to_owned(),
            sealed.map(str::to_owned),
        );
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO plugin_settings (storefront, plugin, enabled, settings, secrets, configured_at)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5)
                 ON CONFLICT (storefront, plugin) DO UPDATE SET settings = ?3, secrets = ?4,
                   configured_at = ?5, check_ok = NULL, check_summary = NULL, check_at = NULL",
                params![args.0, args.1, args.2, args.3, now()],
            )?;
            Ok(())
        })
        .await
    }

    async fn record_check(
        &self,
        storefront: &str,
        plugin: &str,
        ok: bool,
        summary: &str,
    ) -> StoreResult<()> {
        let args = (storefront.to_owned(), plugin.to_owned(), summary.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE plugin_settings SET check_ok = ?3, check_summary = ?4, check_at = ?5
                 WHERE storefront = ?1 AND plugin = ?2",
                params![args.0, args.1, ok, args.2, now()],
            )?;
            Ok(())
        })
        .await
    }

    async fn record_refresh(
        &self,
        storefront: &str,
        plugin: &str,
        ok: bool,
        summary: &str,
    ) -> StoreResult<()> {
        let args = (storefront.to_owned(), plugin.to_owned(), summary.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE plugin_settings SET refresh_at = ?3, refresh_ok = ?4, refresh_summary = ?5
                 WHERE storefront = ?1 AND plugin = ?2",
                params![args.0, args.1, now(), ok, args.2],
            )?;
            Ok(())
        })
        .await
    }

    async fn due_refreshes(&self, now: i64) -> StoreResult<Vec<(String, String)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT p.storefront, p.plugin FROM plugin_settings p
                 JOIN storefronts s ON s.id = p.storefront
                 WHERE p.enabled = 1 AND p.configured_at IS NOT NULL
                   AND (p.refresh_at IS NULL OR p.refresh_at + s.refresh_minutes * 60 <= ?1)",
            )?;
            stmt.query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .await
    }

    async fn insert_key(&self, key: &KeyRow) -> StoreResult<()> {
        let k = key.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_keys (id, storefront, label, prefix, hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![k.id, k.storefront, k.label, k.prefix, k.hash, k.created_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn keys(&self, storefront: &str) -> StoreResult<Vec<KeyRow>> {
        let sf = storefront.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, label, prefix, created_at FROM api_keys
                 WHERE storefront = ?1 ORDER BY created_at, id",
            )?;
            stmt.query_map([&sf], |r| {
                Ok(KeyRow {
                    id: r.get(0)?,
                    storefront: sf.clone(),
                    label: r.get(1)?,
                    prefix: r.get(2)?,
                    hash: String::new(),
                    created_at: r.get(3)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn delete_key(&self, storefront: &str, id: &str) -> StoreResult<bool> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.write(move |tx| {
            let n = tx.execute(
                "DELETE FROM api_keys WHERE storefront = ?1 AND id = ?2",
                params![sf, id],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn key_storefront(&self, hash: &str) -> StoreResult<Option<String>> {
        let hash = hash.to_owned();
        self.read_point(move |c| {
            c.prepare_cached("SELECT storefront FROM api_keys WHERE hash = ?1")?
                .query_row([hash], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> StoreResult<Option<(String, i64)>> {
        let (sf, plugin) = (storefront.to_owned(), plugin.to_owned());
        self.read(move |c| {
            c.prepare_cached(
                "SELECT sealed, created_at FROM webhook_secrets WHERE storefront = ?1 AND plugin = ?2",
            )?
            .query_row(params![sf, plugin], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        })
        .await
    }

    async fn put_webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
        sealed: &str,
        created_at: i64,
    ) -> StoreResult<()> {
        let args = (storefront.to_owned(), plugin.to_owned(), sealed.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO webhook_secrets (storefront, plugin, sealed, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (storefront, plugin) DO UPDATE SET sealed = ?3, created_at = ?4",
                params![args.0, args.1, args.2, created_at],
            )?;
            Ok(())
        })
        .await
    }
}

fn json_text(v: &BTreeMap<String, String>) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
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
