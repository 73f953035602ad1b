//! Orders: submission (never twice), validation, status.

use crate::test_support::*;
use crate::*;

#[test]
fn submit_order_sends_the_order_and_answers_the_receipt() {
    let fake = mis();
    with_stock(&fake, json!(1000));
    accepting_orders(&fake);
    let o = order(vec![
        line("ENV-C5", None, PriceSource::PriceList),
        line("3", Some("77"), PriceSource::Quote),
    ]);
    let r = connector(&fake).submit_order(&o).unwrap();
    assert_eq!(r.backend_order_id, "31");
    assert_eq!(r.backend_order_no.as_deref(), Some("SO000031"));
    assert_eq!(r.customer_code, "SHOP");
    let body = &fake.bodies("orders/submit")[0];
    let sent = &body["Orders"][0];
    assert_eq!(sent["UniqueSubmitOrderID"], json!("web-1001"));
    assert_eq!(sent["InvoiceCustomer"], json!({"Code": "SHOP"}));
    assert_eq!(sent["OrderDate"], json!("2026-11-29"));
    assert_eq!(sent["RequiredDate"], json!("2026-12-06"));
    assert_eq!(sent["Ref1"], json!("web-1001"));
    assert_eq!(sent["Ref2"], json!("PO-7"));
    let items = sent["Items"].as_array().unwrap();
    assert_eq!(items[0]["StockItemID"], json!(7));
    assert!(items[0].get("EstimateID").is_none());
    assert!(
        items[0].get("Price").is_none(),
        "With logic: no price for a price-list line"
    );
    assert_eq!(items[1]["EstimateID"], json!(77));
    assert!(items[1].get("StockItemID").is_none());
    assert_eq!(items[1]["Quantity"], json!(500));
    // The price is sent as the exact decimal number.
    let text = String::from_utf8(fake.requests().last().unwrap().body.clone().unwrap()).unwrap();
    assert!(text.contains(r#""Price":123.45"#), "{text}");
}

#[test]
fn send_price_setting() {
    for (setting, expect) in [
        ("Never", [false, false]),
        ("Always", [true, true]),
        ("With logic", [false, true]),
    ] {
        let fake = mis();
        with_stock(&fake, json!(1000));
        accepting_orders(&fake);
        let c = Tharstern::new(fake.host(), settings_with(&[("send_price", setting)]));
        let o = order(vec![
            line("ENV-C5", None, PriceSource::PriceList),
            line("3", Some("77"), PriceSource::Quote),
        ]);
        c.submit_order(&o).unwrap();
        let items = fake.bodies("orders/submit")[0]["Orders"][0]["Items"].clone();
        for (i, want) in expect.iter().enumerate() {
            assert_eq!(items[i].get("Price").is_some(), *want, "{setting} line {i}");
        }
    }
}

/// Where products are the stock items (FreeStock on the product row, no
/// StockItemID), a stock line names the product's own ID.
#[test]
fn a_product_that_is_its_own_stock_item_is_ordered_by_its_id() {
    let fake = mis();
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP&productCode=",
        list(json!([{"ID": 12, "Code": "MUG", "ProductTypes_ID": 2, "FreeStock": 150}])),
    );
    accepting_orders(&fake);
    let c = connector(&fake);
    c.submit_order(&order(vec![line("MUG", None, PriceSource::None)]))
        .unwrap();
    let item = &fake.bodies("orders/submit")[0]["Orders"][0]["Items"][0];
    assert_eq!(item["StockItemID"], json!(12));

    // Neither a stock item nor a figure, and no quote: not orderable.
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP&productCode=",
        list(json!([{"ID": 3, "Code": "FLY", "ProductTypes_ID": 2}])),
    );
    let mut o = order(vec![line("FLY", None, PriceSource::None)]);
    o.order_id = "web-1002".into();
    let e = c.submit_order(&o).unwrap_err();
    assert!(
        matches!(&e, PluginError::Rejected(m) if m.contains("no stock item")),
        "{e:?}"
    );
}

