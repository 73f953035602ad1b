//! Builds workspace packages for `wasm32-wasip2` with a nested cargo, for
//! the build scripts of `connect-bundled` (the connectors embedded in
//! connect-host) and `connect-artifacts` (the tests' plugins).
//!
//! The nested cargo uses its own target directory (`<target>/wasm`): it
//! never contends for the outer build's lock, and stays incremental. Both
//! build scripts share it, so a connector is compiled once for both.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The outer build's target directory, from a build script's `OUT_DIR`
/// (`<target>/<profile>/build/<crate>-<hash>/out`).
pub fn target_dir() -> PathBuf {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    out_dir
        .ancestors()
        .nth(4)
        .expect("target directory")
        .to_path_buf()
}

/// The workspace root, two levels above the calling crate.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// Builds `packages` (in the `wasm` profile) and answers the directory
/// holding their `<crate_name>.wasm` components. Reruns when the guest
/// sources, the test plugins or the contract change.
pub fn build(packages: &[&str]) -> PathBuf {
    let root = workspace_root();
    for watched in ["guest", "tests/plugins", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let wasm_target = target_dir().join("wasm");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "wasm",
            "--locked",
        ])
        .arg("--target-dir")
        .arg(&wasm_target);
    for package in packages {
        cmd.args(["--package", package]);
    }
    // Flags meant for the host build must not leak into the guest build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("running cargo to build the wasm plugins");
    if !status.success() {
        panic!(
            "building the wasm plugins failed (is the target installed? `rustup target add wasm32-wasip2`)"
        );
    }
    wasm_target.join("wasm32-wasip2").join("wasm")
}

/// The component a package produced, checked to exist.
pub fn component(dir: &Path, package: &str) -> PathBuf {
    let path = dir.join(format!("{}.wasm", package.replace('-', "_")));
    assert!(
        path.exists(),
        "{package} did not produce {}",
        path.display()
    );
    path
}

/// Writes a generated file only when its contents change, so the crates
/// that include it rebuild only then.
pub fn write_if_changed(path: &Path, contents: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap();
    }
}
