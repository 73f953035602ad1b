//! Paths of the plugins built for `wasm32-wasip2` by this crate's build
//! script: the Tharstern connector and the test plugins (`ROGUE`, frozen on
//! contract 0.1.0; `MINIMAL`, the SDK guide's connector on 0.2.0;
//! `MINIMAL_NEXT`, the same plugin at a later version, for upgrade tests).

include!(concat!(env!("OUT_DIR"), "/paths.rs"));
