//! Every SQL statement of the plugin registry (tables of migration 7):
//! narrow functions over plain, portable SQL, so that the storage boundary
//! can take them over as they are.

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::service::db::now;

/// An uploaded plugin version as stored.
pub struct StoredVersion {
    pub plugin: String,
    pub version: String,
    pub sha256: String,
}

/// Stores an uploaded version: its component (once per content hash), the
/// version row, and the storefronts that stay on `pins` (storefront,
/// version) because this version refused their settings; in one
/// transaction.
pub fn insert_version(
    conn: &mut Connection,
    stored: &StoredVersion,
    bytes: &[u8],
    pins: &[(String, String)],
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
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
    for (storefront, version) in pins {
        set_choice(&tx, storefront, &stored.plugin, Some(version))?;
    }
    tx.commit()
}

/// Every uploaded version, in upload order.
pub fn versions(conn: &Connection) -> rusqlite::Result<Vec<StoredVersion>> {
    let mut stmt = conn.prepare(
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
}

/// The component stored under a content hash.
pub fn component(conn: &Connection, sha256: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT bytes FROM plugin_components WHERE sha256 = ?1",
        [sha256],
        |r| r.get(0),
    )
    .optional()
}

/// The version a storefront chose for a plugin; `None`: the newest.
pub fn choice(
    conn: &Connection,
    storefront: &str,
    plugin: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT version FROM plugin_choices WHERE storefront = ?1 AND plugin = ?2")?
        .query_row(params![storefront, plugin], |r| r.get(0))
        .optional()
}

/// Pins a storefront to a version of a plugin, or (`None`) lets it follow
/// the newest.
pub fn set_choice(
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

/// Storefronts that configured settings for a plugin, or chose a version
/// of it, by id.
pub fn storefronts_using(conn: &Connection, plugin: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT storefront FROM plugin_settings WHERE plugin = ?1 AND configured_at IS NOT NULL
         UNION
         SELECT storefront FROM plugin_choices WHERE plugin = ?1
         ORDER BY 1",
    )?;
    stmt.query_map([plugin], |r| r.get(0))?.collect()
}

/// Storefronts that configured settings for a plugin and chose no version
/// (they follow the newest).
pub fn following_newest(conn: &Connection, plugin: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT s.storefront FROM plugin_settings s
         WHERE s.plugin = ?1 AND s.configured_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM plugin_choices c
                           WHERE c.storefront = s.storefront AND c.plugin = s.plugin)
         ORDER BY s.storefront",
    )?;
    stmt.query_map([plugin], |r| r.get(0))?.collect()
}
