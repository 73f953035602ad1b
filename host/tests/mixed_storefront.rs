//! One storefront, two back offices: prices from printIQ, stock and orders
//! through Tharstern, in the real service over HTTP with both real `.wasm`
//! plugins and both simulators. Each back office must see only its own
//! product references, quote references and customer codes: the mapping and
//! the department code have a block per plugin, and a printIQ quote
//! reference never reaches Tharstern.

mod service_support;

use serde_json::{Value, json};
use service_support::*;

const SHOP: &str = "mixed";
const PIQ: &str = "printiq";
const PIQ_PASSWORD: &str = "Pa55-mixed-printiq";
const PRODUCT: &str = "promo-pack";

async fn printiq_sim() -> printiq_sim::SimHandle {
    printiq_sim::Simulator::builder()
        .demo_data()
        .api_user("mixed-user", PIQ_PASSWORD)
        .application("connect-mixed", "app-key-mixed")
        .start()
        .await
        .expect("starting the printIQ simulator")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_from_printiq_stock_and_orders_through_tharstern() {
    let sim = start_sim().await;
    let piq = printiq_sim().await;
    let service = start_service_with_both_plugins().await;
    let api = Api::new(&service.url);

    api.ok(
        "POST",
        "/api/v1/storefronts",
        Some(json!({"id": SHOP})),
        201,
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SHOP}/connect"),
        Some(json!({
            "enabled_plugins": [PLUGIN, PIQ],
            "price_plugin": PIQ, "stock_plugin": PLUGIN, "order_plugin": PLUGIN,
            "allow_private_networks": true,
        })),
        200,
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SHOP}/plugins/{PLUGIN}/settings"),
        Some(tharstern_settings(&sim)),
        200,
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SHOP}/plugins/{PIQ}/settings"),
        Some(json!({
            "api_url": piq.base_url(),
            "user_name": "mixed-user",
            "password": PIQ_PASSWORD,
            "application_name": "connect-mixed",
            "application_key": "app-key-mixed",
            "customer_code": printiq_sim::WEBSHOP,
            "api_name": printiq_sim::DEMO_API_NAME,
            "api_key": printiq_sim::DEMO_API_KEY,
        })),
        200,
    )
    .await;
    // The department is ACME-MKT in Tharstern, and WEBSHOP in printIQ.
    let dept = api
        .ok(
            "PUT",
            &format!("/api/v1/storefronts/{SHOP}/departments/acme"),
            Some(json!({"customer_code": "ACME-MKT", "plugin_codes": {PIQ: printiq_sim::WEBSHOP}})),
            200,
        )
        .await;
    assert_eq!(dept["plugin_codes"][PIQ], printiq_sim::WEBSHOP, "{dept}");
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SHOP}/customers/alice"),
        Some(json!({"email": "alice@acme.example", "department": "acme"})),
        200,
    )
    .await;
    // One storefront product, named differently in each back office (the
    // simulators' catalogues differ): a stock item in Tharstern (STK-FOLDER,
    // 1,200 free), a priced product in printIQ (FLY-A5).
    let mapping = api
        .ok(
            "PUT",
            &format!("/api/v1/storefronts/{SHOP}/mappings/{PRODUCT}"),
            Some(json!({"product_ref": "STK-FOLDER", "min_order_qty": 10,
                        "plugins": {PIQ: {"product_ref": "code:FLY-A5"}}})),
            200,
        )
        .await;
    let stored = api
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{SHOP}/mappings/{PRODUCT}"),
            None,
            200,
        )
        .await;
    assert_eq!(stored, mapping);

    // The price comes from printIQ, with a quote reference naming it.
    let price = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SHOP}/price"),
            Some(json!({"product": PRODUCT, "quantity": 250, "customer": "alice"})),
            200,
        )
        .await;
    assert_eq!(price["plugin"], PIQ, "{price}");
    let quote_ref = price["quote_ref"]
        .as_str()
        .expect("a quote ref")
        .to_string();
    assert!(quote_ref.starts_with("printiq@"), "{quote_ref}");
    let quotes = piq.quotes();
    assert_eq!(quotes.len(), 1, "{quotes:?}");
    assert_eq!(quotes[0].customer_code, printiq_sim::WEBSHOP);
    assert!(
        quote_ref.ends_with(&format!(":{}", quotes[0].quote_no)),
        "{quote_ref}"
    );

    // Stock from Tharstern.
    let stock = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SHOP}/stock"),
            Some(json!({"product": PRODUCT, "customer": "alice"})),
            200,
        )
        .await;
    assert_eq!(
        (&stock["plugin"], &stock["free"]),
        (&json!(PLUGIN), &json!(1200)),
        "{stock}"
    );

    // The order goes to Tharstern, after a stock check there, without
    // printIQ's quote reference.
    api.ok(
        "POST",
        &format!("/api/v1/storefronts/{SHOP}/orders"),
        Some(json!({"id": "MIX-1", "customer": "alice", "lines": [
            {"product": PRODUCT, "quantity": 250, "quote_ref": quote_ref, "price": price["price"]}]})),
        202,
    )
    .await;
    let order = eventually(30, "the order delivered", || {
        let api = api.clone();
        async move {
            let o = api
                .ok(
                    "GET",
                    &format!("/api/v1/storefronts/{SHOP}/orders/MIX-1"),
                    None,
                    200,
                )
                .await;
            (o["state"] == "delivered").then_some(o)
        }
    })
    .await;
    assert_eq!(order["customer_code"], "ACME-MKT", "{order}");
    let line = &order["order"]["lines"][0];
    assert_eq!(line["product_ref"], "STK-FOLDER", "{order}");
    assert_eq!(line["quote_ref"], Value::Null, "{order}");
    assert_eq!(line["price_source"], "PriceList", "{order}");

    // Each back office saw only its own names.
    let tharstern_orders = sim.state().orders();
    assert_eq!(tharstern_orders.len(), 1);
    let t = &tharstern_orders[0];
    assert_eq!(t.customer_code, "ACME-MKT");
    assert_eq!(t.items.len(), 1);
    assert_eq!(
        (t.items[0].stock_item_id, t.items[0].estimate_id),
        (Some(2), None)
    );
    assert!(
        sim.state().estimates().is_empty(),
        "Tharstern was asked for a price"
    );
    let foreign = [quotes[0].quote_no.as_str(), "FLY-A5"];
    for c in sim.calls() {
        let query = c.query.unwrap_or_default();
        assert!(
            !foreign.iter().any(|f| query.contains(f)),
            "Tharstern saw {query}"
        );
    }
    for c in piq.calls() {
        let query = c.query.unwrap_or_default();
        assert!(
            !query.contains("STK-FOLDER") && !query.contains("ACME-MKT"),
            "printIQ saw {query}"
        );
    }
    let q = &piq.quotes()[0];
    let request = q.request.to_string();
    assert!(
        !request.contains("STK-FOLDER") && !request.contains("ACME-MKT"),
        "{request}"
    );
    assert!(piq.acceptances().is_empty(), "an order reached printIQ");
}
