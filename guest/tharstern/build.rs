//! Link settings of the WebAssembly component.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Start the component with 2 MiB of linear memory. Rust's default is
    // its 1 MiB stack plus static data, so the very first heap allocation
    // grows memory; in the host's pooling allocator every fresh instance
    // then pays an `mprotect` to grow and another (with a TLB shootdown)
    // when its slot is reused. With room for the heap of an ordinary call
    // (init, a quote), a fresh instance never grows. Untouched pages cost
    // nothing. Measured on the cold-tenant quote: 38 -> 30 us (BENCHMARKS.md).
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--initial-memory=2097152");
    }
}
