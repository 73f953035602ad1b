//! A tenant (storefront) as the runtime sees it: its id, its settings for a
//! plugin, and the origins it may reach.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::capabilities::http::{EgressPolicy, Origin};
use crate::contract::{PluginInfo, Settings};

/// One tenant's configuration of one plugin.
#[derive(Clone, Debug)]
pub struct TenantSpec {
    id: Arc<str>,
    /// Normalised settings, as `configure` answered them.
    settings: Settings,
    /// Origins the plugin may reach. `None`: only the origin of the setting
    /// the plugin names as its endpoint.
    allowed: Option<Vec<Origin>>,
    /// Whether the plugin may reach loopback and private-network addresses
    /// (an on-premises back office); off by default.
    allow_private_networks: bool,
    /// The plugin version this tenant runs; `None`: the newest loaded.
    version: Option<Arc<str>>,
    fingerprint: u64,
}

impl TenantSpec {
    pub fn new(id: impl Into<Arc<str>>, settings: Settings) -> Self {
        let mut spec = Self {
            id: id.into(),
            settings,
            allowed: None,
            allow_private_networks: false,
            version: None,
            fingerprint: 0,
        };
        spec.fingerprint = spec.compute_fingerprint();
        spec
    }

    /// Replaces the default allow-list (the endpoint setting's origin).
    pub fn with_allowed(mut self, allowed: Vec<Origin>) -> Self {
        self.allowed = Some(allowed);
        self.fingerprint = self.compute_fingerprint();
        self
    }

    /// Lets the plugin reach loopback and private-network addresses (for a
    /// back office on the operator's own network).
    pub fn with_private_networks(mut self, allow: bool) -> Self {
        self.allow_private_networks = allow;
        self.fingerprint = self.compute_fingerprint();
        self
    }

    /// Runs this version of the plugin rather than the newest.
    pub fn with_version(mut self, version: impl Into<Arc<str>>) -> Self {
        self.version = Some(version.into());
        self.fingerprint = self.compute_fingerprint();
        self
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    pub fn allows_private_networks(&self) -> bool {
        self.allow_private_networks
    }

    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Changes whenever anything an instance was bound with changes, so
    /// instances bound to old settings are never reused.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The egress policy for this tenant's use of `plugin`.
    pub fn egress(&self, plugin: &PluginInfo) -> EgressPolicy {
        let allowed = match &self.allowed {
            Some(allowed) => allowed.clone(),
            None => plugin
                .endpoint_setting
                .as_deref()
                .and_then(|key| self.setting(key))
                .and_then(|url| Origin::parse(url).ok())
                .into_iter()
                .collect(),
        };
        EgressPolicy {
            allowed,
            allow_private_networks: self.allow_private_networks,
        }
    }

    fn compute_fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.settings.hash(&mut h);
        self.allowed
            .as_ref()
            .map(|a| a.iter().map(|o| o.to_string()).collect::<Vec<_>>())
            .hash(&mut h);
        self.allow_private_networks.hash(&mut h);
        self.version.hash(&mut h);
        h.finish()
    }
}
