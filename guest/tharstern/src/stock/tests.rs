//! Stock levels.

use crate::test_support::*;
use crate::*;

#[test]
fn stock_reads_free_stock_and_caches_it() {
    let fake = mis();
    with_stock(&fake, json!("250"));
    let c = connector(&fake);
    let req = StockRequest {
        product_ref: "ENV-C5".into(),
        minimum_order: Some(300),
        customer: CustomerContext::default(),
    };
    let s = c.stock(&req).unwrap();
    assert_eq!(
        (s.free, s.meets_minimum, s.cached),
        (250, Some(false), false)
    );
    let s = c
        .stock(&StockRequest {
            product_ref: "ENV-C5".into(),
            minimum_order: Some(250),
            customer: CustomerContext::default(),
        })
        .unwrap();
    assert_eq!((s.free, s.meets_minimum, s.cached), (250, Some(true), true));
    assert_eq!(fake.count(Method::Get, "stockitems"), 1);
    // After stock_cache_seconds the level is read again, the product look-up is still cached.
    fake.advance(61);
    assert!(!c.stock(&req).unwrap().cached);
    assert_eq!(fake.count(Method::Get, "stockitems"), 2);
    assert_eq!(fake.count(Method::Get, "products"), 1);
}

#[test]
fn stock_options() {
    let fake = mis();
    with_stock(&fake, json!(-5));
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[
            ("stock_cache_seconds", "0"),
            ("minimum_order_stock_check", "false"),
        ]),
    );
    let req = StockRequest {
        product_ref: "code:ENV-C5".into(),
        minimum_order: Some(1),
        customer: CustomerContext::default(),
    };
    let s = c.stock(&req).unwrap();
    assert_eq!((s.free, s.meets_minimum), (-5, None));
    c.stock(&req).unwrap();
    assert_eq!(
        fake.count(Method::Get, "stockitems"),
        2,
        "stock_cache_seconds = 0 never caches"
    );

    let fake = mis();
    fake.on_ok(Method::Get, "products", list(json!([])));
    let e = connector(&fake).stock(&req).unwrap_err();
    assert!(matches!(e, PluginError::NotFound(_)), "{e:?}");
    let e = connector(&fake)
        .stock(&StockRequest {
            product_ref: "type:3".into(),
            minimum_order: None,
            customer: CustomerContext::default(),
        })
        .unwrap_err();
    assert!(matches!(e, PluginError::Rejected(_)), "{e:?}");
}

/// Where products are the stock items: the product row carries `FreeStock`
/// and no `StockItemID`, and there is no `stockitems` endpoint.
#[test]
fn stock_on_the_product_row_is_read_live() {
    let fake = mis();
    let free = Rc::new(Cell::new(40));
    let f = free.clone();
    fake.on(
        Method::Get,
        "products?customerCode=SHOP&productCode=",
        move |_| {
            Ok(ok(list(
                json!([{"ID": 12, "Code": "MUG", "ProductTypes_ID": 2, "FreeStock": f.get()}]),
            )))
        },
    );
    let c = connector(&fake);
    let req = StockRequest {
        product_ref: "MUG".into(),
        minimum_order: Some(50),
        customer: CustomerContext::default(),
    };
    let s = c.stock(&req).unwrap();
    assert_eq!(
        (s.free, s.meets_minimum, s.cached),
        (40, Some(false), false)
    );
    assert_eq!(
        fake.count(Method::Get, "products"),
        1,
        "one look-up, not two"
    );
    assert!(c.stock(&req).unwrap().cached);
    // Past stock_cache_seconds the row is read again, not taken from the
    // product look-up's cache (kept for the refresh interval).
    free.set(75);
    fake.advance(61);
    let s = c.stock(&req).unwrap();
    assert_eq!((s.free, s.meets_minimum, s.cached), (75, Some(true), false));
    assert_eq!(fake.count(Method::Get, "products"), 2);
    assert_eq!(fake.count(Method::Get, "stockitems"), 0);

    // A product with neither a stock item nor a figure is made to order.
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP&productCode=",
        list(json!([{"ID": 3, "Code": "FLY", "ProductTypes_ID": 2}])),
    );
    let e = c
        .stock(&StockRequest {
            product_ref: "FLY".into(),
            minimum_order: None,
            customer: CustomerContext::default(),
        })
        .unwrap_err();
    let PluginError::NotFound(m) = &e else {
        panic!("{e:?}")
    };
    assert!(m.contains("no stock item"), "{m}");
}
