//! `connect-host demo`: the Tharstern simulator (in-process, with its demo
//! data) and the service with a demo storefront configured through the
//! same operations the API uses: the Tharstern plugin handles price, stock
//! and orders; a department with its own customer code; product mappings;
//! webhooks from the simulator to the service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::Args;
use connect_host::service::storefronts::{
    ConnectSettings, Customer, Department, Mapping, NewStorefront,
};
use connect_host::service::{Config, Service, ServiceError};

const STOREFRONT: &str = "demo";
const PLUGIN: &str = "tharstern";
const WEBHOOK_SECRET: &str = "demo-webhook-secret";

#[derive(Args, Debug)]
#[command(after_help = "\
Starts the Tharstern simulator with its demo data, configures the storefront
`demo` (Tharstern handles price, stock and orders; department `acme-marketing`
orders under customer code ACME-MKT; everyone else under WEBSHOP), subscribes
the service to the simulator's webhooks, and serves. Jobs in the simulator
advance one status step every --advance-secs, so orders reach Despatched with
a tracking number by themselves.

Prints the admin URL with the login token and a curl line that gets a price.
Re-running it reuses the data directory.")]
pub struct DemoArgs {
    /// Address of the service.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the simulator.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub sim_listen: SocketAddr,
    /// Data directory of the demo service.
    #[arg(long, default_value = "data-demo")]
    pub data_dir: PathBuf,
    /// Seconds between the simulator's job status steps (0: never).
    #[arg(long, default_value_t = 20)]
    pub advance_secs: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let mut builder = tharstern_sim::Simulator::builder()
        .demo_data()
        .listen(args.sim_listen);
    if args.advance_secs > 0 {
        builder = builder.auto_advance(Duration::from_secs(args.advance_secs));
    }
    let sim = builder
        .start()
        .await
        .with_context(|| format!("starting the simulator on {}", args.sim_listen))?;

    let mut config = Config::load(None)?;
    config.server.listen = args.listen;
    config.storage.data_dir = args.data_dir.clone();
    // The demo always runs the Tharstern plugin built with this binary.
    let plugins = config.plugins_dir();
    std::fs::create_dir_all(&plugins)?;
    std::fs::copy(connect_artifacts::THARSTERN, plugins.join("tharstern.wasm"))
        .with_context(|| format!("copying the Tharstern plugin into {}", plugins.display()))?;
    let listener = connect_host::server::bind(config.server.listen).await?;
    let svc = Service::open(config).await?;
    configure(&svc, &sim.base_url()).await?;

    let public = svc.config.public_url();
    subscribe_webhooks(&sim, &format!("{public}/webhooks/{STOREFRONT}/{PLUGIN}")).await?;
    let token = match &svc.config.auth.token {
        t if t.is_empty() => std::fs::read_to_string(svc.config.admin_token_path())?
            .trim()
            .to_string(),
        t => t.clone(),
    };
    println!(
        "\nconnect demo is running (Ctrl-C to stop).\n\n\
         Admin pages:  {public}/admin\n\
         Login token:  {token}\n\
         Simulator:    {sim_url} (user {user} / {password})\n\n\
         Get a price (500 business cards, for a user of department acme-marketing):\n\n  \
         curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \
         -d '{{\"product\":\"business-cards\",\"quantity\":500,\"customer\":\"alice\"}}' \
         {public}/api/v1/storefronts/{STOREFRONT}/price\n\n\
         Place an order (then watch it on the Orders page):\n\n  \
         curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \
         -d '{{\"id\":\"demo-1001\",\"customer\":\"alice\",\"lines\":[{{\"product\":\"pens\",\"quantity\":250}}]}}' \
         {public}/api/v1/storefronts/{STOREFRONT}/orders\n",
        sim_url = sim.base_url(),
        user = tharstern_sim::DEMO_API_EMAIL,
        password = tharstern_sim::DEMO_API_PASSWORD,
    );
    connect_host::server::serve(svc, listener, connect_host::server::shutdown_signal()).await?;
    drop(sim);
    Ok(ExitCode::SUCCESS)
}

