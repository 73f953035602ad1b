//! Loading plugins: compile (or load the precompiled artifact), link,
//! pre-instantiate, and read the plugin's self-description.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::artifact_key::{ArtifactKey, tag_path};
use crate::bindings::{ContractVersion, PluginPre};
use crate::capabilities::cache::{MemoryCache, Namespace, TenantCache};
use crate::capabilities::http::EgressPolicy;
use crate::contract::PluginInfo;
use crate::sandbox::{Grant, HostState, Limits, Sandbox};

/// A loaded plugin, ready to instantiate for any tenant.
pub struct Plugin {
    /// `info.id`, shared cheaply with every call's pool key.
    pub id: Arc<str>,
    /// `id@version`: names this version in pool keys, logs and metrics.
    pub key: Arc<str>,
    /// `info.version`, parsed: versions of one id are ordered by it.
    pub version: semver::Version,
    pub info: PluginInfo,
    /// The contract version the plugin was built against.
    pub contract: ContractVersion,
    /// Hex SHA-256 of the `.wasm` file.
    pub digest: String,
    pub source: PathBuf,
    pub(crate) pre: PluginPre,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.info.id)
            .field("version", &self.info.version)
            .field("contract", &self.contract)
            .field("source", &self.source)
            .finish()
    }
}

/// How a component was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompileSource {
    /// Compiled from the `.wasm` with Cranelift.
    Compiled,
    /// Loaded from a precompiled artifact on disk.
    Precompiled,
}

/// Compiles plugins, keeping precompiled artifacts in a directory keyed by
/// the hash of the `.wasm` and of the engine configuration, so each plugin is
/// compiled once per engine configuration, not once per process. An
/// artifact is loaded only when its keyed hash verifies (`artifact_key`).
pub struct PluginLoader {
    engine: Engine,
    linker: Linker<HostState>,
    /// Shared with the blocking thread that compiles an uploaded plugin.
    artifacts: Option<Arc<(PathBuf, ArtifactKey)>>,
}

impl PluginLoader {
    pub fn new(engine: &Engine, artifacts: Option<PathBuf>) -> anyhow::Result<Self> {
        let linker = crate::sandbox::linker(engine).map_err(anyhow::Error::from)?;
        let artifacts = match artifacts {
            Some(dir) => {
                let key = ArtifactKey::open(&dir)?;
                Some(Arc::new((dir, key)))
            }
            None => None,
        };
        Ok(Self {
            engine: engine.clone(),
            linker,
            artifacts,
        })
    }

    /// Loads a plugin from a `.wasm` component file.
    pub async fn load(&self, path: &Path) -> anyhow::Result<Plugin> {
        let bytes =
            std::fs::read(path).with_context(|| format!("reading plugin {}", path.display()))?;
        self.load_bytes(bytes, path).await
    }

    /// Loads and validates a plugin component from its bytes (`source`
    /// names it in messages). Compiling is CPU-bound for seconds, so it runs
    /// on a blocking thread: calls in flight keep their executor threads.
    pub async fn load_bytes(&self, bytes: Vec<u8>, source: &Path) -> anyhow::Result<Plugin> {
        let digest = format!("{:x}", Sha256::digest(&bytes));
        let (engine, artifacts, key) =
            (self.engine.clone(), self.artifacts.clone(), digest.clone());
        let compiled = tokio::task::spawn_blocking(move || {
            compile_cached(&engine, artifacts.as_deref(), &bytes, &key)
        })
        .await
        .map_err(|e| anyhow!("the compiler thread failed: {e}"))?;
        let (component, _) =
            compiled.with_context(|| format!("compiling plugin {}", source.display()))?;
        let pre = PluginPre::new(&self.linker, &component, &self.engine).with_context(|| {
            format!("{} cannot be loaded as a connect plugin", source.display())
        })?;
        let info = read_info(&pre)
            .await
            .with_context(|| format!("reading the info of plugin {}", source.display()))?;
        let version =
            validate_info(&info).with_context(|| format!("plugin {}", source.display()))?;
        Ok(Plugin {
            id: info.id.as_str().into(),
            key: format!("{}@{}", info.id, info.version).into(),
            version,
            contract: pre.version(),
            info,
            digest,
            source: source.to_owned(),
            pre,
        })
    }

    /// The compiled component, from the artifact directory when present.
    pub fn component(
        &self,
        wasm: &[u8],
        digest: &str,
    ) -> anyhow::Result<(Component, CompileSource)> {
        compile_cached(&self.engine, self.artifacts.as_deref(), wasm, digest)
    }
}

