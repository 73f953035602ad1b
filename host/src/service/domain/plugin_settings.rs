//! A storefront's settings for a plugin: validated by the plugin's
//! `configure`, stored with secret values encrypted, never answered back
//! (only whether each is set); and every plugin call for a storefront,
//! which runs with those settings and is measured.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::service::infra::time::{iso8601, now};
use crate::service::store::Change;
use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::{
    CatalogueReport, Check, ConnectionReport, OrderReceipt, OrderUpdate, PluginInfo, PriceQuote,
    ProductPage, SettingKind, SettingSpec, Settings, StockLevel,
};
use connect_runtime::error::CallError;
use connect_runtime::runtime::Runtime;
use connect_runtime::tenant::TenantSpec;

/// What is shown of a storefront's plugin settings.
#[derive(Clone, Debug, Serialize)]
pub struct SettingsView {
    pub plugin: String,
    pub enabled: bool,
    pub configured: bool,
    /// Non-secret values as stored (normalised by the plugin).
    pub values: BTreeMap<String, String>,
    /// Secret settings: whether each is set. Their values never leave.
    pub secrets: BTreeMap<String, bool>,
    pub configured_at: Option<String>,
    pub last_check: Option<CheckOutcome>,
    /// The plugin version this storefront runs (`registry`).
    pub version: String,
    /// Where the back office should send webhooks for this storefront.
    pub webhook_path: String,
    /// Where this service's requests come from (`server.outgoing_ips`),
    /// for the operator to allow at the back office.
    pub outgoing_ips: Vec<String>,
}

/// The result of Check Connection.
#[derive(Clone, Debug, Serialize)]
pub struct CheckOutcome {
    pub ok: bool,
    pub summary: String,
    /// Error kind when it failed (`authentication`, `unreachable`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub checks: Vec<Check>,
    /// What works but deserves attention (plugins of contract 0.2.0 on).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub at: String,
}

/// A submitted value: `None` (JSON null) clears a secret; a missing or empty
/// secret keeps the stored one (secret fields are write-only).
pub type SettingsInput = BTreeMap<String, Option<String>>;

/// Whether a setting is write-only and sealed at rest.
pub fn secret_spec(s: &SettingSpec) -> bool {
    s.secret || s.kind == SettingKind::Password
}

pub fn is_secret(info: &PluginInfo, key: &str) -> bool {
    info.settings.iter().any(|s| s.key == key && secret_spec(s))
}

/// A storefront's stored settings for a plugin, decoded.
struct Stored {
    enabled: bool,
    values: BTreeMap<String, String>,
    secrets: Option<String>,
    configured_at: Option<i64>,
    check: Option<(bool, String, i64)>,
}

impl From<crate::service::store::StoredSettings> for Stored {
    fn from(s: crate::service::store::StoredSettings) -> Self {
        Self {
            enabled: s.enabled,
            values: serde_json::from_str(&s.values_json).unwrap_or_default(),
            secrets: s.sealed_secrets,
            configured_at: s.configured_at,
            check: s.check,
        }
    }
}

impl Service {
    async fn stored(&self, storefront: &str, plugin: &str) -> Result<Option<Stored>> {
        Ok(self
            .store
            .plugin_settings(storefront, plugin)
            .await?
            .map(Stored::from))
    }

    fn open_secrets(
        &self,
        storefront: &str,
        plugin: &str,
        sealed: Option<&str>,
    ) -> Result<BTreeMap<String, String>> {
        let Some(sealed) = sealed else {
            return Ok(BTreeMap::new());
        };
        let plain = self
            .secrets
            .open(&format!("{storefront}/{plugin}"), sealed)?;
        Ok(serde_json::from_slice(&plain).map_err(anyhow::Error::from)?)
    }