/// Tolerates what a previous run already created.
fn existing_ok<T>(r: Result<T, ServiceError>) -> anyhow::Result<()> {
    match r {
        Ok(_) | Err(ServiceError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn configure(svc: &Service, api_url: &str) -> anyhow::Result<()> {
    if svc.runtime.plugin(PLUGIN).is_err() {
        bail!(
            "the Tharstern plugin is not loaded: put tharstern.wasm into {}",
            svc.config.plugins_dir().display()
        );
    }
    existing_ok(svc.create_storefront(NewStorefront {
        id: STOREFRONT.into(),
        name: Some("Demo print shop".into()),
    }))?;
    svc.set_connect(
        STOREFRONT,
        ConnectSettings {
            enabled_plugins: vec![PLUGIN.into()],
            price_plugin: Some(PLUGIN.into()),
            stock_plugin: Some(PLUGIN.into()),
            order_plugin: Some(PLUGIN.into()),
            refresh_minutes: 1440,
            // The demo's simulator listens on 127.0.0.1.
            allow_private_networks: true,
        },
    )?;
    let settings = [
        ("api_url", api_url),
        ("email", tharstern_sim::DEMO_API_EMAIL),
        ("password", tharstern_sim::DEMO_API_PASSWORD),
        ("application_id", "CONNECT-DEMO"),
        ("customer_code", tharstern_sim::WEBSHOP),
        ("webhook_secret", WEBHOOK_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v.to_string())))
    .collect();
    svc.write_settings(STOREFRONT, PLUGIN, settings).await?;
    svc.put_department(
        STOREFRONT,
        Department {
            id: "acme-marketing".into(),
            name: "Acme Ltd - Marketing".into(),
            customer_code: Some("ACME-MKT".into()),
        },
    )?;
    for (id, email, dept) in [
        ("alice", "alice@acme.example", Some("acme-marketing")),
        ("bob", "bob@example.com", None),
    ] {
        svc.put_customer(
            STOREFRONT,
            Customer {
                id: id.into(),
                email: Some(email.into()),
                name: None,
                department: dept.map(Into::into),
            },
        )?;
    }
    for (product, product_ref, min) in [
        ("business-cards", "BC-STD", None),
        ("flyers-a5", "FLY-A5", None),
        ("pens", "STK-PEN", Some(100)),
    ] {
        svc.put_mapping(
            STOREFRONT,
            Mapping {
                product: product.into(),
                product_ref: product_ref.into(),
                overrides: Default::default(),
                advanced_json: None,
                min_order_qty: min,
            },
        )?;
    }
    let check = svc.check_connection(STOREFRONT, PLUGIN).await?;
    if !check.ok {
        bail!(
            "Check Connection against the simulator failed: {}",
            check.summary
        );
    }
    // The catalogue fills the plugin's cache; a failure is shown, not fatal.
    if let Err(e) = svc.refresh_catalogue(STOREFRONT, PLUGIN).await {
        eprintln!("warning: catalogue refresh failed: {e}");
    }
    Ok(())
}

/// Subscribes `url` to the simulator's job status webhooks (once).
async fn subscribe_webhooks(sim: &tharstern_sim::SimHandle, url: &str) -> anyhow::Result<()> {
    if sim.state().subscriptions().iter().any(|s| s.url == url) {
        return Ok(());
    }
    let token = base64::engine::general_purpose::STANDARD.encode(sim.issue_token());
    let resp = reqwest::Client::new()
        .post(sim.url("webhooks/subscriptions"))
        .header("Authorization", format!("Basic {token}"))
        .json(&serde_json::json!({ "Url": url, "Secret": WEBHOOK_SECRET }))
        .send()
        .await
        .context("subscribing to the simulator's webhooks")?;
    if !resp.status().is_success() {
        bail!("subscribing to the simulator's webhooks: {}", resp.status());
    }
    Ok(())
}
