//! The `printiq-sim` binary: the simulator as a standalone server.

use clap::Parser;
use printiq_sim::{
    DEMO_API_KEY, DEMO_API_NAME, DEMO_APPLICATION_KEY, DEMO_APPLICATION_NAME, DEMO_PASSWORD,
    DEMO_USER_NAME, FaultConfig, FaultSpec, Simulator,
};
use std::net::SocketAddr;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// A simulator of the printIQ print MIS API: QuoteProcess under
/// /api/QuoteProcess/ (login token in ?LoginToken=) and the webhook service
/// under /WebService/WebHook.svc/json/ (PrintIQ-API-Name / PrintIQ-API-Key
/// headers), with demo data, job progress, webhooks and fault injection.
/// Inspect and control it at /_sim/ (see the README). Log level: RUST_LOG
/// (default info).
#[derive(Debug, Parser)]
#[command(name = "printiq-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PRINTIQ_SIM_LISTEN", default_value = "127.0.0.1:8091")]
    listen: SocketAddr,

    /// Seed for every fault decision (same seed, same calls: same faults).
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Sliding lifetime of login tokens, in seconds (each use renews it).
    #[arg(long, default_value_t = 3600)]
    token_lifetime_secs: u64,

    /// Advance every open job one status step every N seconds
    /// (Create Job -> Preflight -> Proof -> In Production -> Dispatched -> Complete).
    #[arg(long)]
    auto_advance_secs: Option<u64>,

    /// Deliver every webhook event to this URL plus ?event={EventName}
    /// (CreateQuote, CreateJob, CompleteJob, CreateConsignment).
    #[arg(long)]
    webhook_url: Option<String>,

    /// Wait before the first webhook retry, in ms (doubled per retry; 3 retries).
    #[arg(long, default_value_t = 1000)]
    webhook_backoff_ms: u64,

    /// Extra QuoteProcess user as USERNAME:PASSWORD (repeatable; the demo user stays).
    #[arg(long = "api-user", value_name = "USER:PASSWORD")]
    api_users: Vec<String>,

    /// Extra application as NAME:KEY for the login (repeatable; the demo one stays).
    #[arg(long = "application", value_name = "NAME:KEY")]
    applications: Vec<String>,

    /// Extra webhook-service credentials as NAME:KEY (repeatable; the demo ones stay).
    #[arg(long = "api-key", value_name = "NAME:KEY")]
    api_keys: Vec<String>,

    /// CurCode of every price.
    #[arg(long, default_value = "GBP")]
    currency: String,

    /// Fault, all endpoints: added latency in ms.
    #[arg(long)]
    latency_ms: Option<u64>,

    /// Fault, all endpoints: share (0..1) of HTTP 500 answers (nothing done).
    #[arg(long)]
    server_error_rate: Option<f64>,

    /// Fault, all endpoints: share of calls held open for --hang-secs (nothing done).
    #[arg(long)]
    hang_rate: Option<f64>,

    /// Fault, all endpoints: share of answers with broken JSON (work done).
    #[arg(long)]
    malformed_json_rate: Option<f64>,

    /// Fault, all endpoints: share of answers cut in half (work done).
    #[arg(long)]
    truncated_json_rate: Option<f64>,

    /// Fault, all endpoints: share of HTTP 200 IsError answers (nothing done).
    #[arg(long)]
    is_error_rate: Option<f64>,

    /// Fault, all endpoints: share of HTTP 200 IsError answers although the work was done.
    #[arg(long)]
    is_error_after_work_rate: Option<f64>,

    /// Fault, QuoteProcess: share of calls whose login token expires first.
    #[arg(long)]
    expired_token_rate: Option<f64>,

    /// Fault, all endpoints: share of calls whose answer is held back for
    /// --hang-secs after the work was done (e.g. the job exists).
    #[arg(long)]
    timeout_after_work_rate: Option<f64>,

    /// Fault: share of delivered webhooks delivered once more.
    #[arg(long)]
    webhook_duplicate_rate: Option<f64>,

    /// Per-endpoint fault as ENDPOINT:KEY=VALUE[,KEY=VALUE...], e.g.
    /// "AcceptQuote:timeout-after-work-rate=1" (repeatable). Keys as the
    /// fault flags above without "--"; endpoints: GetApplicationLogInToken,
    /// GetTreeNodes, GetFilters, GetPrice, CreateQuoteWithDelivery,
    /// AcceptQuote, GetQuoteDetails, GetAcceptanceDetails,
    /// AddExternalConsignment, customerbycode/{code},
    /// inventoryitems/{IICode}, inventorytransactions.
    #[arg(long = "fault", value_name = "SPEC")]
    endpoint_faults: Vec<String>,

    /// How long a hanging or held-back answer waits, in seconds.
    #[arg(long, default_value_t = 3600)]
    hang_secs: u64,
}

fn pair(flag: &str, text: &str) -> Result<(String, String), String> {
    text.split_once(':')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("--{flag} '{text}': expected NAME:SECRET"))
}

impl Args {
    fn faults(&self) -> Result<FaultConfig, String> {
        let global = FaultSpec {
            latency_ms: self.latency_ms,
            server_error_rate: self.server_error_rate,
            hang_rate: self.hang_rate,
            malformed_json_rate: self.malformed_json_rate,
            truncated_json_rate: self.truncated_json_rate,
            is_error_rate: self.is_error_rate,
            is_error_after_work_rate: self.is_error_after_work_rate,
            expired_token_rate: self.expired_token_rate,
            timeout_after_work_rate: self.timeout_after_work_rate,
        };
        let mut config = FaultConfig {
            global,
            hang_secs: Some(self.hang_secs),
            webhook_duplicate_rate: self.webhook_duplicate_rate,
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
    let fail = |e: String| {
        eprintln!("printiq-sim: {e}");
        std::process::ExitCode::from(2)
    };
    let faults = match args.faults() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut builder = Simulator::builder()
        .demo_data()
        .listen(args.listen)
        .seed(args.seed)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .webhook_backoff(Duration::from_millis(args.webhook_backoff_ms))
        .currency(&args.currency)
        .faults(faults);
    if let Some(secs) = args.auto_advance_secs {
        builder = builder.auto_advance(Duration::from_secs(secs.max(1)));
    }
    if let Some(url) = &args.webhook_url {
        builder = builder.webhook_url(url);
    }
    for (flag, list) in [
        ("api-user", &args.api_users),
        ("application", &args.applications),
        ("api-key", &args.api_keys),
    ] {
        for text in list {
            let (a, b) = match pair(flag, text) {
                Ok(p) => p,
                Err(e) => return fail(e),
            };
            builder = match flag {
                "api-user" => builder.api_user(&a, &b),
                "application" => builder.application(&a, &b),
                _ => builder.api_key(&a, &b),
            };
        }
    }
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("printiq-sim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // On stdout, first line, so scripts can read the address (e.g. with --listen 127.0.0.1:0).
    println!("printiq-sim listening on {}", sim.base_url());
    println!(
        "QuoteProcess login: UserName={DEMO_USER_NAME} Password={DEMO_PASSWORD} \
         ApplicationName={DEMO_APPLICATION_NAME} ApplicationKey={DEMO_APPLICATION_KEY}"
    );
    println!(
        "Webhook service headers: PrintIQ-API-Name: {DEMO_API_NAME}, PrintIQ-API-Key: {DEMO_API_KEY}"
    );
    println!("Inspection and control: {}", sim.admin_url(""));

    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
    drop(sim);
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::process::ExitCode::SUCCESS
}
