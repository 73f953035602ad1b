//! The service's configuration: embedded defaults, then a TOML file, then
//! `CONNECT_<SECTION>_<KEY>` environment variables, then command-line flags.
//!
//! Every option is documented here and in `host/SERVICE.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "CONNECT_";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub plugins: PluginsConfig,
    pub runtime: RuntimeLimits,
    pub auth: AuthConfig,
    pub outbox: OutboxConfig,
    pub catalogue: CatalogueConfig,
    pub metrics: MetricsConfig,
    pub webhooks: WebhooksConfig,
    pub cache: super::cache::CacheConfig,
    pub store: super::store::StoreConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The URL operators and back offices reach this service at (for the
    /// admin link and the webhook URLs shown to operators). Empty:
    /// `http://<listen>`.
    pub public_url: String,
    /// Seconds in-flight requests and deliveries get to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Largest request body accepted, in KiB.
    pub max_body_kib: usize,
    /// The public addresses (IPs or CIDR ranges) this service's outgoing
    /// requests come from, as the back offices see them (after NAT): shown
    /// beside every plugin's endpoint setting for the operator to allow-list
    /// at the MIS. Environment: comma-separated.
    pub outgoing_ips: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            public_url: String::new(),
            shutdown_grace_secs: 10,
            max_body_kib: 1024,
            outgoing_ips: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Directory of the database, the secret key file, the admin token file,
    /// the plugin cache and precompiled plugins. Created if missing.
    pub data_dir: PathBuf,
    /// SQLite database file. Empty: `<data_dir>/connect.sqlite`.
    pub database: PathBuf,
    /// File of the 32-byte key that encrypts secret settings at rest; created
    /// with mode 0600 when missing. `CONNECT_SECRET_KEY` (base64 of 32 bytes)
    /// takes precedence. Empty: `<data_dir>/secret.key`.
    pub secret_key_file: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database: PathBuf::new(),
            secret_key_file: PathBuf::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Directory of plugin components (`*.wasm`). Empty:
    /// `<data_dir>/plugins`, seeded with the bundled Tharstern connector when
    /// empty (cargo feature `bundled-plugin`).
    pub dir: PathBuf,
    /// Directory of precompiled plugins. Empty: `<data_dir>/precompiled`.
    pub precompiled_dir: PathBuf,
    /// Largest plugin component accepted by an upload, in MiB.
    pub max_upload_mib: usize,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::new(),
            precompiled_dir: PathBuf::new(),
            max_upload_mib: 32,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeLimits {
    /// Guest execution time allowed per call, in milliseconds (time waiting
    /// for the backend does not count).
    pub deadline_ms: u64,
    /// Wall-clock time allowed per call, backend I/O included, in ms.
    pub timeout_ms: u64,
    /// Wall-clock time allowed for a catalogue refresh, in seconds.
    pub batch_timeout_secs: u64,
    /// Memory cap of each plugin instance, in MiB.
    pub memory_mib: u64,
    /// Outgoing requests in flight per plugin instance; more are refused.
    pub max_requests_per_instance: usize,
    /// Outgoing requests in flight per storefront (all its instances).
    pub max_requests_per_tenant: usize,
    /// Largest response head (status line and headers) read, in KiB.
    pub max_response_header_kib: usize,
    /// Plugin log lines per storefront per second; the rest are dropped and
    /// counted (`connect_plugin_log_lines_dropped_total`).
    pub log_lines_per_sec: u32,
}

impl Default for RuntimeLimits {
    fn default() -> Self {
        Self {
            deadline_ms: 1000,
            timeout_ms: 30_000,
            batch_timeout_secs: 600,
            memory_mib: 64,
            max_requests_per_instance: 16,
            max_requests_per_tenant: 64,
            max_response_header_kib: 64,
            log_lines_per_sec: 100,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The admin token: `Authorization: Bearer <token>` on `/api/v1`, and a
    /// login for `/admin`. Empty: read from `<data_dir>/admin-token`, which
    /// is created (mode 0600, random) when missing.
    pub token: String,
    /// Optional user name for the admin login (with `password`).
    pub username: String,
    /// Password of `username` (hashed at start-up, kept only hashed).
    pub password: String,
    /// Or the password's Argon2id hash (PHC string, `connect-host
    /// hash-password`), so the configuration holds no password.
    pub password_hash: String,
    /// How long an admin login lasts, in hours.
    pub session_hours: u64,
    /// Login attempts per client address per minute (a burst of as many,
    /// then one every 60/n seconds).
    pub login_attempts_per_minute: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token: String::new(),
            username: String::new(),
            password: String::new(),
            password_hash: String::new(),
            session_hours: 12,
            login_attempts_per_minute: 10,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Orders delivered at the same time. A delivery mostly waits on its
    /// back office, so a burst needs many in flight for delivery to keep up
    /// with acceptance (BENCHMARKS.md, round 2: 4 delivered 0.44 of the
    /// accepted rate, 32 kept up). Over all storefronts: one storefront's
    /// burst may use every place, each holding one of its
    /// `runtime.max_requests_per_tenant` outgoing places while it calls.
    pub concurrency: usize,
    /// Attempts before an order is parked as failed.
    pub max_attempts: u32,
    /// Wait after the first failed attempt, in ms; doubled per attempt.
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts, in ms.
    pub max_backoff_ms: u64,
    /// How often the worker looks for due orders when not woken, in ms.
    pub poll_ms: u64,
    /// How long a node's claim on an order it delivers lasts unless renewed
    /// (every third of it, while the node lives). When a node dies, its
    /// orders are delivered by another node this long after.
    pub lease_secs: u64,
    /// The fallback to status webhooks: a delivered order with no tracking
    /// number whose status has not changed for this many seconds is asked
    /// about through its plugin. 0 turns the poller off (`refresh-status`
    /// still works on demand).
    pub status_poll_secs: u64,
    /// Orders older than this many days are no longer polled.
    pub status_poll_days: u64,
    /// Orders asked about per round, the longest-waiting first.
    pub status_poll_batch: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            max_attempts: 8,
            initial_backoff_ms: 1000,
            max_backoff_ms: 300_000,
            poll_ms: 1000,
            lease_secs: 30,
            status_poll_secs: 900,
            status_poll_days: 30,
            status_poll_batch: 50,
        }
    }
}

impl OutboxConfig {
    /// Capped exponential backoff with full jitter in its upper half, so
    /// retries of many orders after an outage do not arrive in lockstep.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .initial_backoff_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(30));
        let capped = exp.min(self.max_backoff_ms).max(1);
        let jittered = capped / 2 + ((capped / 2) as f64 * jitter.clamp(0.0, 1.0)) as u64;
        Duration::from_millis(jittered)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogueConfig {
    /// How often the scheduler looks for storefronts whose catalogue is due,
    /// in seconds. 0 turns scheduled refreshes off (on demand still works).
    pub check_secs: u64,
}

impl Default for CatalogueConfig {
    fn default() -> Self {
        Self { check_secs: 60 }
    }
}

/// How webhooks are authenticated and throttled (`service::webhook_auth`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How far a signed webhook's `X-Connect-Timestamp` may be from now, in
    /// seconds; a signature is accepted once within it.
    pub max_age_secs: u64,
    /// Refused webhooks per client address per minute before 429s.
    pub failures_per_minute: u32,
    /// Accepted webhooks per storefront per second (bursts of ten times as
    /// many), so one storefront cannot take the plugin pool.
    pub per_storefront_per_second: u32,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            max_age_secs: 300,
            failures_per_minute: 30,
            per_storefront_per_second: 500,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Storefronts that get their own `storefront` label; the rest share
    /// `storefront="other"`, so label cardinality stays bounded.
    pub max_storefront_labels: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            max_storefront_labels: 20,
        }
    }
}

