//! The plugin registry in PostgreSQL (migration 7).

use async_trait::async_trait;

use super::PostgresStore;
use crate::service::infra::time::now;
use crate::service::store::{RegistryStore, StoreResult, StoredVersion};

const SET_CHOICE: &str = "INSERT INTO plugin_choices (storefront, plugin, version, chosen_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (storefront, plugin) DO UPDATE SET version = $3, chosen_at = $4";
const CLEAR_CHOICE: &str = "DELETE FROM plugin_choices WHERE storefront = $1 AND plugin = $2";

#[async_trait]
impl RegistryStore for PostgresStore {
    async fn insert_version(
        &self,
        stored: &StoredVersion,
        bytes: &[u8],
        pins: &[(String, String)],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let at = now();
        tx.execute(
            "INSERT INTO plugin_components (sha256, bytes, uploaded_at) VALUES ($1, $2, $3)
             ON CONFLICT (sha256) DO NOTHING",
            &[&stored.sha256, &bytes, &at],
        )
        .await?;
        tx.execute(
            "INSERT INTO plugin_versions (plugin, version, sha256, uploaded_at) VALUES ($1, $2, $3, $4)",
            &[&stored.plugin, &stored.version, &stored.sha256, &at],
        )
        .await?;
        for (storefront, version) in pins {
            tx.execute(SET_CHOICE, &[storefront, &stored.plugin, version, &at])
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn versions(&self) -> StoreResult<Vec<StoredVersion>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT plugin, version, sha256 FROM plugin_versions ORDER BY uploaded_at, plugin, version",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredVersion {
                plugin: r.get(0),
                version: r.get(1),
                sha256: r.get(2),
            })
            .collect())
    }

    async fn component(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT bytes FROM plugin_components WHERE sha256 = $1",
                &[&sha256],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn choice(&self, storefront: &str, plugin: &str) -> StoreResult<Option<String>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT version FROM plugin_choices WHERE storefront = $1 AND plugin = $2",
                &[&storefront, &plugin],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn set_choice(
        &self,
        storefront: &str,
        plugin: &str,
        version: Option<&str>,
    ) -> StoreResult<()> {
        let c = self.client().await?;
        match version {
            Some(v) => {
                c.execute(SET_CHOICE, &[&storefront, &plugin, &v, &now()])
                    .await?
            }
            None => c.execute(CLEAR_CHOICE, &[&storefront, &plugin]).await?,
        };
        Ok(())
    }

    async fn storefronts_using(&self, plugin: &str) -> StoreResult<Vec<String>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT storefront FROM plugin_settings WHERE plugin = $1 AND configured_at IS NOT NULL
                 UNION
                 SELECT storefront FROM plugin_choices WHERE plugin = $1
                 ORDER BY 1",
                &[&plugin],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn following_newest(&self, plugin: &str) -> StoreResult<Vec<String>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT s.storefront FROM plugin_settings s
                 WHERE s.plugin = $1 AND s.configured_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM plugin_choices c
                                   WHERE c.storefront = s.storefront AND c.plugin = s.plugin)
                 ORDER BY s.storefront",
                &[&plugin],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
