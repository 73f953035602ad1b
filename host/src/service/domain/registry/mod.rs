//! The plugin registry: versions of each plugin side by side, uploads
//! validated before they are accepted and kept in the database (so they
//! survive restarts and every node sharing the database sees them), and
//! the version each storefront runs (its choice, else the newest), switched
//! live: a storefront moves to a version only after that version's
//! `configure` accepted its stored settings.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::service::store::{Store, StoredVersion};
use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::FieldError;
use connect_runtime::error::CallError;
use connect_runtime::plugin::Plugin;
use connect_runtime::runtime::{FailedPlugin, Runtime};

/// What an upload did.
#[derive(Debug, Serialize)]
pub struct UploadOutcome {
    pub plugin: String,
    pub version: String,
    pub sha256: String,
    /// Storefronts now running this version (they follow the newest).
    pub upgraded: Vec<String>,
    /// Storefronts whose settings this version refused: they stay where
    /// they were, pinned to that version.
    pub refused: Vec<Refusal>,
}

/// A storefront that stays on its version, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    pub storefront: String,
    /// The version it stays on.
    pub stays_on: String,
    pub errors: Vec<FieldError>,
}

/// What a switch (upgrade or rollback) did.
#[derive(Debug, Serialize)]
pub struct SwitchOutcome {
    pub plugin: String,
    /// The version switched to; `null`: the newest, followed from now on.
    pub version: Option<String>,
    pub switched: Vec<Switched>,
    pub refused: Vec<Refusal>,
}

#[derive(Debug, Serialize)]
pub struct Switched {
    pub storefront: String,
    pub from: String,
    pub to: String,
}

/// A plugin and its versions, as the API and the admin page list them.
#[derive(Debug, Serialize)]
pub struct PluginEntry {
    pub id: String,
    pub name: String,
    pub newest: String,
    /// Oldest first.
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Serialize)]
pub struct VersionEntry {
    pub version: String,
    pub sha256: String,
    pub contract: String,
    /// The plugins-folder file, or `upload` for an uploaded component.
    pub source: String,
    /// Storefronts running this version.
    pub storefronts: Vec<StorefrontVersion>,
}

#[derive(Debug, Serialize)]
pub struct StorefrontVersion {
    pub storefront: String,
    /// Whether the storefront chose this version (else it follows the newest).
    pub pinned: bool,
}

/// Where an uploaded component says it came from.
const UPLOAD: &str = "upload";

impl Service {
    /// The version of `plugin` a storefront runs: the one it chose, else
    /// the newest loaded.
    pub async fn plugin_for(&self, storefront: &str, plugin: &str) -> Result<Arc<Plugin>> {
        let chosen = self.store.choice(storefront, plugin).await?;
        Ok(self.runtime.plugin_version(plugin, chosen.as_deref())?)
    }

    /// Every plugin with its versions and the storefronts running each.
    pub async fn plugin_registry(&self) -> Result<Vec<PluginEntry>> {
        let mut entries = Vec::new();
        for newest in self.runtime.plugins() {
            let mut versions: Vec<VersionEntry> = self
                .runtime
                .versions(&newest.info.id)
                .iter()
                .map(|p| VersionEntry {
                    version: p.info.version.clone(),
                    sha256: p.digest.clone(),
                    contract: p.contract.to_string(),
                    source: source_label(p),
                    storefronts: Vec::new(),
                })
                .collect();
            let using = self.store.storefronts_using(&newest.info.id).await?;
            for sf in using {
                let chosen = self.store.choice(&sf, &newest.info.id).await?;
                let runs = chosen.as_deref().unwrap_or(&newest.info.version);
                if let Some(v) = versions.iter_mut().find(|v| v.version == runs) {
                    v.storefronts.push(StorefrontVersion {
                        storefront: sf,
                        pinned: chosen.is_some(),
                    });
                }
            }
            entries.push(PluginEntry {
                id: newest.info.id.clone(),
                name: newest.info.name.clone(),
                newest: newest.info.version.clone(),
                versions,
            });
        }
        Ok(entries)
    }

