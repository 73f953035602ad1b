//! The category tree as a catalogue.

use crate::test_support::*;

fn with_tree(fake: &Fake) {
    fake.on(Method::Post, &qp("GetTreeNodes"), |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        Ok(ok(match body["TreeNodeID"].as_i64().unwrap() {
            0 => json!({"TreeNodes": [
                {"ID": 1, "Name": "Stationery", "Children": [{"ID": 11, "Name": "Business Cards"}, {"ID": 12, "Name": "Letterheads"}]},
                {"ID": 2, "Name": "Flyers", "Children": []}]}),
            11 => json!({"TreeNodes": []}),
            12 => json!({"TreeNodes": [{"ID": 121, "Name": "A4", "Children": []}]}),
            other => panic!("unexpected node {other}"),
        }))
    });
    fake.on_ok(
        "GetFilters",
        json!({"Filters": [{"Name": "Stock", "Values": [{"Name": "350gsm", "Value": "6933"}]}]}),
    );
}

#[test]
fn the_tree_is_walked_and_its_leaves_are_products() {
    let fake = piq();
    with_tree(&fake);
    let c = connector(&fake);
    let r = c.refresh_catalogue().unwrap();
    assert_eq!((r.product_types, r.products), (5, 3));
    assert_eq!(fake.count(Method::Post, &qp("GetFilters")), 3);
    let page = c.products(0, 10, None).unwrap();
    let names: Vec<&str> = page.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Flyers",
            "Stationery > Business Cards",
            "Stationery > Letterheads > A4"
        ]
    );
    assert_eq!(page.items[1].product_ref, "node:11");
    assert_eq!(page.items[1].kind, "category (filters: Stock)");
    // Paged and searched from the cache.
    let calls = fake.total_calls();
    let p = c.products(1, 1, None).unwrap();
    assert_eq!((p.total, p.items[0].code.as_str()), (3, "11"));
    let s = c.products(0, 10, Some("letter")).unwrap();
    assert_eq!((s.total, s.items[0].product_ref.as_str()), (1, "node:121"));
    assert_eq!(fake.total_calls(), calls);
    let body = &fake.bodies(&qp("GetFilters"))[0];
    assert_eq!(body["CustomerCode"], "WEBSHOP");
}

#[test]
fn products_refresh_a_missing_catalogue() {
    let fake = piq();
    with_tree(&fake);
    let c = connector(&fake);
    assert_eq!(c.products(0, 2, None).unwrap().items.len(), 2);
    fake.respond(
        Method::Post,
        &qp("GetTreeNodes"),
        is_error("Customer not found"),
    );
    fake.advance(2 * 24 * 3600);
    assert!(matches!(
        c.products(0, 2, None),
        Err(PluginError::NotFound(_))
    ));
}
