//! Precompiled plugins are native code, so one is loaded only when its
//! keyed hash verifies: through the real loader and the real `.wasm`, an
//! artifact with one byte flipped, or with its tag gone, or carried to
//! another installation, is recompiled, never deserialized, and the log
//! says why; the directory and its key are private to the service user.
//! (The tag also binds the plugin's digest: `artifact_key`'s unit test.)

mod common;

use std::path::{Path, PathBuf};

use connect_runtime::plugin::CompileSource;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use sha2::{Digest, Sha256};

fn runtime(dir: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        artifacts_dir: Some(dir.to_owned()),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// Loads `wasm` through the runtime's loader: how it was obtained.
fn load(rt: &Runtime, wasm: &[u8]) -> CompileSource {
    let digest = format!("{:x}", Sha256::digest(wasm));
    rt.loader().component(wasm, &digest).expect("a component").1
}

fn artifact_of(dir: &Path, wasm: &[u8]) -> PathBuf {
    let digest = format!("{:x}", Sha256::digest(wasm));
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&digest) && name.ends_with(".cwasm")
        })
        .expect("the artifact was written")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_artifact_is_recompiled_never_loaded() {
    let _ = common::runtime_with(RuntimeConfig::default()).await; // captures the logs
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("precompiled");
    let rogue = std::fs::read(connect_artifacts::ROGUE).unwrap();

    let rt = runtime(&dir);
    assert_eq!(load(&rt, &rogue), CompileSource::Compiled);
    assert_eq!(
        load(&rt, &rogue),
        CompileSource::Precompiled,
        "kept and trusted"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("artifacts.key")), 0o600);
    }

    // One byte flipped in the middle (code), with its tag left as it was:
    // wasmtime itself would load it.
    let artifact = artifact_of(&dir, &rogue);
    let mut bytes = std::fs::read(&artifact).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&artifact, &bytes).unwrap();
    let before = common::logs().matches("failed its authentication").count();
    assert_eq!(
        load(&rt, &rogue),
        CompileSource::Compiled,
        "a flipped byte was loaded"
    );
    assert_eq!(
        common::logs().matches("failed its authentication").count(),
        before + 1
    );
    assert_eq!(
        load(&rt, &rogue),
        CompileSource::Precompiled,
        "rewritten and signed"
    );

    // No tag: not loaded.
    let mut tag = artifact.clone().into_os_string();
    tag.push(".mac");
    std::fs::remove_file(&tag).unwrap();
    assert_eq!(
        load(&rt, &rogue),
        CompileSource::Compiled,
        "an untagged artifact was loaded"
    );

    // Another installation (another key) does not trust these artifacts.
    let other = tempfile::tempdir().unwrap();
    let other_dir = other.path().join("precompiled");
    std::fs::create_dir_all(&other_dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "artifacts.key" {
            std::fs::copy(&path, other_dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    assert_eq!(load(&runtime(&other_dir), &rogue), CompileSource::Compiled);
}
