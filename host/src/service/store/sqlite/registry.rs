//! The plugin registry in SQLite (migration 7).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::SqliteStore;
use crate::service::infra::time::now;
use crate::service::store::{RegistryStore, StoreResult, StoredVersion};

#[async_trait]
impl RegistryStore for SqliteStore {
    async fn insert_version(
        &self,
        stored: &StoredVersion,
        bytes: &[u8],
        pins: &[(String, String)],
    ) -> StoreResult<()> {
        let (stored, bytes, pins) = (stored.clone(), bytes.to_vec(), pins.to_vec());
        self.write(move |tx| {
            let at = now();
            tx.execute(
                "INSERT INTO plugin_components (sha256, bytes, uploaded_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO NOTHING",
                params![stored.sha256, bytes, at],
            )?;
            tx.execute(
                "INSERT INTO plugin_versions (plugin, version, sha256, uploaded_at) VALUES (?1, ?2, ?3, ?4)",
                params![stored.plugin, stored.version, stored.sha256, at],
            )?;
            for (storefront, version) in &pins {
                set_choice(tx, storefront, &stored.plugin, Some(version))?;
            }
            Ok(())
        })
        .await
    }

    async fn versions(&self) -> StoreResult<Vec<StoredVersion>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT plugin, version, sha256 FROM plugin_versions ORDER BY uploaded_at, plugin, version",
            )?;
            stmt.query_map([], |r| {
                Ok(StoredVersion {
                    plugin: r.get(0)?,
                    version: r.get(1)?,
                    sha256: r.get(2)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn component(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        let sha256 = sha256.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT bytes FROM plugin_components WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn choice(&self, storefront: &str, plugin: &str) -> StoreResult<Option<String>> {
        let (sf, plugin) = (storefront.to_owned(), plugin.to_owned());
        self.read(move |c| {
            c.prepare_cached(
                "SELECT version FROM plugin_choices WHERE storefront = ?1 AND plugin = ?2",
            )?
            .query_row(params![sf, plugin], |r| r.get(0))
            .optional()
        })
        .await
    }

    async fn set_choice(
        &self,
        storefront: &str,
        plugin: &str,
        version: Option<&str>,
    ) -> StoreResult<()> {
        let (sf, plugin, version) = (
            storefront.to_owned(),
            plugin.to_owned(),
            version.map(str::to_owned),
        );
        self.write(move |tx| set_choice(tx, &sf, &plugin, version.as_deref()))
            .await
    }

    async fn storefronts_using(&self, plugin: &str) -> StoreResult<Vec<String>> {
        let plugin = plugin.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT storefront FROM plugin_settings WHERE plugin = ?1 AND configured_at IS NOT NULL
                 UNION
                 SELECT storefront FROM plugin_choices WHERE plugin = ?1
                 ORDER BY 1",
            )?;
            stmt.query_map([plugin], |r| r.get(0))?.collect()
        })
        .await
    }

    async fn following_newest(&self, plugin: &str) -> StoreResult<Vec<String>> {
        let plugin = plugin.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT s.storefront FROM plugin_settings s
                 WHERE s.plugin = ?1 AND s.configured_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM plugin_choices c
                                   WHERE c.storefront = s.storefront AND c.plugin = s.plugin)
                 ORDER BY s.storefront",
            )?;
            stmt.query_map([plugin], |r| r.get(0))?.collect()
        })
        .await
    }
}

fn set_choice(
    conn: &Connection,
    storefront: &str,
    plugin: &str,
    version: Option<&str>,
) -> rusqlite::Result<()> {
    match version {
        Some(version) => conn.execute(
            "INSERT INTO plugin_choices (storefront, plugin, version, chosen_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (storefront, plugin) DO UPDATE SET version = ?3, chosen_at = ?4",
            params![storefront, plugin, version, now()],
        )?,
        None => conn.execute(
            "DELETE FROM plugin_choices WHERE storefront = ?1 AND plugin = ?2",
            params![storefront, plugin],
        )?,
    };
    Ok(())
}
