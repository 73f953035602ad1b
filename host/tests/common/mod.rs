//! Shared pieces of the end-to-end tests: the simulator, a runtime with the
//! real plugins, tenants configured through the plugin's own `configure`,
//! and a log capture to check that no secret is ever written.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use connect_runtime::contract::*;
use connect_runtime::error::CallError;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::tenant::TenantSpec;
use tharstern_sim::{SimHandle, Simulator, SimulatorBuilder};

/// The API password the tests configure: distinctive, so a leak is found.
pub const PASSWORD: &str = "Pa55-e2e-tharstern-Zq7";
pub const EMAIL: &str = "e2e@example.com";

pub async fn sim() -> SimHandle {
    sim_with(sim_builder()).await
}

/// The simulator the tests use (demo data, the tests' API user), to set
/// start-up options on.
pub fn sim_builder() -> SimulatorBuilder {
    Simulator::builder()
        .record_duplicate_orders()
        .demo_data()
        .api_user(EMAIL, PASSWORD)
}

pub async fn sim_with(builder: SimulatorBuilder) -> SimHandle {
    builder.start().await.expect("starting the simulator")
}

pub async fn runtime() -> Arc<Runtime> {
    runtime_with(RuntimeConfig::default()).await
}

pub async fn runtime_with(config: RuntimeConfig) -> Arc<Runtime> {
    capture_logs();
    let config = RuntimeConfig {
        artifacts_dir: Some(connect_artifacts::PRECOMPILED_DIR.into()),
        ..config
    };
    let runtime = Runtime::new(config).expect("runtime");
    runtime
        .load_plugin(Path::new(connect_artifacts::THARSTERN))
        .await
        .expect("loading the Tharstern plugin");
    Arc::new(runtime)
}

/// Settings for the simulator, overridden by `extra`.
pub fn settings(sim: &SimHandle, extra: &[(&str, &str)]) -> Settings {
    let mut s: Vec<(String, String)> = vec![
        ("api_url".into(), format!("http://{}", sim.addr())),
        ("email".into(), EMAIL.into()),
        ("password".into(), PASSWORD.into()),
        ("application_id".into(), "E2E-STOREFRONT".into()),
        ("customer_code".into(), tharstern_sim::WEBSHOP.into()),
    ];
    for (k, v) in extra {
        s.retain(|(key, _)| key != k);
        s.push(((*k).into(), (*v).into()));
    }
    s
}

/// A tenant whose settings went through the plugin's `configure`.
pub async fn tenant(rt: &Runtime, id: &str, settings: Settings) -> TenantSpec {
    let normalised = rt
        .configure("tharstern", settings)
        .await
        .expect("valid settings");
    // The simulator listens on 127.0.0.1.
    TenantSpec::new(id, normalised).with_private_networks(true)
}

pub fn no_customer() -> CustomerContext {
    CustomerContext {
        department_code: None,
        email: None,
        name: None,
    }
}

pub fn price_request(product_ref: &str, quantity: u32, customer: CustomerContext) -> PriceRequest {
    PriceRequest {
        product: ProductMapping {
            product_ref: product_ref.into(),
            overrides: vec![],
            advanced_json: None,
        },
        quantity,
        customer,
        attributes: vec![],
    }
}

pub async fn price(
    rt: &Runtime,
    t: &TenantSpec,
    req: PriceRequest,
) -> Result<PriceQuote, CallError> {
    rt.price(t, "tharstern", &req).await
}

pub async fn stock(
    rt: &Runtime,
    t: &TenantSpec,
    product_ref: &str,
    minimum: Option<u32>,
) -> Result<StockLevel, CallError> {
    let req = StockRequest {
        product_ref: product_ref.into(),
        customer: no_customer(),
        minimum_order: minimum,
    };
    rt.stock(t, "tharstern", &req).await
}

pub fn order(order_id: &str, customer: CustomerContext, lines: Vec<OrderLine>) -> Order {
    Order {
        order_id: order_id.into(),
        customer,
        order_date: "2026-11-29".into(),
        required_date: Some("2026-12-06".into()),
        reference: Some(format!("web {order_id}")),
        lines,
    }
}

pub fn stock_line(product_ref: &str, quantity: u32) -> OrderLine {
    OrderLine {
        line_ref: format!("{product_ref}-line"),
        product_ref: product_ref.into(),
        quantity,
        quote_ref: None,
        price: None,
        price_source: PriceSource::None,
        description: None,
        attributes: vec![],
    }
}

pub async fn submit(rt: &Runtime, t: &TenantSpec, order: Order) -> Result<OrderReceipt, CallError> {
    rt.submit_order(t, "tharstern", &order).await
}

pub fn plugin_error(err: &CallError) -> &PluginError {
    match err {
        CallError::Plugin { error } => error,
        other => panic!("expected a typed plugin error, got {other:?}"),
    }
}

/// Every log line of this test process, at trace level.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOG.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let buffer = LOG.get_or_init(Default::default).clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("trace,hyper=info,h2=info,tower=info,cranelift=info,wasmtime=info")
            .with_ansi(false)
            .with_writer(move || Capture(buffer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
