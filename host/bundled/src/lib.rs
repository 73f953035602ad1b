//! The connectors that ship inside connect-host, as bytes: a binary copied
//! alone to another machine still seeds its plugins folder and runs the
//! demo. Built by this crate's build script (see `wasm_build.rs`).

/// A connector shipped with connect-host.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    /// The file name it gets in a plugins folder.
    pub file_name: &'static str,
    /// The component.
    pub bytes: &'static [u8],
}

/// The Tharstern connector (`guest/tharstern`).
pub const THARSTERN: Bundled = Bundled {
    file_name: "tharstern.wasm",
    bytes: include_bytes!(concat!(env!("OUT_DIR"), "/tharstern.wasm")),
};

/// The printIQ connector (`guest/printiq`).
pub const PRINTIQ: Bundled = Bundled {
    file_name: "printiq.wasm",
    bytes: include_bytes!(concat!(env!("OUT_DIR"), "/printiq.wasm")),
};

#[cfg(test)]
mod tests {
    #[test]
    fn both_connectors_are_components() {
        // A component's preamble: magic, then version 0x0d and layer 1.
        for b in [super::THARSTERN, super::PRINTIQ] {
            assert_eq!(&b.bytes[..8], b"\0asm\x0d\0\x01\0", "{}", b.file_name);
        }
    }
}
