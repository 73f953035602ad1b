//! Host-side bindings of the `connect:plugin@0.1.0` world.
//!
//! One module per WIT version: when a new version is released it gets its
//! own module here, mapped onto the newest types, so plugins built against an
//! older contract keep loading.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "connect-plugin",
    // Exports run as async calls so a wall-clock timeout can cancel them and
    // a long-running guest yields to the executor.
    exports: { default: async },
    // WASI and wasi:http come from wasmtime-wasi(-http); our own imports
    // (cache, log) are cheap synchronous host functions.
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
    },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use connect::plugin::types;
pub use exports::connect::plugin::plugin as exports_plugin;
