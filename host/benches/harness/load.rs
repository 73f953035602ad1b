//! Figure 5: plugin load, compiling the `.wasm` with Cranelift vs loading
//! the precompiled artifact.

use std::time::Instant;

use anyhow::bail;
use connect_runtime::engine::{self, EngineOptions};
use connect_runtime::plugin::{CompileSource, PluginLoader};
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use sha2::{Digest, Sha256};

use super::setup::tokio_rt;
use super::stats::{fmt_duration, summarize};
use super::{Options, Report, Target};

pub fn run(o: &Options, r: &mut Report, _shared: &super::setup::Shared) -> anyhow::Result<()> {
    // A debug build of Cranelift needs tens of seconds for the connector:
    // the smoke run compiles the small test plugin instead.
    let (wasm_path, compiles, loads) = if o.smoke() {
        (connect_artifacts::ROGUE.into(), 1, 3)
    } else {
        (super::setup::plugin_path(), 5, 50)
    };
    let wasm = std::fs::read(&wasm_path)?;
    let digest: String = Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (engine, _) = engine::build(&EngineOptions::default())?;

    let compiler = PluginLoader::new(&engine, None)?;
    let mut compile = Vec::new();
    for _ in 0..compiles {
        let t = Instant::now();
        let (_component, source) = compiler.component(&wasm, &digest)?;
        compile.push(t.elapsed());
        if source != CompileSource::Compiled {
            bail!("expected a compilation");
        }
    }

    let dir = tempfile::tempdir()?;
    let cached = PluginLoader::new(&engine, Some(dir.path().to_owned()))?;
    cached.component(&wasm, &digest)?; // writes the artifact
    let mut deserialize = Vec::new();
    for _ in 0..loads {
        let t = Instant::now();
        let (_component, source) = cached.component(&wasm, &digest)?;
        deserialize.push(t.elapsed());
        if source != CompileSource::Precompiled {
            bail!("expected the precompiled artifact");
        }
    }

    // The whole load of a starting host: read and hash the file, load the
    // artifact, link and pre-instantiate, ask the plugin's `info` (the
    // loader's work; `load_plugin` also registers the id, once per id).
    let full = tokio_rt().block_on(async {
        let rt = Runtime::new(RuntimeConfig {
            artifacts_dir: Some(dir.path().to_owned()),
            ..RuntimeConfig::default()
        })?;
        let mut full = Vec::new();
        for _ in 0..loads {
            let t = Instant::now();
            rt.loader().load(&wasm_path).await?;
            full.push(t.elapsed());
        }
        anyhow::Ok(full)
    })?;

    let file = wasm_path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let kb = wasm.len() / 1024;
    let compile = summarize(compile);
    let deserialize = summarize(deserialize);
    let full = summarize(full);
    r.add(
        5,
        "load.compile",
        &format!("compile {file} ({kb} KiB) with Cranelift: median"),
        compile.median.as_secs_f64(),
        fmt_duration(compile.median),
        Target::None,
        "",
    );
    r.add(
        5,
        "load.precompiled",
        "  load the precompiled artifact (deserialize): median",
        deserialize.median.as_secs_f64(),
        fmt_duration(deserialize.median),
        Target::None,
        "",
    );
    r.add(
        5,
        "load.full",
        "  whole plugin load from the artifact (+hash, link, info): median",
        full.median.as_secs_f64(),
        fmt_duration(full.median),
        Target::AtMost(5e-3),
        "≤ 5 ms",
    );
    r.note(format!(
        "loading the artifact is {:.0}× faster than compiling",
        compile.median.as_secs_f64() / full.median.as_secs_f64()
    ));
    Ok(())
}
