//! The demo's Tharstern storefront: the Tharstern simulator (in-process, with
//! its demo data) and storefront `demo`, configured through the same
//! operations the API uses: the Tharstern plugin handles price, stock and
//! orders; a department with its own customer code; product mappings;
//! webhooks from the simulator to the service.

use anyhow::{Context as _, bail};
use base64::Engine as _;
use connect_host::service::Service;
use connect_host::service::mappings::Mapping;
use connect_host::service::storefronts::{ConnectSettings, Customer, Department, NewStorefront};

use super::existing_ok;

pub const STOREFRONT: &str = "demo";
pub const PLUGIN: &str = "tharstern";
const WEBHOOK_SECRET: &str = "demo-webhook-secret";

/// Storefront `demo` on Tharstern: price, stock and orders; a department
/// with its own customer code; mappings; webhooks from the simulator.
pub async fn configure(svc: &Service, sim: &tharstern_sim::SimHandle) -> anyhow::Result<()> {
    let api_url = sim.base_url();
    let api_url = api_url.as_str();
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
            plugin_codes: Default::default(),
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
                plugins: Default::default(),
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
pub async fn subscribe_webhooks(sim: &tharstern_sim::SimHandle, url: &str) -> anyhow::Result<()> {
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
