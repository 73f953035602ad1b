//! The demo's printIQ storefront: the printIQ simulator (in-process, with its
//! demo data; jobs advance on a timer and each event is posted to the
//! service's webhook URL with `?event=`) and storefront `demo-printiq`, on
//! which the printIQ plugin handles price, stock and orders.

use connect_host::service::Service;
use connect_host::service::domain::plugin_settings::SettingsInput;

pub const STOREFRONT: &str = "demo-printiq";
pub const PLUGIN: &str = "printiq";

pub async fn configure(svc: &Service, sim: &printiq_sim::SimHandle) -> anyhow::Result<()> {
    super::storefront(svc, STOREFRONT, "Demo print shop on printIQ", [PLUGIN; 3]).await?;
    svc.write_settings(STOREFRONT, PLUGIN, settings(sim))
        .await?;
    for (product, product_ref) in [
        ("business-cards", "code:BC-STD"),
        ("flyers-a5", "code:FLY-A5"),
        ("pens", "code:PEN-BLUE"),
    ] {
        svc.put_mapping(STOREFRONT, super::mapping(product, product_ref, None))
            .await?;
    }
    super::check_and_refresh(svc, STOREFRONT, PLUGIN).await
}

/// The printIQ plugin's settings for the simulator's demo user.
pub fn settings(sim: &printiq_sim::SimHandle) -> SettingsInput {
    [
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
    .collect()
}
