//! The host side of the contract's own imports (`cache`, `log`, `types`).
//! They have not changed since 0.1.0, but each version's bindings generate
//! their own traits: `host_imports!()` inside a version module implements
//! them for [`HostState`](crate::sandbox::HostState) and links them.
//!
//! The `cache` functions are async on the host (each version's `bindgen!`
//! says `imports: { "connect:plugin/cache": async }`): a Redis round trip
//! suspends the guest's fiber rather than blocking an executor thread. To
//! the guest they are the same blocking calls as before.

macro_rules! host_imports {
    () => {
        /// Links this version's imports (cache, log, types).
        pub(crate) fn add_to_linker(
            linker: &mut wasmtime::component::Linker<crate::sandbox::HostState>,
        ) -> wasmtime::Result<()> {
            use crate::sandbox::HostState;
            use wasmtime::component::HasSelf;
            connect::plugin::cache::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
            connect::plugin::log::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
            connect::plugin::types::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)
        }

        impl connect::plugin::cache::Host for crate::sandbox::HostState {
            async fn get(&mut self, key: String) -> Option<Vec<u8>> {
                self.cache().get(&key).await
            }
            async fn set(&mut self, key: String, value: Vec<u8>, ttl_seconds: u32) {
                self.cache().set(&key, &value, ttl_seconds).await
            }
            async fn add(&mut self, key: String, value: Vec<u8>, ttl_seconds: u32) -> bool {
                self.cache().add(&key, &value, ttl_seconds).await
            }
            async fn delete(&mut self, key: String) {
                self.cache().delete(&key).await
            }
        }

        impl connect::plugin::log::Host for crate::sandbox::HostState {
            fn log(&mut self, level: connect::plugin::log::Level, message: String) {
                use crate::capabilities::log::Level;
                use connect::plugin::log::Level as L;
                let level = match level {
                    L::Trace => Level::Trace,
                    L::Debug => Level::Debug,
                    L::Info => Level::Info,
                    L::Warn => Level::Warn,
                    L::Error => Level::Error,
                };
                self.logger().log(level, &message)
            }
        }

        impl connect::plugin::types::Host for crate::sandbox::HostState {}
    };
}

pub(crate) use host_imports;
