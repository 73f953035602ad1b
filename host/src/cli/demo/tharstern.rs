//! The demo's Tharstern storefront: the Tharstern simulator (in-process, with
//! its demo data) and storefront `demo`, configured through the same
//! operations the API uses: the Tharstern plugin handles price, stock and
//! orders; a department with its own customer code; product mappings;
//! webhooks from the simulator to the service.

use anyhow::{Context as _, bail};
use base64::Engine as _;
use connect_host::service::Service;
use connect_host::service::domain::plugin_settings::SettingsInput;
use connect_host::service::domain::storefronts::{Customer, Department};

pub const STOREFRONT: &str = "demo";
pub const PLUGIN: &str = "tharstern";
const WEBHOOK_SECRET: &str = "demo-webhook-secret";

/// Storefront `demo` on Tharstern: price, stock and orders; a department
/// with its own customer code; mappings; webhooks from the simulator.
pub async fn configure(svc: &Service, sim: &tharstern_sim::SimHandle) -> anyhow::Result<()> {
    super::storefront(svc, STOREFRONT, "Demo print shop", [PLUGIN; 3]).await?;
    svc.write_settings(STOREFRONT, PLUGIN, settings(sim))
        .await?;
    svc.put_department(
        STOREFRONT,
        Department {
            id: "acme-marketing".into(),
            name: "Acme Ltd - Marketing".into(),
            customer_code: Some("ACME-MKT".into()),
            plugin_codes: Default::default(),
        },
    )
    .await?;
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
        )
        .await?;
    }
    for (product, product_ref, min) in [
        ("business-cards", "BC-STD", None),
        ("flyers-a5", "FLY-A5", None),
        ("pens", "STK-PEN", Some(100)),
    ] {
        svc.put_mapping(STOREFRONT, super::mapping(product, product_ref, min))
            .await?;
    }
    super::check_and_refresh(svc, STOREFRONT, PLUGIN).await
}

/// The Tharstern plugin's settings for the simulator's demo API user.
pub fn settings(sim: &tharstern_sim::SimHandle) -> SettingsInput {
    [
        ("api_url", sim.base_url()),
        ("email", tharstern_sim::DEMO_API_EMAIL.into()),
        ("password", tharstern_sim::DEMO_API_PASSWORD.into()),
        ("application_id", "CONNECT-DEMO".into()),
        ("customer_code", tharstern_sim::WEBSHOP.into()),
        ("webhook_secret", WEBHOOK_SECRET.into()),
    ]
    .into_iter()
    .map(|(k, v): (&str, String)| (k.to_string(), Some(v)))
    .collect()
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
