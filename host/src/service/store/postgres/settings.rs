//! Mappings, plugin settings, API keys and webhook secrets in PostgreSQL.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::PostgresStore;
use crate::service::domain::mappings::{Mapping, PluginMapping};
use crate::service::infra::time::now;
use crate::service::store::{KeyRow, MappingStore, SettingsStore, StoreResult, StoredSettings};

#[async_trait]
impl MappingStore for PostgresStore {
    async fn put_mapping(&self, storefront: &str, m: &Mapping) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let min = m
            .min_order_qty
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        tx.execute(
            "INSERT INTO mappings (storefront, product, product_ref, overrides, advanced_json, min_order_qty)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (storefront, product) DO UPDATE SET product_ref = $3, overrides = $4,
               advanced_json = $5, min_order_qty = $6",
            &[
                &storefront,
                &m.product,
                &m.product_ref,
                &json_text(&m.overrides),
                &m.advanced_json.as_ref().map(|v| v.to_string()),
                &min,
            ],
        )
        .await?;
        tx.execute(
            "DELETE FROM plugin_mappings WHERE storefront = $1 AND product = $2",
            &[&storefront, &m.product],
        )
        .await?;
        for (plugin, b) in &m.plugins {
            tx.execute(
                "INSERT INTO plugin_mappings (storefront, product, plugin, product_ref, overrides, advanced_json)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &storefront,
                    &m.product,
                    plugin,
                    &b.product_ref,
                    &json_text(&b.overrides),
                    &b.advanced_json.as_ref().map(|v| v.to_string()),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn mappings(&self, storefront: &str) -> StoreResult<Vec<Mapping>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT product, product_ref, overrides, advanced_json, min_order_qty FROM mappings
                 WHERE storefront = $1 ORDER BY product",
                &[&storefront],
            )
            .await?;
        let mut out: Vec<Mapping> = rows.iter().map(mapping_row).collect();
        let blocks = c
            .query(
                "SELECT product, plugin, product_ref, overrides, advanced_json FROM plugin_mappings
                 WHERE storefront = $1",
                &[&storefront],
            )
            .await?;
        for r in blocks {
            let product: String = r.get(0);
            if let Some(m) = out.iter_mut().find(|m| m.product == product) {
                let (plugin, block) = plugin_row(&r, 1);
                m.plugins.insert(plugin, block);
            }
        }
        Ok(out)
    }

    async fn mapping(&self, storefront: &str, product: &str) -> StoreResult<Option<Mapping>> {
        // Every price, stock and order reads this: prepared once per
        // connection.
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT product, product_ref, overrides, advanced_json, min_order_qty FROM mappings
                 WHERE storefront = $1 AND product = $2",
            )
            .await?;
        let Some(r) = c.query_opt(&stmt, &[&storefront, &product]).await? else {
            return Ok(None);
        };
        let mut m = mapping_row(&r);
        let stmt = c
            .prepare_cached(
                "SELECT plugin, product_ref, overrides, advanced_json FROM plugin_mappings
                 WHERE storefront = $1 AND product = $2",
            )
            .await?;
        let blocks = c.query(&stmt, &[&storefront, &product]).await?;
        m.plugins = blocks.iter().map(|r| plugin_row(r, 0)).collect();
        Ok(Some(m))
    }

    async fn delete_mapping(&self, storefront: &str, product: &str) -> StoreResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "DELETE FROM mappings WHERE storefront = $1 AND product = $2",
                &[&storefront, &product],
            )
            .await?;
        Ok(n > 0)
    }
}

