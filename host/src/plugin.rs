//! Loading plugins: compile (or load the precompiled artifact), link,
//! pre-instantiate, and read the plugin's self-description.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
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
    artifacts: Option<(PathBuf, ArtifactKey)>,
}

impl PluginLoader {
    pub fn new(engine: &Engine, artifacts: Option<PathBuf>) -> anyhow::Result<Self> {
        let linker = crate::sandbox::linker(engine).map_err(anyhow::Error::from)?;
        let artifacts = match artifacts {
            Some(dir) => {
                let key = ArtifactKey::open(&dir)?;
                Some((dir, key))
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
        let digest = format!("{:x}", Sha256::digest(&bytes));
        let (component, _) = self
            .component(&bytes, &digest)
            .with_context(|| format!("compiling plugin {}", path.display()))?;
        let pre = PluginPre::new(&self.linker, &component, &self.engine)
            .with_context(|| format!("{} cannot be loaded as a connect plugin", path.display()))?;
        let info = read_info(&pre)
            .await
            .with_context(|| format!("reading the info of plugin {}", path.display()))?;
        validate_id(&info.id).with_context(|| format!("plugin {}", path.display()))?;
        Ok(Plugin {
            id: info.id.as_str().into(),
            contract: pre.version(),
            info,
            digest,
            source: path.to_owned(),
            pre,
        })
    }

    /// The compiled component, from the artifact directory when present.
    pub fn component(
        &self,
        wasm: &[u8],
        digest: &str,
    ) -> anyhow::Result<(Component, CompileSource)> {
        let Some((dir, key)) = &self.artifacts else {
            return Ok((self.compile(wasm)?, CompileSource::Compiled));
        };
        let engine_hash = self.engine_hash();
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
                match unsafe { Component::deserialize(&self.engine, &bytes) } {
                    Ok(component) => return Ok((component, CompileSource::Precompiled)),
                    Err(err) => {
                        tracing::warn!(artifact = %artifact.display(), error = %err, "precompiled plugin unusable; recompiling")
                    }
                }
            }
        }
        let started = Instant::now();
        let compiled = self
            .engine
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
        let component = unsafe { Component::deserialize(&self.engine, &compiled) }
            .map_err(anyhow::Error::from)?;
        Ok((component, CompileSource::Compiled))
    }

    fn compile(&self, wasm: &[u8]) -> anyhow::Result<Component> {
        Component::new(&self.engine, wasm).map_err(anyhow::Error::from)
    }

    fn engine_hash(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        hasher.finish()
    }
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