#[test]
fn failed_order_is_rejected_with_status_details() {
    let fake = mis();
    with_stock(&fake, json!(1000));
    fake.on_ok(
        Method::Post,
        "orders/submit",
        json!({"Orders": [{"ID": 0, "OrderNo": null, "UniqueSubmitOrderID": "web-1001",
            "StatusDetails": "Insufficient free stock for stock item 7 (ENV): 3 free, 500 ordered."}]}),
    );
    let e = connector(&fake)
        .submit_order(&order(vec![line("ENV-C5", None, PriceSource::None)]))
        .unwrap_err();
    assert!(
        matches!(&e, PluginError::Rejected(m) if m.contains("Insufficient free stock")),
        "{e:?}"
    );
}

#[test]
fn order_retry_after_lost_answer_never_submits_twice() {
    let fake = mis();
    with_stock(&fake, json!(1000));
    // The order is created, but the answer is lost; the look-up in the same
    // call fails too.
    fake.on(Method::Post, "orders/submit", |_| {
        Err(HttpError::ResponseTimeout)
    });
    fake.on(Method::Get, "orders?uniqueSubmitOrderID=", |_| {
        Err(HttpError::ConnectionRefused)
    });
    let c = connector(&fake);
    let o = order(vec![line("ENV-C5", None, PriceSource::None)]);
    let e = c.submit_order(&o).unwrap_err();
    assert!(
        matches!(&e, PluginError::Unreachable(m) if m.contains("never created twice")),
        "{e:?}"
    );
    assert_eq!(fake.count(Method::Post, "orders/submit"), 1);

    // A retry while the look-up still fails: not submitted again.
    let e = c.submit_order(&o).unwrap_err();
    assert!(
        matches!(&e, PluginError::Unreachable(m) if m.contains("not submitted again")),
        "{e:?}"
    );
    assert_eq!(fake.count(Method::Post, "orders/submit"), 1);

    // The host retries with the same order id: found, not submitted again.
    fake.on_ok(
        Method::Get,
        "orders?uniqueSubmitOrderID=",
        list(json!([{"ID": 31, "OrderNo": "SO000031", "UniqueSubmitOrderID": "web-1001", "Status": "Received"}])),
    );
    let r = c.submit_order(&o).unwrap();
    assert_eq!(r.backend_order_id, "31");
    assert_eq!(fake.count(Method::Post, "orders/submit"), 1);
    // And once known, no call at all.
    let before = fake.total_calls();
    assert_eq!(c.submit_order(&o).unwrap().backend_order_id, "31");
    assert_eq!(fake.total_calls(), before);
}

#[test]
fn order_retry_when_nothing_was_created_resubmits_with_the_same_unique_id() {
    let fake = mis();
    with_stock(&fake, json!(1000));
    let n = Rc::new(Cell::new(0));
    let m = n.clone();
    fake.on(Method::Post, "orders/submit", move |_| {
        m.set(m.get() + 1);
        if m.get() == 1 {
            Ok(envelope(503, false, "unavailable", Value::Null))
        } else {
            Ok(ok(json!({"Orders": [{"ID": 32, "OrderNo": "SO000032", "UniqueSubmitOrderID": "web-1001"}]})))
        }
    });
    fake.on_ok(Method::Get, "orders?uniqueSubmitOrderID=", list(json!([])));
    let c = connector(&fake);
    let o = order(vec![line("ENV-C5", None, PriceSource::None)]);
    assert!(matches!(
        c.submit_order(&o),
        Err(PluginError::Unreachable(_))
    ));
    assert_eq!(c.submit_order(&o).unwrap().backend_order_id, "32");
    let bodies = fake.bodies("orders/submit");
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[0]["Orders"][0]["UniqueSubmitOrderID"],
        bodies[1]["Orders"][0]["UniqueSubmitOrderID"]
    );
}

