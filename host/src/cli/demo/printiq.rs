//! The demo's printIQ storefront: the printIQ simulator (in-process, with its
//! demo data; jobs advance on a timer and each event is posted to the
//! service's webhook URL with `?event=`) and storefront `demo-printiq`, on
//! which the printIQ plugin handles price, stock and orders.

use anyhow::bail;
use connect_host::service::Service;
use connect_host::service::mappings::Mapping;
use connect_host::service::storefronts::{ConnectSettings, NewStorefront};

use super::existing_ok;

pub const STOREFRONT: &str = "demo-printiq";
pub const PLUGIN: &str = "printiq";

pub async fn configure(svc: &Service, sim: &printiq_sim::SimHandle) -> anyhow::Result<()> {
    if svc.runtime.plugin(PLUGIN).is_err() {
        bail!(
            "the printIQ plugin is not loaded: put printiq.wasm into {}",
            svc.config.plugins_dir().display()
        );
    }
    existing_ok(svc.create_storefront(NewStorefront {
        id: STOREFRONT.into(),
        name: Some("Demo print shop on printIQ".into()),
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
        ("api_url", sim.base_url()),
        ("user_name", printiq_sim::DEMO_USER_NAME.into()),
        ("password", printiq_sim::DEMO_PASSWORD.into()),
        (
            "application_name",
            printiq_sim::DEMO_APPLICATION_NAME.into(),
        ),
        ("application_key", printiq_sim::DEMO_APPLICATION_KEY.into()),
        ("customer_code", printiq_sim::WEBSHOP.into()),
        ("api_name", printiq_sim::DEMO_API_NAME.into()),
        ("api_key", printiq_sim::DEMO_API_KEY.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect();
    svc.write_settings(STOREFRONT, PLUGIN, settings).await?;
    for (product, product_ref) in [
        ("business-cards", "code:BC-STD"),
        ("flyers-a5", "code:FLY-A5"),
        ("pens", "code:PEN-BLUE"),
    ] {
        svc.put_mapping(
            STOREFRONT,
            Mapping {
                product: product.into(),
                product_ref: product_ref.into(),
                overrides: Default::default(),
                advanced_json: None,
                min_order_qty: None,
                plugins: Default::default(),
            },
        )?;
    }
    let check = svc.check_connection(STOREFRONT, PLUGIN).await?;
    if !check.ok {
        bail!(
            "Check Connection against the printIQ simulator failed: {}",
            check.summary
        );
    }
    if let Err(e) = svc.refresh_catalogue(STOREFRONT, PLUGIN).await {
        eprintln!("warning: printIQ catalogue refresh failed: {e}");
    }
    Ok(())
}
