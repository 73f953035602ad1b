//! The demo's mixed storefront `demo-mixed`: prices from printIQ, stock and
//! orders through Tharstern, one storefront product named to each back
//! office its own way (a mapping block per plugin). The simulators'
//! catalogues differ, so `promo-pack` is a stock item in Tharstern
//! (`STK-FOLDER`) and a printed product in printIQ (`FLY-A5`).

use connect_host::service::Service;
use connect_host::service::domain::mappings::PluginMapping;

use super::{printiq, tharstern};

pub const STOREFRONT: &str = "demo-mixed";

pub async fn configure(
    svc: &Service,
    sim: &tharstern_sim::SimHandle,
    piq: &printiq_sim::SimHandle,
) -> anyhow::Result<()> {
    super::storefront(
        svc,
        STOREFRONT,
        "Demo: prices from printIQ, stock and orders through Tharstern",
        [printiq::PLUGIN, tharstern::PLUGIN, tharstern::PLUGIN],
    )
    .await?;
    svc.write_settings(STOREFRONT, tharstern::PLUGIN, tharstern::settings(sim))
        .await?;
    svc.write_settings(STOREFRONT, printiq::PLUGIN, printiq::settings(piq))
        .await?;
    let mut promo = super::mapping("promo-pack", "STK-FOLDER", Some(10));
    promo.plugins.insert(
        printiq::PLUGIN.into(),
        PluginMapping {
            product_ref: "code:FLY-A5".into(),
            overrides: Default::default(),
            advanced_json: None,
        },
    );
    svc.put_mapping(STOREFRONT, promo).await?;
    for plugin in [tharstern::PLUGIN, printiq::PLUGIN] {
        super::check_and_refresh(svc, STOREFRONT, plugin).await?;
    }
    Ok(())
}
