//! Builds the guest and the test plugins for `wasm32-wasip2`, so that a plain
//! `cargo test` at the workspace root tests the real `.wasm` files.
//!
//! The nested cargo uses its own target directory (`<target>/wasm`): it
//! never contends for the outer build's lock, and stays incremental.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (package, file stem of its component, name of its path constant)
const PLUGINS: &[(&str, &str, &str)] = &[
    ("tharstern-connector", "tharstern_connector", "THARSTERN"),
    ("printiq-connector", "printiq_connector", "PRINTIQ"),
    ("rogue-plugin", "rogue_plugin", "ROGUE"),
    ("minimal-connector", "minimal_connector", "MINIMAL"),
    ("minimal-next", "minimal_next", "MINIMAL_NEXT"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf();
    for watched in ["guest", "tests/plugins", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
    let target = out_dir
        .ancestors()
        .nth(4)
        .expect("target directory")
        .to_path_buf();
    let wasm_target = target.join("wasm");

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
    for (package, _, _) in PLUGINS {
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

    let wasm_dir = wasm_target.join("wasm32-wasip2").join("wasm");
    let mut consts = String::new();
    for (package, stem, name) in PLUGINS {
        let path = wasm_dir.join(format!("{stem}.wasm"));
        assert!(
            path.exists(),
            "{package} did not produce {}",
            path.display()
        );
        consts += &format!(
            "/// The `{package}` component.\npub const {name}: &str = {:?};\n",
            path.display().to_string()
        );
    }
    consts += &format!(
        "/// A directory shared by all test binaries for precompiled plugins.\npub const PRECOMPILED_DIR: &str = {:?};\n",
        target.join("precompiled").display().to_string()
    );
    write_if_changed(&out_dir.join("paths.rs"), &consts);
}

fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap();
    }
}