    /// Validates an uploaded component like a plugins-folder file (a
    /// component of a contract this host knows, whose `info` answers within
    /// the deadline with an id, a semantic version, capabilities and a
    /// settings schema), refuses an id and version already loaded, then
    /// keeps it. Storefronts that follow the newest move to it when it is
    /// the newest and accepts their settings; the others are pinned to the
    /// version they run, and listed with the field errors.
    pub async fn upload_plugin(&self, bytes: Vec<u8>) -> Result<UploadOutcome> {
        if bytes.is_empty() {
            return Err(ServiceError::invalid(
                "component",
                "the body is empty: send the plugin's .wasm component",
            ));
        }
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        let plugin = self
            .runtime
            .loader()
            .load_bytes(bytes.clone(), &PathBuf::from(UPLOAD))
            .await
            .map_err(|e| ServiceError::invalid("component", format!("{e:#}")))?;
        let (id, version) = (plugin.info.id.clone(), plugin.info.version.clone());
        if let Ok(loaded) = self.runtime.plugin_version(&id, Some(&version)) {
            let same = if loaded.digest == sha256 {
                "this very component"
            } else {
                "another component: a version is never replaced, give the new build a new version"
            };
            return Err(ServiceError::Conflict(format!(
                "plugin `{id}` version {version} is already loaded ({same})"
            )));
        }
        let previous = self.runtime.plugin(&id).ok();
        let mut upgraded = Vec::new();
        let mut refused = Vec::new();
        if let Some(previous) = previous.as_ref().filter(|p| plugin.version > p.version) {
            let candidates = self.store.following_newest(&id).await?;
            for sf in candidates {
                match self.accepts(&plugin, &sf).await? {
                    None => upgraded.push(sf),
                    Some(errors) => refused.push(Refusal {
                        storefront: sf,
                        stays_on: previous.info.version.clone(),
                        errors,
                    }),
                }
            }
        }
        let stored = StoredVersion {
            plugin: id.clone(),
            version: version.clone(),
            sha256: sha256.clone(),
        };
        let pins: Vec<_> = refused
            .iter()
            .map(|r| (r.storefront.clone(), r.stays_on.clone()))
            .collect();
        if let Err(e) = self.store.insert_version(&stored, &bytes, &pins).await {
            // Another upload of the same id and version won the race.
            let versions = self.store.versions().await?;
            if versions
                .iter()
                .any(|v| v.plugin == id && v.version == version)
            {
                return Err(ServiceError::Conflict(format!(
                    "plugin `{id}` version {version} was uploaded meanwhile"
                )));
            }
            return Err(e.into());
        }
        self.runtime
            .add_plugin(plugin)
            .map_err(|e| ServiceError::Conflict(format!("{e:#}")))?;
        self.after_switch(&id, &upgraded).await?;
        tracing::info!(
            plugin = id,
            version,
            sha256,
            upgraded = upgraded.len(),
            refused = refused.len(),
            "plugin version uploaded"
        );
        Ok(UploadOutcome {
            plugin: id,
            version,
            sha256,
            upgraded,
            refused,
        })
    }

    /// Moves storefronts (all that use the plugin, or those listed) to a
    /// version of it (`None`: the newest, followed from then on): an
    /// upgrade or a rollback. A storefront moves only when that version's
    /// `configure` accepts its stored settings; calls in flight finish on
    /// the version they started with.
    pub async fn switch_version(
        &self,
        plugin: &str,
        version: Option<&str>,
        storefronts: Option<Vec<String>>,
    ) -> Result<SwitchOutcome> {
        let target = self.runtime.plugin_version(plugin, version).map_err(|_| {
            let loaded: Vec<String> = self
                .runtime
                .versions(plugin)
                .iter()
                .map(|p| p.info.version.clone())
                .collect();
            ServiceError::NotFound(format!(
                "plugin `{plugin}` has no version {}; loaded: {}",
                version.unwrap_or("(none)"),
                if loaded.is_empty() {
                    "none".into()
                } else {
                    loaded.join(", ")
                }
            ))
        })?;
        let storefronts = match storefronts {
            Some(list) => {
                for sf in &list {
                    self.storefront(sf).await?;
                }
                list
            }
            None => self.store.storefronts_using(plugin).await?,
        };
        let (mut switched, mut refused) = (Vec::new(), Vec::new());
        for sf in storefronts {
            let current = self.plugin_for(&sf, plugin).await?;
            if let Some(errors) = self.accepts(&target, &sf).await? {
                refused.push(Refusal {
                    storefront: sf,
                    stays_on: current.info.version.clone(),
                    errors,
                });
                continue;
            }
            self.store.set_choice(&sf, plugin, version).await?;
            switched.push(Switched {
                storefront: sf,
                from: current.info.version.clone(),
                to: target.info.version.clone(),
            });
        }
        let moved: Vec<String> = switched.iter().map(|s| s.storefront.clone()).collect();
        self.after_switch(plugin, &moved).await?;
        tracing::info!(
            plugin,
            version = target.info.version,
            switched = switched.len(),
            refused = refused.len(),
            "plugin version switched"
        );
        Ok(SwitchOutcome {
            plugin: plugin.to_string(),
            version: version.map(str::to_string),
            switched,
            refused,
        })
    }