#[test]
fn order_validation() {
    let fake = mis();
    let c = connector(&fake);
    let mut o = order(vec![]);
    assert!(matches!(c.submit_order(&o), Err(PluginError::Rejected(_))));
    o.lines.push(line("ENV-C5", None, PriceSource::None));
    o.order_date = "29/11/2026".into();
    assert!(matches!(c.submit_order(&o), Err(PluginError::Rejected(_))));
    o.order_date = "2026-11-29".into();
    o.lines[0].quantity = 0;
    assert!(matches!(c.submit_order(&o), Err(PluginError::Rejected(_))));
    o.lines[0].quantity = 1;
    o.lines[0].quote_ref = Some("abc".into());
    assert!(matches!(c.submit_order(&o), Err(PluginError::Rejected(_))));
    o.lines[0].quote_ref = Some("5".into());
    o.lines[0].price_source = PriceSource::Quote;
    o.lines[0].price = Some(Money {
        minor_units: 100,
        currency: "EUR".into(),
    });
    assert!(matches!(c.submit_order(&o), Err(PluginError::Rejected(m)) if m.contains("currency")));
    assert_eq!(fake.total_calls(), 0);
}

#[test]
fn order_status_from_order_and_job() {
    let fake = mis();
    fake.on_ok(
        Method::Get,
        "orders?uniqueSubmitOrderID=web-1001",
        list(json!([{"ID": 31, "OrderNo": "SO000031", "UniqueSubmitOrderID": "web-1001", "Status": "In Production"}])),
    );
    fake.on_ok(
        Method::Get,
        "jobs?orderID=31",
        list(json!([
            {"ID": 1, "JobNo": "J000001", "OrderID": 31, "Status": "Despatched", "TrackingNumber": "TRK9", "UpdatedAt": "2026-11-30T10:00:00Z"},
            {"ID": 2, "JobNo": "J000002", "OrderID": 31, "Status": "Received", "TrackingNumber": null, "UpdatedAt": "2026-11-29T10:00:00Z"}
        ])),
    );
    let u = connector(&fake).order_status("web-1001", None).unwrap();
    assert_eq!(
        u,
        OrderUpdate {
            order_id: Some("web-1001".into()),
            backend_order_id: Some("31".into()),
            job_no: Some("J000001".into()),
            status: Some(OrderStatus::new(OrderStage::Despatched, "Despatched")),
            tracking_number: Some("TRK9".into()),
            at: Some("2026-11-30T10:00:00Z".into()),
        }
    );

    let fake = mis();
    fake.on_ok(Method::Get, "orders", list(json!([])));
    let e = connector(&fake)
        .order_status("web-404", Some("9"))
        .unwrap_err();
    assert!(matches!(e, PluginError::NotFound(_)), "{e:?}");
    assert_eq!(fake.count(Method::Get, "orders?orderIDs=9"), 1);
}

use super::*;

#[test]
fn status_text_maps_onto_stages_keeping_the_text() {
    let stage = |t: &str| crate::status::order_status(t.to_string());
    for (text, want) in [
        ("Despatched", OrderStage::Despatched),
        ("Dispatched to carrier", OrderStage::Despatched),
        ("Shipped", OrderStage::Despatched),
        ("Delivered", OrderStage::Delivered),
        ("Job Complete", OrderStage::Delivered),
        ("Cancelled", OrderStage::Cancelled),
        ("On Hold - credit", OrderStage::OnHold),
        ("In Production", OrderStage::InProduction),
        ("On press", OrderStage::InProduction),
        ("Printing", OrderStage::InProduction),
        ("Awaiting Proof Approval", OrderStage::InProduction),
        ("Artwork received", OrderStage::InProduction),
        ("Order Received", OrderStage::Received),
        ("Finished", OrderStage::InProduction),
        ("New", OrderStage::Received),
    ] {
        let s = stage(text);
        assert_eq!((s.stage, s.text.as_str()), (want, text), "{text}");
    }
}
