//! Builds the guest and the test plugins for `wasm32-wasip2`, so that a plain
//! `cargo test` at the workspace root tests the real `.wasm` files. The
//! nested cargo is shared with `connect-bundled` (the connectors embedded in
//! connect-host): each connector is compiled once for both.

#[path = "../../host/bundled/wasm_build.rs"]
mod wasm_build;

/// (package, name of its constant)
const PLUGINS: &[(&str, &str)] = &[
    ("tharstern-connector", "THARSTERN"),
    ("printiq-connector", "PRINTIQ"),
    ("rogue-plugin", "ROGUE"),
    ("minimal-connector", "MINIMAL"),
    ("minimal-next", "MINIMAL_NEXT"),
];

fn main() {
    println!("cargo:rerun-if-changed=../../host/bundled/wasm_build.rs");
    let packages: Vec<&str> = PLUGINS.iter().map(|(package, _)| *package).collect();
    let dir = wasm_build::build(&packages);
    let mut consts = String::new();
    for (package, name) in PLUGINS {
        let path = wasm_build::component(&dir, package);
        consts += &format!(
            "/// The `{package}` component.\npub const {name}: &str = {:?};\n",
            path.display().to_string()
        );
    }
    consts += &format!(
        "/// A directory shared by all test binaries for precompiled plugins.\npub const PRECOMPILED_DIR: &str = {:?};\n",
        wasm_build::target_dir()
            .join("precompiled")
            .display()
            .to_string()
    );
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    wasm_build::write_if_changed(&out_dir.join("paths.rs"), consts.as_bytes());
}
