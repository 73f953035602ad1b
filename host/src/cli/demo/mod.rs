//! `connect-host demo`: both simulators in-process and the service with two
//! storefronts, one on each back office (`tharstern.rs`, `printiq.rs`),
//! configured through the same operations the API uses; prints what to try.

mod mixed;
mod printiq;
mod tharstern;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use connect_host::service::domain::mappings::Mapping;
use connect_host::service::domain::storefronts::{ConnectSettings, NewStorefront};
use connect_host::service::{Config, Service, ServiceError};

#[derive(Args, Debug)]
#[command(after_help = "\
Starts the Tharstern and printIQ simulators with their demo data and
configures two storefronts:
  demo          Tharstern handles price, stock and orders; department
                `acme-marketing` orders under customer code ACME-MKT, everyone
                else under WEBSHOP; the service subscribes to the simulator's
                webhooks.
  demo-printiq  printIQ handles price, stock and orders (customer WEBSHOP);
                the simulator posts each event to the service's webhook URL.
  demo-mixed    prices from printIQ, stock and orders through Tharstern; the
                product `promo-pack` is named to each back office its own way.
Jobs in both simulators advance one status step every --advance-secs, so
orders reach Despatched with a tracking number by themselves.

Prints the admin URL with the login token and curl lines that get a price
and place an order on each storefront. Re-running it reuses the data
directory.")]
pub struct DemoArgs {
    /// Address of the service.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the Tharstern simulator.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub sim_listen: SocketAddr,
    /// Address of the printIQ simulator.
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub printiq_sim_listen: SocketAddr,
    /// Data directory of the demo service.
    #[arg(long, default_value = "data-demo")]
    pub data_dir: PathBuf,
    /// Seconds between the simulators' job status steps (0: never).
    #[arg(long, default_value_t = 20)]
    pub advance_secs: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let advance = (args.advance_secs > 0).then(|| Duration::from_secs(args.advance_secs));
    let mut builder = tharstern_sim::Simulator::builder()
        .demo_data()
        .listen(args.sim_listen);
    if let Some(every) = advance {
        builder = builder.auto_advance(every);
    }
    let sim = builder
        .start()
        .await
        .with_context(|| format!("starting the Tharstern simulator on {}", args.sim_listen))?;
    let mut builder = printiq_sim::Simulator::builder()
        .demo_data()
        .listen(args.printiq_sim_listen);
    if let Some(every) = advance {
        builder = builder.auto_advance(every);
    }
    let piq = builder.start().await.with_context(|| {
        format!(
            "starting the printIQ simulator on {}",
            args.printiq_sim_listen
        )
    })?;

