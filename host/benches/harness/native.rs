//! The native baseline: the same connector source (`tharstern-connector`
//! or `printiq-connector`, compiled natively as an rlib) bound to the
//! host's own cache backend, so the only difference from the plugin is the
//! WebAssembly boundary.

use connect_runtime::capabilities::cache::TenantCache;
use connect_runtime::contract as wit;
use printiq_connector::PrintIq;
use tharstern_connector::Tharstern;
use tharstern_connector::sdk::native::NativePlatform;
use tharstern_connector::sdk::{self, HttpError, HttpRequest, HttpResponse, LogLevel, Platform};

/// [`Platform`] over the host's [`TenantCache`] (the very backend and
/// namespace the runtime gives the tenant's plugin), with plain HTTP for
/// cache misses and the host's `tracing` for logs.
pub struct HostCachePlatform {
    pub cache: TenantCache,
    pub net: NativePlatform,
}

impl Platform for HostCachePlatform {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.net.http(req)
    }

    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        now(self.cache.get(key))
    }

    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
        now(self.cache.set(key, value, ttl_secs))
    }

    fn cache_add(&self, key: &str, value: &[u8], ttl_secs: u32) -> bool {
        now(self.cache.add(key, value, ttl_secs))
    }

    fn cache_delete(&self, key: &str) {
        now(self.cache.delete(key))
    }

    fn log(&self, level: LogLevel, msg: &str) {
        match level {
            LogLevel::Trace | LogLevel::Debug => tracing::debug!(target: "plugin", "{msg}"),
            LogLevel::Info => tracing::info!(target: "plugin", "{msg}"),
            LogLevel::Warn => tracing::warn!(target: "plugin", "{msg}"),
            LogLevel::Error => tracing::error!(target: "plugin", "{msg}"),
        }
    }

    fn now_unix_secs(&self) -> u64 {
        sdk::platform::system_now()
    }
}

/// Runs a cache call of an embedded backend, which answers in its first
/// poll (the connector's platform calls are synchronous, as in the guest).
pub fn now<T>(call: impl std::future::Future<Output = T>) -> T {
    let mut call = std::pin::pin!(call);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(answer) = call.as_mut().poll(&mut cx) {
            return answer;
        }
        std::thread::yield_now();
    }
}

fn host(cache: TenantCache) -> sdk::Host {
    Box::new(HostCachePlatform {
        cache,
        net: NativePlatform::new(),
    })
}

/// The Tharstern connector bound to a tenant's (normalised) settings,
/// natively.
pub fn connector(cache: TenantCache, settings: &wit::Settings) -> anyhow::Result<Tharstern> {
    let settings = tharstern_connector::settings_for_init(settings)
        .map_err(|e| anyhow::anyhow!("settings: {e:?}"))?;
    Ok(Tharstern::new(host(cache), settings))
}

/// The printIQ connector likewise.
pub fn printiq(cache: TenantCache, settings: &wit::Settings) -> anyhow::Result<PrintIq> {
    let settings = printiq_connector::settings_for_init(settings)
        .map_err(|e| anyhow::anyhow!("settings: {e:?}"))?;
    Ok(PrintIq::new(host(cache), settings))
}

/// The host's WIT price request as the SDK's (what the component's glue
/// does on the guest side).
pub fn price_request(r: &wit::PriceRequest) -> sdk::PriceRequest {
    sdk::PriceRequest {
        product: sdk::ProductMapping {
            product_ref: r.product.product_ref.clone(),
            overrides: r.product.overrides.clone(),
            advanced_json: r.product.advanced_json.clone(),
        },
        quantity: r.quantity,
        customer: sdk::CustomerContext {
            department_code: r.customer.department_code.clone(),
            email: r.customer.email.clone(),
            name: r.customer.name.clone(),
        },
        attributes: r.attributes.clone(),
    }
}