    /// `None` when `plugin` accepts the storefront's stored settings (or it
    /// has none yet); else what it refused.
    async fn accepts(&self, plugin: &Plugin, storefront: &str) -> Result<Option<Vec<FieldError>>> {
        let tenant = match self.read_tenant(storefront, &plugin.info.id).await {
            Ok(tenant) => tenant,
            Err(ServiceError::Conflict(_)) => return Ok(None), // not configured
            Err(e) => return Err(e),
        };
        match self
            .runtime
            .configure_with(plugin, tenant.settings().clone())
            .await
        {
            Ok(_) => Ok(None),
            Err(CallError::InvalidSettings { fields }) => Ok(Some(fields)),
            Err(e) => Ok(Some(vec![FieldError {
                key: "(plugin)".into(),
                message: format!(
                    "version {} could not check the settings: {e}",
                    plugin.info.version
                ),
            }])),
        }
    }

    /// After storefronts moved: forget the decoded settings (they name the
    /// version), the moved storefronts' idle instances and cached data, and
    /// the idle instances of versions no storefront runs any more.
    async fn after_switch(&self, plugin: &str, moved: &[String]) -> Result<()> {
        self.memo.invalidate();
        self.announce(crate::service::store::Change::Registry).await;
        for sf in moved {
            self.runtime.reset_tenant(sf, plugin).await;
        }
        let registry = self.plugin_registry().await?;
        if let Some(entry) = registry.iter().find(|e| e.id == plugin) {
            for v in entry.versions.iter().filter(|v| v.storefronts.is_empty()) {
                if let Ok(p) = self.runtime.plugin_version(plugin, Some(&v.version)) {
                    self.runtime.retire(&p);
                }
            }
        }
        Ok(())
    }
}

impl Service {
    /// Catches up with another node's uploads and switches: loads the
    /// versions not loaded yet, and forgets the decoded settings (they name
    /// the version a storefront runs; its choice is read from the store).
    pub(crate) async fn sync_registry(&self) {
        if let Err(e) = load_stored(&self.runtime, self.store.as_ref()).await {
            tracing::warn!(error = %format!("{e:#}"), "loading another node's plugin uploads failed");
        }
        self.memo.invalidate();
    }
}

/// Loads the uploaded versions kept in the database (at start, after the
/// plugins folder). One that does not load, or whose id and version the
/// folder already has with other contents, is reported, never fatal.
pub async fn load_stored(
    runtime: &Runtime,
    store: &dyn Store,
) -> anyhow::Result<Vec<FailedPlugin>> {
    let stored = store.versions().await?;
    let mut failed = Vec::new();
    for v in stored {
        let path = PathBuf::from(format!(
            "{UPLOAD} {}@{} ({})",
            v.plugin,
            v.version,
            &v.sha256[..12]
        ));
        if let Ok(loaded) = runtime.plugin_version(&v.plugin, Some(&v.version))
            && loaded.digest == v.sha256
        {
            continue; // the same component is also in the plugins folder
        }
        let bytes = store.component(&v.sha256).await?;
        let outcome = match bytes {
            Some(bytes) => match runtime
                .loader()
                .load_bytes(bytes, &PathBuf::from(UPLOAD))
                .await
            {
                Ok(plugin) => runtime.add_plugin(plugin).map(|_| ()),
                Err(e) => Err(e),
            },
            None => Err(anyhow::anyhow!(
                "its component is missing from the database"
            )),
        };
        if let Err(e) = outcome {
            let reason = format!("{e:#}");
            tracing::error!(
                plugin = v.plugin,
                version = v.version,
                reason,
                "stored plugin version not loaded"
            );
            failed.push(FailedPlugin { path, reason });
        }
    }
    Ok(failed)
}

/// The file name of a plugins-folder plugin (never a path of the machine),
/// or `upload`.
fn source_label(p: &Plugin) -> String {
    p.source.file_name().map_or_else(
        || p.source.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