/// Compiles `wasm`, or loads its precompiled artifact when `artifacts` holds
/// one that this installation signed.
fn compile_cached(
    engine: &Engine,
    artifacts: Option<&(PathBuf, ArtifactKey)>,
    wasm: &[u8],
    digest: &str,
) -> anyhow::Result<(Component, CompileSource)> {
    let Some((dir, key)) = artifacts else {
        let component = Component::new(engine, wasm).map_err(anyhow::Error::from)?;
        return Ok((component, CompileSource::Compiled));
    };
    let engine_hash = engine_hash(engine);
    let artifact = dir.join(format!("{digest}-{engine_hash:016x}.cwasm"));
    let tag = tag_path(&artifact);
    if let Ok(bytes) = std::fs::read(&artifact) {
        let tag = std::fs::read(&tag).unwrap_or_default();
        if !key.verify(digest, engine_hash, &bytes, &tag) {
            tracing::warn!(
                artifact = %artifact.display(),
                "precompiled plugin failed its authentication (keyed hash missing or wrong: \
                 tampered with, or not written by this installation); not loading it, recompiling"
            );
        } else {
            // SAFETY: these very bytes carry this installation's keyed
            // hash, so this host wrote them with `precompile_component`
            // of an engine with the same configuration; wasmtime also
            // checks the header and refuses an incompatible artifact.
            match unsafe { Component::deserialize(engine, &bytes) } {
                Ok(component) => return Ok((component, CompileSource::Precompiled)),
                Err(err) => {
                    tracing::warn!(artifact = %artifact.display(), error = %err, "precompiled plugin unusable; recompiling")
                }
            }
        }
    }
    let started = Instant::now();
    let compiled = engine
        .precompile_component(wasm)
        .map_err(anyhow::Error::from)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "compiled plugin");
    // Write then rename: concurrent loaders never see half a file. The
    // tag goes first: an artifact without its tag is never loaded.
    let signature = key.sign(digest, engine_hash, &compiled);
    for (path, bytes) in [(&tag, &signature[..]), (&artifact, &compiled[..])] {
        let tmp = crate::artifact_key::unique_tmp(path);
        std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    // SAFETY: produced just above by this engine.
    let component =
        unsafe { Component::deserialize(engine, &compiled) }.map_err(anyhow::Error::from)?;
    Ok((component, CompileSource::Compiled))
}

fn engine_hash(engine: &Engine) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// Instantiates the plugin with no settings and no egress to ask its `info`.
async fn read_info(pre: &PluginPre) -> anyhow::Result<PluginInfo> {
    let grant = Grant {
        tenant: "(host)".into(),
        plugin: "(loading)".into(),
        egress: Arc::new(EgressPolicy::default()),
        cache: TenantCache {
            backend: Arc::new(MemoryCache::new(1 << 20)),
            ns: Namespace::new("(host)", "(loading)"),
        },
        limits: Limits::default(),
        bounds: crate::capabilities::bounds::BoundsRegistry::new(1, 100).tenant(&"(host)".into()),
        slow_lane: Arc::new(tokio::sync::Semaphore::new(1)),
    };
    let mut sandbox = Sandbox::new(pre, grant, None, 0).await?;
    Ok(sandbox
        .invoke("info", false, async |p, s| p.info(s).await)
        .await
        .0?)
}

/// What the host needs of a plugin's self-description before it accepts
/// it: a valid id, a semantic version (versions of one id are ordered by
/// it), at least one capability, and a settings schema whose keys are valid
/// and distinct and which declares the endpoint setting it names.
pub fn validate_info(info: &PluginInfo) -> anyhow::Result<semver::Version> {
    validate_id(&info.id)?;
    let version = semver::Version::parse(&info.version).map_err(|e| {
        anyhow!(
            "its version `{}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0): {e}",
            info.version
        )
    })?;
    if info.capabilities.is_empty() {
        bail!("it declares no capability (price, stock, orders, ...): it could serve nothing");
    }
    let mut keys = std::collections::BTreeSet::new();
    for setting in &info.settings {
        validate_id(&setting.key).context("a setting key in its settings schema")?;
        if !keys.insert(setting.key.as_str()) {
            bail!("its settings schema declares `{}` twice", setting.key);
        }
    }
    if let Some(endpoint) = &info.endpoint_setting
        && !keys.contains(endpoint.as_str())
    {
        bail!("its endpoint setting `{endpoint}` is not in its settings schema");
    }
    Ok(version)
}

/// Plugin and tenant ids: short, printable, safe in paths, URLs and labels.
pub fn validate_id(id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(anyhow!(
            "`{id}` is not a valid id: use 1 to 64 letters, digits, `-`, `_` or `.`"
        ))
    }
}
