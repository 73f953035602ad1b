//! Builds the two connectors for `wasm32-wasip2` and copies them into
//! `OUT_DIR`, where `src/lib.rs` embeds them.

#[path = "wasm_build.rs"]
mod wasm_build;

use std::path::PathBuf;

const CONNECTORS: [(&str, &str); 2] = [
    ("tharstern-connector", "tharstern.wasm"),
    ("printiq-connector", "printiq.wasm"),
];

fn main() {
    println!("cargo:rerun-if-changed=wasm_build.rs");
    let dir = wasm_build::build(&CONNECTORS.map(|(package, _)| package));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for (package, file) in CONNECTORS {
        let built = wasm_build::component(&dir, package);
        let bytes = std::fs::read(&built).unwrap();
        wasm_build::write_if_changed(&out_dir.join(file), &bytes);
    }
}
