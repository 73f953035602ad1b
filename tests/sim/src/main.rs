//! The `tharstern-sim` binary: the simulator as a standalone server.

use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;
use tharstern_sim::{
    DEMO_API_EMAIL, DEMO_API_PASSWORD, FaultConfig, FaultSpec, ProductShape, Simulator,
};
use tracing_subscriber::EnvFilter;

/// A simulator of the Tharstern print MIS REST API (under /TharsternAPI/api/),
/// with demo data, webhooks and fault injection. Inspect and control it at
/// /_sim/ (see the README). Log level: RUST_LOG (default info).
#[derive(Debug, Parser)]
#[command(name = "tharstern-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "THARSTERN_SIM_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,

    /// Generate this many extra products (GEN-000001...), visible to WEBSHOP.
    #[arg(long, default_value_t = 0)]
    products: usize,

    /// Generate this many extra customers (CUST00001...).
    #[arg(long, default_value_t = 0)]
    customers: usize,

    /// Seed for every random decision (faults, tokens, generated data).
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Lifetime of API tokens, in seconds.
    #[arg(long, default_value_t = 1200)]
    token_lifetime_secs: u64,

    /// Advance every open job one status step every N seconds.
    #[arg(long)]
    auto_advance_secs: Option<u64>,

    /// Wait before the first webhook retry, in ms (doubled for each retry).
    #[arg(long, default_value_t = 1000)]
    webhook_backoff_ms: u64,

    /// Work type answered "Please call for price" (repeatable; default Bespoke and Stock).
    #[arg(long = "unpriced-work-type")]
    unpriced_work_types: Vec<String>,

    /// Honest duplicate counting: a repeated UniqueSubmitOrderID makes a new
    /// order instead of answering the existing one, so every duplicate
    /// submission shows in the order list.
    #[arg(long)]
    record_duplicate_orders: bool,

    /// Extra API user as EMAIL:PASSWORD (repeatable; the demo user stays).
    #[arg(long = "api-user")]
    api_users: Vec<String>,

    /// Most items answered in one page of any list, whatever pageSize asks
    /// (a server that caps page size, e.g. 100 while clients ask 500).
    #[arg(long, value_name = "N", default_value_t = tharstern_sim::config::DEFAULT_MAX_PAGE_SIZE as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_page_size: u64,

    /// The other installation shape: products are the stock items (product
    /// rows carry FreeStock and no StockItemID, orders name the product ID
    /// as StockItemID, GET stockitems answers 404).
    #[arg(long)]
    products_are_stock_items: bool,

    /// Fault, all endpoints: added latency in ms.
    #[arg(long)]
    latency_ms: Option<u64>,

    /// Fault, all endpoints: share (0..1) of HTTP 500 answers.
    #[arg(long)]
    server_error_rate: Option<f64>,

    /// Fault, all endpoints: share of calls held open for --hang-secs.
    #[arg(long)]
    hang_rate: Option<f64>,

    /// Fault, all endpoints: share of answers with broken JSON.
    #[arg(long)]
    malformed_json_rate: Option<f64>,

    /// Fault, all endpoints: share of answers whose JSON is cut in half.
    #[arg(long)]
    truncated_json_rate: Option<f64>,

    /// Fault, all endpoints: share of HTTP 429 answers (with Retry-After).
    #[arg(long)]
    rate_limit_rate: Option<f64>,

    /// Fault, estrequest: share of "Success: false" answers although the estimate was created.
    #[arg(long)]
    success_false_rate: Option<f64>,

    /// Per-endpoint fault as ENDPOINT:KEY=VALUE[,KEY=VALUE...], e.g.
    /// "estrequest:hang-rate=0.1,latency-ms=200" (repeatable). Keys:
    /// latency-ms, server-error-rate, hang-rate, malformed-json-rate,
    /// truncated-json-rate, rate-limit-rate, success-false-rate.
    #[arg(long = "fault", value_name = "SPEC")]
    endpoint_faults: Vec<String>,

    /// How long a hanging call is held open, in seconds.
    #[arg(long, default_value_t = 3600)]
    hang_secs: u64,

    /// Retry-After of a 429 answer, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
}

impl Args {
    fn faults(&self) -> Result<FaultConfig, String> {
        let global = FaultSpec {
            latency_ms: self.latency_ms,
            server_error_rate: self.server_error_rate,
            hang_rate: self.hang_rate,
            malformed_json_rate: self.malformed_json_rate,
            truncated_json_rate: self.truncated_json_rate,
            rate_limit_rate: self.rate_limit_rate,
            success_false_rate: self.success_false_rate,
        };
        let mut config = FaultConfig {
            global,
            hang_secs: Some(self.hang_secs),
            retry_after_secs: Some(self.retry_after_secs),
            ..FaultConfig::default()
        };
        for spec in &self.endpoint_faults {
            let (endpoint, settings) = spec
                .split_once(':')
                .ok_or_else(|| format!("--fault '{spec}': expected ENDPOINT:KEY=VALUE"))?;
            let entry = config
                .endpoints
                .entry(endpoint.trim().to_string())
                .or_default();
            for setting in settings.split(',').filter(|s| !s.trim().is_empty()) {
                let (key, value) = setting
                    .split_once('=')
                    .ok_or_else(|| format!("--fault '{spec}': '{setting}' is not KEY=VALUE"))?;
                entry
                    .set(key, value)
                    .map_err(|e| format!("--fault '{spec}': {e}"))?;
            }
        }
        config.validated().map_err(|p| p.join("; "))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let faults = match args.faults() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("tharstern-sim: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut builder = Simulator::builder()
        .demo_data()
        .listen(args.listen)
        .seed(args.seed)
        .products(args.products)
        .customers(args.customers)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .webhook_backoff(Duration::from_millis(args.webhook_backoff_ms))
        .max_page_size(usize::try_from(args.max_page_size).unwrap_or(usize::MAX))
        .faults(faults);
    if args.products_are_stock_items {
        builder = builder.product_shape(ProductShape::ProductsAreStockItems);
    }
    if let Some(secs) = args.auto_advance_secs {
        builder = builder.auto_advance(Duration::from_secs(secs.max(1)));
    }
    if args.record_duplicate_orders {
        builder = builder.record_duplicate_orders();
    }
    if !args.unpriced_work_types.is_empty() {
        builder = builder.unpriced_work_types(args.unpriced_work_types.clone());
    }
    for user in &args.api_users {
        match user.split_once(':') {
            Some((email, password)) => builder = builder.api_user(email, password),
            None => {
                eprintln!("tharstern-sim: --api-user '{user}': expected EMAIL:PASSWORD");
                return std::process::ExitCode::from(2);
            }
        }
    }

    let started = std::time::Instant::now();
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("tharstern-sim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        products = sim.state().catalog().products.len(),
        customers = sim.state().customers().len(),
        ms = started.elapsed().as_millis() as u64,
        "data loaded"
    );
    // On stdout, one line, so scripts can read the address (e.g. with --listen 127.0.0.1:0).
    println!("tharstern-sim listening on {}", sim.base_url());
    tracing::info!(
        "API user {DEMO_API_EMAIL} / {DEMO_API_PASSWORD}; admin at {}",
        sim.admin_url("")
    );

    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
    drop(sim);
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::process::ExitCode::SUCCESS
}