    pub async fn settings_view(&self, storefront: &str, plugin: &str) -> Result<SettingsView> {
        self.storefront(storefront).await?;
        let running = self.plugin_for(storefront, plugin).await?;
        let info = &running.info;
        let stored = self.stored(storefront, plugin).await?;
        let secret_values = match &stored {
            Some(s) => self.open_secrets(storefront, plugin, s.secrets.as_deref())?,
            None => BTreeMap::new(),
        };
        let secrets = info
            .settings
            .iter()
            .filter(|s| secret_spec(s))
            .map(|s| (s.key.clone(), secret_values.contains_key(&s.key)))
            .collect();
        let last_check = stored
            .as_ref()
            .and_then(|s| s.check.clone())
            .map(|(ok, summary, at)| CheckOutcome {
                ok,
                summary,
                kind: None,
                checks: vec![],
                warnings: vec![],
                at: iso8601(at),
            });
        Ok(SettingsView {
            plugin: plugin.to_string(),
            enabled: stored.as_ref().is_some_and(|s| s.enabled),
            configured: stored.as_ref().is_some_and(|s| s.configured_at.is_some()),
            values: stored
                .as_ref()
                .map(|s| s.values.clone())
                .unwrap_or_default(),
            secrets,
            configured_at: stored.and_then(|s| s.configured_at).map(iso8601),
            last_check,
            version: info.version.clone(),
            webhook_path: format!("/webhooks/{storefront}/{plugin}"),
            outgoing_ips: self.config.server.outgoing_ips.clone(),
        })
    }

