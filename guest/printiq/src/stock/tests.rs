//! Stock from inventory items.

use crate::test_support::*;

fn item() -> Value {
    json!({"IIKey": 5, "IICode": "ENV C5", "IIDescription": "Envelopes", "Locations": [
        {"ILKey": 1, "ILName": "Main", "OnHand": 120, "Allocated": 20, "Available": 100},
        {"ILKey": 2, "ILName": "Overflow", "OnHand": 50, "Allocated": 0, "Available": 50}]})
}

fn req(r: &str, min: Option<u32>) -> StockRequest {
    StockRequest {
        product_ref: r.into(),
        customer: CustomerContext::default(),
        minimum_order: min,
    }
}

#[test]
fn stock_is_available_summed_over_locations_and_cached() {
    let fake = piq();
    let body = item();
    fake.on(
        Method::Get,
        "/WebService/WebHook.svc/json/inventoryitems/ENV%20C5",
        move |r| {
            assert!(
                r.headers
                    .contains(&("PrintIQ-API-Key".into(), API_KEY.into()))
            );
            Ok(ok(body.clone()))
        },
    );
    let c = connector(&fake);
    let s = c.stock(&req("code:ENV C5", Some(200))).unwrap();
    assert_eq!(
        (s.free, s.meets_minimum, s.cached),
        (150, Some(false), false)
    );
    let s = c.stock(&req("code:ENV C5", Some(150))).unwrap();
    assert_eq!((s.free, s.meets_minimum, s.cached), (150, Some(true), true));
    assert_eq!(fake.count(Method::Get, "/WebService"), 1);
    assert_eq!(
        c.stock(&req("code:ENV C5", None)).unwrap().meets_minimum,
        None
    );
    assert_eq!(fake.total_calls(), 1, "no login for the webhook service");
}

#[test]
fn stock_failures_are_typed() {
    let fake = piq();
    fake.respond(
        Method::Get,
        "/WebService",
        is_error("Inventory item not found"),
    );
    let c = connector(&fake);
    assert!(matches!(
        c.stock(&req("code:NOPE", None)),
        Err(PluginError::NotFound(_))
    ));
    assert!(matches!(
        c.stock(&req("node:3", None)),
        Err(PluginError::Rejected(_))
    ));
    let c = PrintIq::new(fake.host(), settings_with(&[("api_key", "")]));
    assert!(matches!(
        c.stock(&req("code:X", None)),
        Err(PluginError::Configuration(_))
    ));
}