impl Config {
    /// Defaults, then `file` (if any), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the config file {}", path.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("{} is not valid TOML", path.display()))?
            }
            None => toml::Table::new(),
        };
        env::apply_env(&mut table, std::env::vars())?;
        let config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.outbox.concurrency == 0 {
            bail!("outbox.concurrency must be at least 1");
        }
        if self.outbox.max_attempts == 0 {
            bail!("outbox.max_attempts must be at least 1");
        }
        if self.outbox.lease_secs < 2 {
            bail!("outbox.lease_secs must be at least 2 (claims are renewed every third of it)");
        }
        if self.runtime.deadline_ms == 0 || self.runtime.timeout_ms == 0 {
            bail!("runtime.deadline_ms and runtime.timeout_ms must be at least 1");
        }
        let r = &self.runtime;
        if r.max_requests_per_instance == 0 || r.max_requests_per_tenant == 0 {
            bail!(
                "runtime.max_requests_per_instance and max_requests_per_tenant must be at least 1"
            );
        }
        if r.max_response_header_kib == 0 || r.log_lines_per_sec == 0 {
            bail!("runtime.max_response_header_kib and log_lines_per_sec must be at least 1");
        }
        self.cache.validate()?;
        if !(1..=4096).contains(&self.runtime.memory_mib) {
            bail!("runtime.memory_mib must be between 1 and 4096");
        }
        let has_password = !self.auth.password.is_empty() || !self.auth.password_hash.is_empty();
        if self.auth.username.is_empty() == has_password {
            bail!("auth.username and auth.password (or auth.password_hash) must be set together");
        }
        if !self.auth.password.is_empty() && !self.auth.password_hash.is_empty() {
            bail!("set auth.password or auth.password_hash, not both");
        }
        for ip in &self.server.outgoing_ips {
            if ip.parse::<std::net::IpAddr>().is_err() && ip.parse::<ipnet::IpNet>().is_err() {
                bail!("server.outgoing_ips: `{ip}` is not an IP address or CIDR range");
            }
        }
        Ok(())
    }

    pub fn database_path(&self) -> PathBuf {
        or_in_data(
            &self.storage.database,
            &self.storage.data_dir,
            "connect.sqlite",
        )
    }

    pub fn secret_key_path(&self) -> PathBuf {
        or_in_data(
            &self.storage.secret_key_file,
            &self.storage.data_dir,
            "secret.key",
        )
    }

    pub fn plugins_dir(&self) -> PathBuf {
        or_in_data(&self.plugins.dir, &self.storage.data_dir, "plugins")
    }

    pub fn precompiled_dir(&self) -> PathBuf {
        or_in_data(
            &self.plugins.precompiled_dir,
            &self.storage.data_dir,
            "precompiled",
        )
    }

    pub fn cache_path(&self) -> PathBuf {
        self.storage.data_dir.join("cache.sqlite")
    }

    pub fn admin_token_path(&self) -> PathBuf {
        self.storage.data_dir.join("admin-token")
    }

    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{}", self.server.listen)
        } else {
            self.server.public_url.trim_end_matches('/').to_string()
        }
    }

    /// The configuration as TOML, with secrets replaced.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        for secret in [
            &mut shown.auth.token,
            &mut shown.auth.password,
            &mut shown.auth.password_hash,
        ] {
            if !secret.is_empty() {
                *secret = "(set)".into();
            }
        }
        shown.cache.url = crate::service::infra::secrets::redact_url(&shown.cache.url);
        shown.store.url = crate::service::infra::secrets::redact_url(&shown.store.url);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

fn or_in_data(path: &Path, data_dir: &Path, default: &str) -> PathBuf {
    if path.as_os_str().is_empty() {
        data_dir.join(default)
    } else {
        path.to_owned()
    }
}

mod env;
#[cfg(test)]
mod tests;