    /// Validates `input` with the plugin's `configure` and stores the
    /// normalised settings. Field problems come back as
    /// [`ServiceError::Invalid`], one entry per field.
    pub async fn write_settings(
        &self,
        storefront: &str,
        plugin: &str,
        input: SettingsInput,
    ) -> Result<SettingsView> {
        self.storefront(storefront).await?;
        let running = self.plugin_for(storefront, plugin).await?;
        let info = &running.info;
        let stored = self.stored(storefront, plugin).await?;
        let mut secrets = match &stored {
            Some(s) => self.open_secrets(storefront, plugin, s.secrets.as_deref())?,
            None => BTreeMap::new(),
        };
        let mut settings: Settings = Vec::new();
        for (key, value) in input {
            if is_secret(info, &key) {
                match value {
                    None => {
                        secrets.remove(&key);
                    }
                    Some(v) if v.is_empty() => {}
                    Some(v) => {
                        secrets.insert(key, v);
                    }
                }
            } else if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                settings.push((key, v));
            }
        }
        settings.extend(secrets);
        let normalised = match self.runtime.configure_with(&running, settings).await {
            Ok(s) => s,
            Err(CallError::InvalidSettings { fields }) => {
                return Err(ServiceError::Invalid(fields));
            }
            Err(e) => return Err(e.into()),
        };
        let (secret, plain): (Vec<_>, Vec<_>) = normalised
            .into_iter()
            .partition(|(k, _)| is_secret(info, k));
        let values: BTreeMap<String, String> = plain.into_iter().collect();
        let secret: BTreeMap<String, String> = secret.into_iter().collect();
        let sealed = if secret.is_empty() {
            None
        } else {
            let json = serde_json::to_vec(&secret).map_err(anyhow::Error::from)?;
            Some(
                self.secrets
                    .seal(&format!("{storefront}/{plugin}"), &json)?,
            )
        };
        let values = serde_json::to_string(&values).map_err(anyhow::Error::from)?;
        self.store
            .write_plugin_settings(storefront, plugin, &values, sealed.as_deref())
            .await?;
        // Live instances and cached data were bound to the old settings.
        self.memo.invalidate();
        self.runtime.reset_tenant(storefront, plugin).await;
        self.announce(Change::PluginSettings {
            storefront: storefront.into(),
            plugin: plugin.into(),
        })
        .await;
        tracing::info!(storefront, plugin, "plugin settings changed");
        self.settings_view(storefront, plugin).await
    }

    /// The runtime's view of a storefront's configured plugin.
    pub async fn tenant(&self, storefront: &str, plugin: &str) -> Result<Arc<TenantSpec>> {
        if let Some(spec) = self.memo.tenant(storefront, plugin) {
            return Ok(spec);
        }
        let generation = self.memo.generation();
        let spec = Arc::new(self.read_tenant(storefront, plugin).await?);
        self.memo.keep_tenant(generation, plugin, spec.clone());
        Ok(spec)
    }

    /// The storefront's settings for the version of the plugin it runs.
    pub(crate) async fn read_tenant(&self, storefront: &str, plugin: &str) -> Result<TenantSpec> {
        let stored = self
            .stored(storefront, plugin)
            .await?
            .filter(|s| s.configured_at.is_some())
            .ok_or_else(|| {
                ServiceError::Conflict(format!(
                    "plugin `{plugin}` is not configured for storefront `{storefront}`: \
                     configure it under Connect plugins first"
                ))
            })?;
        let private = self
            .storefront(storefront)
            .await?
            .connect
            .allow_private_networks;
        let secrets = self.open_secrets(storefront, plugin, stored.secrets.as_deref())?;
        let mut settings: Settings = stored.values.into_iter().collect();
        settings.extend(secrets);
        let version = self
            .plugin_for(storefront, plugin)
            .await?
            .info
            .version
            .clone();
        Ok(TenantSpec::new(storefront, settings)
            .with_private_networks(private)
            .with_version(version))
    }

    /// Runs a plugin export for a storefront through the runtime's typed
    /// API, measured (`what`: the export's WIT name, a metric label).
    pub async fn call<T: Reply>(
        &self,
        storefront: &str,
        plugin: &str,
        what: &'static str,
        run: impl AsyncFnOnce(&Runtime, &TenantSpec) -> Result<T, CallError>,
    ) -> Result<T> {
        let tenant = self.tenant(storefront, plugin).await?;
        let started = Instant::now();
        let answer = run(&self.runtime, &tenant).await;
        let outcome = match &answer {
            Ok(reply) => Ok(reply.cached()),
            Err(e) => Err(e.kind()),
        };
        let version = tenant.version().unwrap_or_default();
        self.metrics.call(
            storefront,
            plugin,
            version,
            what,
            started.elapsed(),
            outcome,
        );
        if let Err(e) = &answer {
            tracing::info!(storefront, plugin, version, call = what, kind = e.kind(), error = %e, "plugin call failed");
        }
        Ok(answer?)
    }

    /// Check Connection: asks the plugin to verify the stored settings
    /// against the backend and remembers the outcome.
    pub async fn check_connection(&self, storefront: &str, plugin: &str) -> Result<CheckOutcome> {
        let check = async |rt: &Runtime, t: &TenantSpec| rt.check_connection(t, plugin).await;
        let outcome = match self
            .call(storefront, plugin, "check-connection", check)
            .await
        {
            Ok(report) => CheckOutcome {
                ok: true,
                summary: report.summary,
                kind: None,
                checks: report.checks,
                warnings: report.warnings,
                at: iso8601(now()),
            },
            Err(ServiceError::Call(e)) => CheckOutcome {
                ok: false,
                summary: e.to_string(),
                kind: Some(e.kind().to_string()),
                checks: vec![],
                warnings: vec![],
                at: iso8601(now()),
            },
            Err(e) => return Err(e),
        };
        self.store
            .record_check(storefront, plugin, outcome.ok, &outcome.summary)
            .await?;
        Ok(outcome)
    }
}

/// What a plugin call answered, as the call metrics see it.
pub trait Reply {
    /// Whether the plugin answered from its cache, for calls that say.
    fn cached(&self) -> Option<bool> {
        None
    }
}

impl Reply for PriceQuote {
    fn cached(&self) -> Option<bool> {
        Some(self.cached)
    }
}

impl Reply for StockLevel {
    fn cached(&self) -> Option<bool> {
        Some(self.cached)
    }
}

impl Reply for ConnectionReport {}
impl Reply for OrderReceipt {}
impl Reply for OrderUpdate {}
impl Reply for Vec<OrderUpdate> {}
impl Reply for CatalogueReport {}
impl Reply for ProductPage {}
