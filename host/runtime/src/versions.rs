//! The loaded plugins: every version of every plugin id, side by side.
//! A version is never replaced: the same id and version twice is refused,
//! and a new version is added beside the others, so storefronts pinned to an
//! older one and calls in flight on it keep running it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::CallError;
use crate::plugin::Plugin;

/// Plugin id -> its versions, oldest first.
#[derive(Default)]
pub struct Versions {
    by_id: BTreeMap<String, BTreeMap<semver::Version, Arc<Plugin>>>,
}

/// Why a plugin was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(
        "plugin `{id}` version {version} is already loaded (from {existing}); \
         the same component is not added twice"
    )]
    SameComponent {
        id: String,
        version: String,
        existing: String,
    },
    #[error(
        "plugin `{id}` version {version} is already loaded (from {existing}) with different \
         contents; a version is never replaced: give the new build a new version"
    )]
    SameVersion {
        id: String,
        version: String,
        existing: String,
    },
}

impl Versions {
    /// Adds a version; refused if that id already has that version.
    pub fn add(&mut self, plugin: Arc<Plugin>) -> Result<(), AddError> {
        let versions = self.by_id.entry(plugin.info.id.clone()).or_default();
        if let Some(loaded) = versions.get(&plugin.version) {
            let (id, version, existing) = (
                plugin.info.id.clone(),
                plugin.info.version.clone(),
                loaded.source.display().to_string(),
            );
            return Err(if loaded.digest == plugin.digest {
                AddError::SameComponent {
                    id,
                    version,
                    existing,
                }
            } else {
                AddError::SameVersion {
                    id,
                    version,
                    existing,
                }
            });
        }
        versions.insert(plugin.version.clone(), plugin);
        Ok(())
    }

    /// `version` of plugin `id`, or its newest version when `None`.
    pub fn get(&self, id: &str, version: Option<&str>) -> Result<Arc<Plugin>, CallError> {
        let versions = self
            .by_id
            .get(id)
            .ok_or_else(|| CallError::UnknownPlugin { id: id.to_owned() })?;
        let found = match version {
            None => versions.values().next_back(),
            Some(v) => semver::Version::parse(v)
                .ok()
                .and_then(|v| versions.get(&v)),
        };
        found.cloned().ok_or_else(|| CallError::UnknownPlugin {
            id: format!("{id}@{}", version.unwrap_or("newest")),
        })
    }

    /// The newest version of each plugin, by id.
    pub fn newest(&self) -> Vec<Arc<Plugin>> {
        self.by_id
            .values()
            .filter_map(|v| v.values().next_back().cloned())
            .collect()
    }

    /// Every version of `id`, oldest first.
    pub fn of(&self, id: &str) -> Vec<Arc<Plugin>> {
        self.by_id
            .get(id)
            .map(|v| v.values().cloned().collect())
            .unwrap_or_default()
    }
}
