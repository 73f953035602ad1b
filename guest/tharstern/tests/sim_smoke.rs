//! End-to-end smoke test of the connector logic (native build) against a
//! running simulator. Skipped unless `THARSTERN_SIM_URL` is set, e.g.
//! `THARSTERN_SIM_URL=http://127.0.0.1:8090 cargo test -p tharstern-connector --test sim_smoke`.
#![cfg(not(target_arch = "wasm32"))]

use tharstern_connector::native::NativePlatform;
use tharstern_connector::*;

fn settings(url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut pairs: Vec<(String, String)> = [
        ("api_url", url),
        ("email", "api@example.com"),
        ("password", "secret"),
        ("application_id", "smoke-test"),
        ("customer_code", "WEBSHOP"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        pairs.retain(|(kk, _)| kk != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    settings_for_init(&pairs).unwrap()
}

#[test]
fn against_the_simulator() {
    let Ok(url) = std::env::var("THARSTERN_SIM_URL") else {
        eprintln!("THARSTERN_SIM_URL not set: skipping");
        return;
    };
    let c = Tharstern::new(Box::new(NativePlatform::new()), settings(&url, &[]));
    let report = c.check_connection().unwrap();
    eprintln!("{}", report.summary);
    for ch in &report.checks {
        eprintln!("  {}: {}", ch.name, ch.detail);
    }

    let cat = c.refresh_catalogue().unwrap();
    eprintln!("catalogue: {cat:?}");
    assert!(cat.products > 0);
    let page = c.products(0, 100, None).unwrap();
    for p in &page.items {
        eprintln!("  {} {} [{}]", p.code, p.name, p.kind);
    }

    // Price every product code and report what comes back.
    let mut priced = None;
    for p in &page.items {
        let req = PriceRequest {
            product: ProductMapping {
                product_ref: p.product_ref.clone(),
                ..Default::default()
            },
            quantity: 250,
            ..Default::default()
        };
        match c.price(&req) {
            Ok(q) => {
                eprintln!("  price {}: {:?} ref {:?}", p.code, q.total, q.quote_ref);
                let again = c.price(&req).unwrap();
                assert!(again.cached);
                priced.get_or_insert((p.clone(), q));
            }
            Err(e) => eprintln!("  price {}: {e}", p.code),
        }
    }
    let (product, quote) = priced.expect("at least one product is priced");

    let stock = c
        .stock(&StockRequest {
            product_ref: "STK-PEN".into(),
            minimum_order: Some(10),
            customer: CustomerContext::default(),
        })
        .unwrap();
    eprintln!("stock STK-PEN: {stock:?}");
    assert_eq!(stock.meets_minimum, Some(true));

    let order_id = format!("smoke-{}", std::process::id());
    let order = Order {
        order_id: order_id.clone(),
        customer: CustomerContext::default(),
        order_date: "2026-11-29".into(),
        required_date: Some("2026-12-06".into()),
        reference: Some("PO-1".into()),
        lines: vec![
            OrderLine {
                line_ref: "1".into(),
                product_ref: "STK-PEN".into(),
                quantity: 10,
                quote_ref: None,
                price: None,
                price_source: PriceSource::PriceList,
                description: Some("Pens".into()),
                attributes: vec![],
            },
            OrderLine {
                line_ref: "2".into(),
                product_ref: product.product_ref.clone(),
                quantity: 250,
                quote_ref: quote.quote_ref.clone(),
                price: Some(quote.total.clone()),
                price_source: PriceSource::Quote,
                description: None,
                attributes: vec![],
            },
        ],
    };
    let receipt = c.submit_order(&order).unwrap();
    eprintln!("order: {receipt:?}");
    // A fresh instance (empty cache) submitting the same order id gets the same order.
    let c2 = Tharstern::new(Box::new(NativePlatform::new()), settings(&url, &[]));
    let again = c2.submit_order(&order).unwrap();
    assert_eq!(again.backend_order_id, receipt.backend_order_id);

    let status = c.order_status(&order_id, None).unwrap();
    eprintln!("status: {status:?}");
    assert_eq!(
        status.backend_order_id.as_deref(),
        Some(receipt.backend_order_id.as_str())
    );

    // Automatic customer linking: created once, then found.
    let linking = Tharstern::new(
        Box::new(NativePlatform::new()),
        settings(&url, &[("use_external_id_as_customer_code", "true")]),
    );
    let email = format!("smoke{}@example.org", std::process::id());
    let req = PriceRequest {
        product: ProductMapping {
            product_ref: product.product_ref.clone(),
            ..Default::default()
        },
        quantity: 100,
        customer: CustomerContext {
            email: Some(email.clone()),
            name: Some("Smoke Test Ltd".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let q = linking.price(&req).unwrap();
    eprintln!("linked: {:?}", q.customer_link);
    assert!(q.customer_link.as_ref().unwrap().created);
    let fresh = Tharstern::new(
        Box::new(NativePlatform::new()),
        settings(&url, &[("use_external_id_as_customer_code", "true")]),
    );
    let q2 = fresh.price(&req).unwrap();
    assert!(!q2.customer_link.as_ref().unwrap().created);
    assert_eq!(q2.customer_code, q.customer_code);

    // Distinct diagnoses.
    let bad = Tharstern::new(
        Box::new(NativePlatform::new()),
        settings(&url, &[("password", "wrong")]),
    );
    let e = bad.check_connection().unwrap_err();
    eprintln!("bad password: {e}");
    assert!(matches!(e, PluginError::Authentication(_)));
    let origin = url.trim_end_matches('/').to_string();
    let wrong = Tharstern::new(
        Box::new(NativePlatform::new()),
        settings(&format!("{origin}/other/"), &[]),
    );
    let e = wrong.check_connection().unwrap_err();
    eprintln!("wrong path: {e}");
    let unknown = Tharstern::new(
        Box::new(NativePlatform::new()),
        settings(&url, &[("customer_code", "NOPE")]),
    );
    let e = unknown.check_connection().unwrap_err();
    eprintln!("unknown customer: {e}");
    assert!(matches!(e, PluginError::Configuration(_)));
    let refused = Tharstern::new(
        Box::new(NativePlatform::new()),
        settings("http://127.0.0.1:9", &[]),
    );
    let e = refused.check_connection().unwrap_err();
    eprintln!("refused: {e}");
    assert!(matches!(e, PluginError::Unreachable(_)));
}

/// Many prices, stock reads and orders against a simulator injecting faults
/// (`THARSTERN_SIM_FAULTY_URL`): every failure must be a typed error (no
/// panic, no `internal`), and no estimate or order may be duplicated.
#[test]
fn under_faults() {
    let Ok(url) = std::env::var("THARSTERN_SIM_FAULTY_URL") else {
        eprintln!("THARSTERN_SIM_FAULTY_URL not set: skipping");
        return;
    };
    let c = Tharstern::new(Box::new(NativePlatform::new()), settings(&url, &[]));
    let mut outcomes: std::collections::BTreeMap<String, u32> = Default::default();
    let mut note = |r: Result<(), PluginError>| {
        let k = match r {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                assert!(!matches!(e, PluginError::Internal(_)), "{e}");
                e.kind().to_string()
            }
        };
        *outcomes.entry(k).or_default() += 1;
    };
    let codes = [
        "BC-STD", "FLY-A5", "LEAF-A4", "POS-A2", "BKL-A5", "LH-A4", "SLIP-DL",
    ];
    for round in 0..6u32 {
        for (i, code) in codes.iter().enumerate() {
            let req = PriceRequest {
                product: ProductMapping {
                    product_ref: code.to_string(),
                    ..Default::default()
                },
                quantity: 100 + round * 50 + i as u32,
                ..Default::default()
            };
            note(c.price(&req).map(|_| ()));
            note(
                c.stock(&StockRequest {
                    product_ref: "STK-MUG".into(),
                    minimum_order: Some(1),
                    customer: CustomerContext::default(),
                })
                .map(|_| ()),
            );
        }
        let order = Order {
            order_id: format!("fault-{}-{round}", std::process::id()),
            customer: CustomerContext::default(),
            order_date: "2026-11-29".into(),
            required_date: None,
            reference: None,
            lines: vec![OrderLine {
                line_ref: "1".into(),
                product_ref: "STK-PEN".into(),
                quantity: 1,
                quote_ref: None,
                price: None,
                price_source: PriceSource::None,
                description: None,
                attributes: vec![],
            }],
        };
        // The host retries an unreachable submit with the same order id.
        for _ in 0..5 {
            match c.submit_order(&order) {
                Err(PluginError::Unreachable(_)) => continue,
                r => {
                    note(r.map(|_| ()));
                    break;
                }
            }
        }
    }
    eprintln!("outcomes: {outcomes:?}");
    let get = |path: &str| -> serde_json::Value {
        let resp = c
            .platform()
            .http(HttpRequest {
                method: Method::Get,
                url: format!("{}/_sim/{path}", url.trim_end_matches('/')),
                headers: vec![],
                body: None,
            })
            .unwrap();
        serde_json::from_slice(&resp.body).unwrap()
    };
    let list = |v: serde_json::Value| -> Vec<serde_json::Value> {
        match v {
            serde_json::Value::Array(a) => a,
            other => other["Details"]["Items"]
                .as_array()
                .or_else(|| other["Details"].as_array())
                .or_else(|| other["Items"].as_array())
                .cloned()
                .unwrap_or_default(),
        }
    };
    let estimates = list(get("estimates"));
    let orders = list(get("orders"));
    let mut titles: Vec<String> = estimates
        .iter()
        .map(|e| e["Title"].as_str().unwrap_or_default().to_string())
        .collect();
    let total = titles.len();
    titles.sort();
    titles.dedup();
    eprintln!(
        "{total} estimates, {} titles, {} orders",
        titles.len(),
        orders.len()
    );
    assert!(total > 0);
    assert_eq!(total, titles.len(), "an estimate was duplicated");
    for round in 0..6 {
        let id = format!("fault-{}-{round}", std::process::id());
        let n = orders
            .iter()
            .filter(|o| o["UniqueSubmitOrderID"].as_str() == Some(id.as_str()))
            .count();
        assert!(n <= 1, "order {id} duplicated");
    }
}
