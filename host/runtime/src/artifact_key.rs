//! Authenticates precompiled plugins. A precompiled artifact is native code
//! that `Component::deserialize` trusts, so the host only loads one whose
//! keyed hash it can verify: HMAC-SHA256, under a random per-installation
//! key kept in the artifacts directory (`artifacts.key`, mode 0600; the
//! directory is created 0700), over the plugin's `.wasm` digest, the engine
//! configuration hash and the artifact's bytes, stored beside the artifact
//! (`<artifact>.mac`). An artifact copied from elsewhere, another plugin's
//! artifact renamed, or a flipped byte fails the check and is recompiled.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key's file name inside the artifacts directory.
pub const KEY_FILE: &str = "artifacts.key";

/// The installation's artifact key.
pub struct ArtifactKey {
    key: [u8; 32],
}

impl std::fmt::Debug for ArtifactKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArtifactKey(..)")
    }
}

impl ArtifactKey {
    /// Creates `dir` (0700) and its key (0600) if missing; reads the key.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        create_private_dir(dir)?;
        let path = dir.join(KEY_FILE);
        if !path.exists() {
            create_key(&path)?;
        }
        let bytes = std::fs::read(&path)
            .with_context(|| format!("reading the artifact key {}", path.display()))?;
        let key = bytes.try_into().map_err(|_| {
            anyhow::anyhow!(
                "the artifact key {} is not 32 bytes: delete it (and the artifacts beside it) \
                 and start again",
                path.display()
            )
        })?;
        Ok(Self { key })
    }

    fn mac(&self, wasm_digest: &str, engine_hash: u64, artifact: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.key).expect("any key length");
        mac.update(wasm_digest.as_bytes());
        mac.update(&engine_hash.to_le_bytes());
        mac.update(artifact);
        mac
    }

    /// The tag to store beside an artifact.
    pub fn sign(&self, wasm_digest: &str, engine_hash: u64, artifact: &[u8]) -> Vec<u8> {
        self.mac(wasm_digest, engine_hash, artifact)
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// Whether `tag` authenticates `artifact` (constant-time).
    pub fn verify(&self, wasm_digest: &str, engine_hash: u64, artifact: &[u8], tag: &[u8]) -> bool {
        self.mac(wasm_digest, engine_hash, artifact)
            .verify_slice(tag)
            .is_ok()
    }
}

/// Where an artifact's tag is kept.
pub fn tag_path(artifact: &Path) -> PathBuf {
    let mut name = artifact.as_os_str().to_owned();
    name.push(".mac");
    PathBuf::from(name)
}

/// A temporary name beside `path`, unique per call: several loaders (threads
/// of one process as well as processes) may write the same file at once,
/// each then renaming or linking its own copy into place.
pub(crate) fn unique_tmp(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp{}-{n}", std::process::id()));
    PathBuf::from(name)
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the artifacts directory {}", dir.display()))
}

/// Writes a new random key to a temporary file and links it into place, so
/// concurrent first starts agree on one key and never read half of one.
fn create_key(path: &Path) -> anyhow::Result<()> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    let tmp = unique_tmp(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(&key)?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(file = %path.display(), "created the precompiled-artifact key");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating the artifact key {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_private_and_tags_bind_everything() {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = dir.path().join("precompiled");
        let key = ArtifactKey::open(&artifacts).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&artifacts), 0o700);
            assert_eq!(mode(&artifacts.join(KEY_FILE)), 0o600);
        }
        let tag = key.sign("abc", 7, b"native code");
        assert!(key.verify("abc", 7, b"native code", &tag));
        assert!(!key.verify("abc", 7, b"native codE", &tag), "bytes");
        assert!(
            !key.verify("abd", 7, b"native code", &tag),
            "another plugin"
        );
        assert!(
            !key.verify("abc", 8, b"native code", &tag),
            "another engine"
        );
        let again = ArtifactKey::open(&artifacts).unwrap();
        assert!(again.verify("abc", 7, b"native code", &tag), "the same key");
        let other = ArtifactKey::open(&dir.path().join("elsewhere")).unwrap();
        assert!(
            !other.verify("abc", 7, b"native code", &tag),
            "another installation"
        );
    }
}