#[async_trait]
impl SettingsStore for PostgresStore {
    async fn plugin_settings(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> StoreResult<Option<StoredSettings>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT enabled, settings, secrets, configured_at, check_ok, check_summary, check_at
                 FROM plugin_settings WHERE storefront = $1 AND plugin = $2",
                &[&storefront, &plugin],
            )
            .await?;
        Ok(row.map(|r| {
            let check = match (r.get(4), r.get(5), r.get(6)) {
                (Some(ok), Some(s), Some(at)) => Some((ok, s, at)),
                _ => None,
            };
            StoredSettings {
                enabled: r.get(0),
                values_json: r.get(1),
                sealed_secrets: r.get(2),
                configured_at: r.get(3),
                check,
            }
        }))
    }

    async fn write_plugin_settings(
        &self,
        storefront: &str,
        plugin: &str,
        values_json: &str,
        sealed: Option<&str>,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO plugin_settings (storefront, plugin, enabled, settings, secrets, configured_at)
                 VALUES ($1, $2, FALSE, $3, $4, $5)
                 ON CONFLICT (storefront, plugin) DO UPDATE SET settings = $3, secrets = $4,
                   configured_at = $5, check_ok = NULL, check_summary = NULL, check_at = NULL",
                &[&storefront, &plugin, &values_json, &sealed, &now()],
            )
            .await?;
        Ok(())
    }

    async fn record_check(
        &self,
        storefront: &str,
        plugin: &str,
        ok: bool,
        summary: &str,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE plugin_settings SET check_ok = $3, check_summary = $4, check_at = $5
                 WHERE storefront = $1 AND plugin = $2",
                &[&storefront, &plugin, &ok, &summary, &now()],
            )
            .await?;
        Ok(())
    }

    async fn record_refresh(
        &self,
        storefront: &str,
        plugin: &str,
        ok: bool,
        summary: &str,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE plugin_settings SET refresh_at = $3, refresh_ok = $4, refresh_summary = $5
                 WHERE storefront = $1 AND plugin = $2",
                &[&storefront, &plugin, &now(), &ok, &summary],
            )
            .await?;
        Ok(())
    }

    async fn due_refreshes(&self, now: i64) -> StoreResult<Vec<(String, String)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT p.storefront, p.plugin FROM plugin_settings p
                 JOIN storefronts s ON s.id = p.storefront
                 WHERE p.enabled AND p.configured_at IS NOT NULL
                   AND (p.refresh_at IS NULL OR p.refresh_at + s.refresh_minutes * 60 <= $1)",
                &[&now],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn insert_key(&self, k: &KeyRow) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO api_keys (id, storefront, label, prefix, hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &k.id,
                    &k.storefront,
                    &k.label,
                    &k.prefix,
                    &k.hash,
                    &k.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn keys(&self, storefront: &str) -> StoreResult<Vec<KeyRow>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, label, prefix, created_at FROM api_keys
                 WHERE storefront = $1 ORDER BY created_at, id",
                &[&storefront],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| KeyRow {
                id: r.get(0),
                storefront: storefront.to_owned(),
                label: r.get(1),
                prefix: r.get(2),
                hash: String::new(),
                created_at: r.get(3),
            })
            .collect())
    }

    async fn delete_key(&self, storefront: &str, id: &str) -> StoreResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "DELETE FROM api_keys WHERE storefront = $1 AND id = $2",
                &[&storefront, &id],
            )
            .await?;
        Ok(n > 0)
    }

    async fn key_storefront(&self, hash: &str) -> StoreResult<Option<String>> {
        // Every storefront request asks this: a statement prepared once per
        // connection spares a parse and plan each time.
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT storefront FROM api_keys WHERE hash = $1")
            .await?;
        let row = c.query_opt(&stmt, &[&hash]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> StoreResult<Option<(String, i64)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT sealed, created_at FROM webhook_secrets WHERE storefront = $1 AND plugin = $2",
                &[&storefront, &plugin],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn put_webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
        sealed: &str,
        created_at: i64,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO webhook_secrets (storefront, plugin, sealed, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (storefront, plugin) DO UPDATE SET sealed = $3, created_at = $4",
                &[&storefront, &plugin, &sealed, &created_at],
            )
            .await?;
        Ok(())
    }
}

fn json_text(v: &BTreeMap<String, String>) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

fn mapping_row(r: &tokio_postgres::Row) -> Mapping {
    let overrides: String = r.get(2);
    let advanced: Option<String> = r.get(3);
    Mapping {
        product: r.get(0),
        product_ref: r.get(1),
        overrides: serde_json::from_str(&overrides).unwrap_or_default(),
        advanced_json: advanced.and_then(|a| serde_json::from_str(&a).ok()),
        min_order_qty: r.get::<_, Option<i32>>(4).map(|n| n.max(0) as u32),
        plugins: BTreeMap::new(),
    }
}

/// (plugin, block) from columns plugin, product_ref, overrides,
/// advanced_json starting at `at`.
fn plugin_row(r: &tokio_postgres::Row, at: usize) -> (String, PluginMapping) {
    let overrides: String = r.get(at + 2);
    let advanced: Option<String> = r.get(at + 3);
    (
        r.get(at),
        PluginMapping {
            product_ref: r.get(at + 1),
            overrides: serde_json::from_str(&overrides).unwrap_or_default(),
            advanced_json: advanced.and_then(|a| serde_json::from_str(&a).ok()),
        },
    )
}