    let mut config = Config::load(None)?;
    config.server.listen = args.listen;
    config.storage.data_dir = args.data_dir.clone();
    // The demo always runs the plugins built with this binary.
    let plugins = config.plugins_dir();
    std::fs::create_dir_all(&plugins)?;
    for bundled in [connect_bundled::THARSTERN, connect_bundled::PRINTIQ] {
        let file = plugins.join(bundled.file_name);
        std::fs::write(&file, bundled.bytes)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    let listener = connect_host::service::http::server::bind(config.server.listen).await?;
    let svc = Service::open(config).await?;
    tharstern::configure(&svc, &sim).await?;
    printiq::configure(&svc, &piq).await?;
    mixed::configure(&svc, &sim, &piq).await?;

    let public = svc.config.public_url();
    // Each back office gets the webhook URL holding its storefront's secret.
    let webhooks = async |sf: &str, plugin: &str| -> anyhow::Result<String> {
        Ok(svc.rotate_webhook_secret(sf, plugin).await?.secret_url)
    };
    tharstern::subscribe_webhooks(
        &sim,
        &webhooks(tharstern::STOREFRONT, tharstern::PLUGIN).await?,
    )
    .await?;
    piq.set_webhook_url(&webhooks(printiq::STOREFRONT, printiq::PLUGIN).await?);
    // The service keeps only the token's hash; the demo reads the token it
    // was configured with, or the one the service generated on first start.
    let token = match &svc.config.auth.token {
        t if t.is_empty() => std::fs::read_to_string(svc.config.admin_token_path())?
            .trim()
            .to_string(),
        t => t.clone(),
    };
    let curl = |sf: &str, what: &str, body: &str| {
        format!(
            "  curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \
             -d '{body}' {public}/api/v1/storefronts/{sf}/{what}"
        )
    };
    println!(
        "\nconnect demo is running (Ctrl-C to stop).\n\n\
         Admin pages:  {public}/admin\n\
         Login token:  {token}\n\
         Simulators:   Tharstern {sim_url} (user {user} / {password}), printIQ {piq_url}\n\n\
         Storefront `demo` (Tharstern). Get a price (500 business cards, for a user of \
         department acme-marketing):\n\n{}\n\n\
         Place an order (then watch it on the Orders page):\n\n{}\n\n\
         Storefront `demo-printiq` (printIQ). Get a price (250 business cards):\n\n{}\n\n\
         Place an order:\n\n{}\n\n\
         Storefront `demo-mixed` (price from printIQ, stock from Tharstern):\n\n{}\n\n{}\n",
        curl(
            tharstern::STOREFRONT,
            "price",
            r#"{"product":"business-cards","quantity":500,"customer":"alice"}"#
        ),
        curl(
            tharstern::STOREFRONT,
            "orders",
            r#"{"id":"demo-1001","customer":"alice","lines":[{"product":"pens","quantity":250}]}"#
        ),
        curl(
            printiq::STOREFRONT,
            "price",
            r#"{"product":"business-cards","quantity":250}"#
        ),
        curl(
            printiq::STOREFRONT,
            "orders",
            r#"{"id":"piq-1001","lines":[{"product":"business-cards","quantity":250}]}"#
        ),
        curl(
            mixed::STOREFRONT,
            "price",
            r#"{"product":"promo-pack","quantity":250}"#
        ),
        curl(mixed::STOREFRONT, "stock", r#"{"product":"promo-pack"}"#),
        sim_url = sim.base_url(),
        user = tharstern_sim::DEMO_API_EMAIL,
        password = tharstern_sim::DEMO_API_PASSWORD,
        piq_url = piq.base_url(),
    );
    connect_host::service::http::server::serve(
        svc,
        listener,
        connect_host::service::http::server::shutdown_signal(),
    )
    .await?;
    drop((sim, piq));
    Ok(ExitCode::SUCCESS)
}

/// Tolerates what a previous run already created.
fn existing_ok<T>(r: Result<T, ServiceError>) -> anyhow::Result<()> {
    match r {
        Ok(_) | Err(ServiceError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Creates storefront `id` (or keeps it) with the plugins that handle its
/// price, stock and orders; the demo's simulators listen on 127.0.0.1, so
/// private networks are allowed.
async fn storefront(
    svc: &Service,
    id: &str,
    name: &str,
    [price, stock, order]: [&str; 3],
) -> anyhow::Result<()> {
    for plugin in [price, stock, order] {
        if svc.runtime.plugin(plugin).is_err() {
            anyhow::bail!(
                "the {plugin} plugin is not loaded: put {plugin}.wasm into {}",
                svc.config.plugins_dir().display()
            );
        }
    }
    existing_ok(
        svc.create_storefront(NewStorefront {
            id: id.into(),
            name: Some(name.into()),
        })
        .await,
    )?;
    let mut enabled: Vec<String> = vec![price.into(), stock.into(), order.into()];
    enabled.dedup();
    svc.set_connect(
        id,
        ConnectSettings {
            enabled_plugins: enabled,
            price_plugin: Some(price.into()),
            stock_plugin: Some(stock.into()),
            order_plugin: Some(order.into()),
            refresh_minutes: 1440,
            allow_private_networks: true,
        },
    )
    .await?;
    Ok(())
}

/// A mapping with only the default block.
fn mapping(product: &str, product_ref: &str, min_order_qty: Option<u32>) -> Mapping {
    Mapping {
        product: product.into(),
        product_ref: product_ref.into(),
        overrides: Default::default(),
        advanced_json: None,
        min_order_qty,
        plugins: Default::default(),
    }
}

/// Check Connection must pass; the catalogue refresh fills the plugin's
/// cache, and its failure is shown, not fatal.
async fn check_and_refresh(svc: &Service, sf: &str, plugin: &str) -> anyhow::Result<()> {
    let check = svc.check_connection(sf, plugin).await?;
    if !check.ok {
        anyhow::bail!(
            "Check Connection of {plugin} against its simulator failed: {}",
            check.summary
        );
    }
    if let Err(e) = svc.refresh_catalogue(sf, plugin).await {
        eprintln!("warning: {plugin} catalogue refresh failed: {e}");
    }
    Ok(())
}
