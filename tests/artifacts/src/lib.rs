//! Paths of the plugins built for `wasm32-wasip2` by this crate's build
//! script: the Tharstern connector and the test plugins.

include!(concat!(env!("OUT_DIR"), "/paths.rs"));
