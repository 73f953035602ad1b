//! Prices: estimates, the quote cache, never a duplicate estimate.

use super::*;
use crate::test_support::*;
use crate::*;

#[test]
fn price_builds_the_estimate_request_and_answers_minor_units() {
    let fake = mis();
    with_estimates(&fake);
    let q = connector(&fake).price(&price_request(250)).unwrap();
    assert_eq!(
        q.total,
        Money {
            minor_units: 12345,
            currency: "GBP".into()
        }
    );
    assert_eq!(q.quote_ref.as_deref(), Some("101"));
    assert_eq!(q.customer_code, "SHOP");
    assert!(!q.cached);
    let body = &fake.bodies("estrequest")[0];
    assert_eq!(body["Quantity"], json!(250));
    assert_eq!(body["Customer"], json!({"Code": "SHOP", "Contact": null}));
    assert_eq!(body["DeliveryCustomer"]["Code"], json!("SHOP"));
    assert_eq!(body["Parts"][0]["Pages"], json!(16));
    assert_eq!(body["FinishedSize"]["Code"], json!("A4"));
    assert!(body["Title"].as_str().unwrap().starts_with("connect:"));
}

#[test]
fn repeat_price_within_refresh_interval_makes_no_http_call() {
    let fake = mis();
    with_estimates(&fake);
    let c = connector(&fake);
    let first = c.price(&price_request(250)).unwrap();
    let calls = fake.total_calls();
    let second = c.price(&price_request(250)).unwrap();
    assert_eq!(fake.total_calls(), calls, "a repeat must make no HTTP call");
    assert!(second.cached);
    assert_eq!(second.total, first.total);
    assert_eq!(second.quote_ref, first.quote_ref);

    // A request that builds the same estimate request reuses the estimate.
    let mut same = price_request(250);
    same.product.product_ref = "type:3".into();
    let reused = c.price(&same).unwrap();
    assert_eq!(
        (reused.cached, reused.quote_ref),
        (true, first.quote_ref.clone())
    );
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);

    // Something that changes the price is a new quote (the example is cached).
    c.price(&price_request(500)).unwrap();
    assert_eq!(fake.count(Method::Post, "estrequest"), 2);
    assert_eq!(fake.count(Method::Get, "EstRequest/3/Example"), 1);

    // After the refresh interval, quotes and the example are fetched again.
    fake.advance(1440 * 60 + 1);
    let third = c.price(&price_request(250)).unwrap();
    assert!(!third.cached);
    assert_eq!(fake.count(Method::Post, "estrequest"), 3);
    assert_eq!(fake.count(Method::Get, "EstRequest/3/Example"), 2);
}

#[test]
fn quote_cache_key_covers_everything_that_determines_the_price() {
    let fake = mis();
    let c = connector(&fake);
    let base = price_request(10);
    let key = |r: &PriceRequest, code: &str| c.quote_cache_key(r, code);
    let k0 = key(&base, "SHOP");
    assert_eq!(k0, key(&base.clone(), "SHOP"));
    assert_ne!(k0, key(&base, "OTHER"));
    let mut r = base.clone();
    r.quantity = 11;
    assert_ne!(k0, key(&r, "SHOP"));
    let mut r = base.clone();
    r.product.product_ref = "4".into();
    assert_ne!(k0, key(&r, "SHOP"));
    let mut r = base.clone();
    r.product.overrides[0].1 = "24".into();
    assert_ne!(k0, key(&r, "SHOP"));
    let mut r = base.clone();
    r.attributes.push(("Ref1".into(), "x".into()));
    assert_ne!(k0, key(&r, "SHOP"));
    let mut r = base.clone();
    r.product.advanced_json = Some("{}".into());
    assert_ne!(k0, key(&r, "SHOP"));
    // An override moved to the attributes is a different request.
    let mut r = base.clone();
    let o = r.product.overrides.remove(0);
    r.attributes.insert(0, o);
    assert_ne!(k0, key(&r, "SHOP"));
    // Other settings (currency) give other keys.
    let c2 = Tharstern::new(fake.host(), settings_with(&[("currency", "EUR")]));
    assert_ne!(k0, c2.quote_cache_key(&base, "SHOP"));
}

#[test]
fn success_false_quirk_looks_up_by_title_and_never_posts_twice() {
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    let titles = Rc::new(RefCell::new(Vec::<String>::new()));
    let t = titles.clone();
    fake.on(Method::Post, "estrequest", move |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        t.borrow_mut()
            .push(body["Title"].as_str().unwrap().to_string());
        Ok(envelope(
            200,
            false,
            "Object reference not set to an instance of an object.",
            json!({"Estimate": null}),
        ))
    });
    let t = titles.clone();
    fake.on(Method::Get, "estimates", move |req| {
        let title = t.borrow()[0].clone();
        assert!(
            req.url.contains(&crate::sdk::http::encode(&title)),
            "{}",
            req.url
        );
        Ok(ok(list(json!([
            {"ID": 55, "Title": format!("{title} (copy)"), "TotalPrice": 1.00},
            {"ID": 77, "Title": title, "TotalPrice": "99.90"}
        ]))))
    });
    let q = connector(&fake).price(&price_request(100)).unwrap();
    assert_eq!(q.quote_ref.as_deref(), Some("77"));
    assert_eq!(q.total.minor_units, 9990);
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);
    assert_eq!(fake.count(Method::Get, "estimates"), 1);
}

#[test]
fn success_false_without_estimate_retries_post_once_after_lookup_finds_nothing() {
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    let n = Rc::new(Cell::new(0));
    let m = n.clone();
    fake.on(Method::Post, "estrequest", move |_| {
        m.set(m.get() + 1);
        if m.get() == 1 {
            Ok(envelope(
                200,
                false,
                "Transaction deadlocked",
                json!({"Estimate": null}),
            ))
        } else {
            Ok(ok(json!({"Estimate": {"ID": 9, "TotalPrice": 10}})))
        }
    });
    fake.on_ok(Method::Get, "estimates", list(json!([])));
    let q = connector(&fake).price(&price_request(100)).unwrap();
    assert_eq!(q.total.minor_units, 1000);
    assert_eq!(fake.count(Method::Post, "estrequest"), 2);
    assert_eq!(fake.count(Method::Get, "estimates"), 1);
    let bodies = fake.bodies("estrequest");
    assert_eq!(bodies[0]["Title"], bodies[1]["Title"]);
}

#[test]
fn lost_estimate_answer_is_recovered_by_title() {
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    let title = Rc::new(RefCell::new(String::new()));
    let t = title.clone();
    fake.on(Method::Post, "estrequest", move |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        *t.borrow_mut() = body["Title"].as_str().unwrap().to_string();
        Err(HttpError::ResponseTimeout)
    });
    let t = title.clone();
    fake.on(Method::Get, "estimates", move |_| {
        Ok(ok(list(
            json!([{"ID": 12, "Title": t.borrow().clone(), "TotalPrice": 5.5}]),
        )))
    });
    let q = connector(&fake).price(&price_request(100)).unwrap();
    assert_eq!(
        (q.quote_ref.as_deref(), q.total.minor_units),
        (Some("12"), 550)
    );
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);

    // Both attempts lost and nothing found: unreachable after two POSTs.
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    fake.on(Method::Post, "estrequest", |_| {
        Ok(envelope(502, false, "bad gateway", Value::Null))
    });
    fake.on_ok(Method::Get, "estimates", list(json!([])));
    let e = connector(&fake).price(&price_request(100)).unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)), "{e:?}");
    assert_eq!(fake.count(Method::Post, "estrequest"), 2);
}

/// An attempt whose answer was lost, and whose estimate could not be looked
/// up, is resumed by the next call under the same title even in the next
/// refresh interval: the estimate it created is found, not made again.
#[test]
fn a_retry_in_the_next_refresh_interval_finds_the_estimate_of_the_lost_attempt() {
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    let created = Rc::new(RefCell::new(Vec::<String>::new()));
    let c = created.clone();
    fake.on(Method::Post, "estrequest", move |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        c.borrow_mut()
            .push(body["Title"].as_str().unwrap().to_string());
        Err(HttpError::ResponseTimeout)
    });
    let lookups_work = Rc::new(Cell::new(false));
    let (c, works) = (created.clone(), lookups_work.clone());
    fake.on(Method::Get, "estimates", move |req| {
        if !works.get() {
            return Ok(envelope(503, false, "unavailable", Value::Null));
        }
        let items: Vec<Value> = c
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, t)| req.url.contains(&crate::sdk::http::encode(t)))
            .map(|(i, t)| json!({"ID": 100 + i, "Title": t, "TotalPrice": 12.5}))
            .collect();
        Ok(ok(list(json!(items))))
    });
    let tharstern = connector(&fake);
    let e = tharstern.price(&price_request(100)).unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)), "{e:?}");
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);

    // Later, in another refresh interval, Tharstern answers again.
    fake.advance(u64::from(tharstern.s.refresh_secs()) * 3 + 1);
    lookups_work.set(true);
    let q = tharstern.price(&price_request(100)).unwrap();
    assert_eq!(
        (q.quote_ref.as_deref(), q.total.minor_units),
        (Some("100"), 1250)
    );
    assert_eq!(
        fake.count(Method::Post, "estrequest"),
        1,
        "{:?}",
        created.borrow()
    );

    // Settled: once the quote expires, the next interval's price is a new
    // estimate under a new title.
    fake.advance(u64::from(tharstern.s.refresh_secs()) + 1);
    let _ = tharstern.price(&price_request(100));
    let titles = created.borrow();
    assert!(titles.len() > 1, "{titles:?}");
    assert_ne!(titles[0], titles[1]);
}

#[test]
fn please_call_for_price_is_no_price_without_lookup_or_retry() {
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    fake.on(Method::Post, "estrequest", |_| {
        Ok(envelope(
            200,
            false,
            "Please call for price",
            json!({"Estimate": null}),
        ))
    });
    let e = connector(&fake).price(&price_request(100)).unwrap_err();
    assert!(
        matches!(&e, PluginError::NoPrice(m) if m.contains("Please call for price")),
        "{e:?}"
    );
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);
    assert_eq!(fake.count(Method::Get, "estimates"), 0);

    // An estimate without a total (unpriced work type) is no-price too.
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    fake.on_ok(
        Method::Post,
        "estrequest",
        json!({"Estimate": {"ID": 4, "TotalPrice": null}}),
    );
    let e = connector(&fake).price(&price_request(100)).unwrap_err();
    assert!(matches!(e, PluginError::NoPrice(_)), "{e:?}");
}

#[test]
fn validation_problems_are_rejected_with_the_problems_listed() {
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    fake.on(Method::Post, "estrequest", |_| {
        Ok(envelope(
            400,
            false,
            "The request is invalid.",
            json!({"Result": {"Problems": ["Unknown paper code 'X'.", "Part 1 has no pages."]}}),
        ))
    });
    let e = connector(&fake).price(&price_request(100)).unwrap_err();
    let PluginError::Rejected(m) = &e else {
        panic!("{e:?}")
    };
    assert!(
        m.contains("Unknown paper code 'X'.") && m.contains("Part 1 has no pages."),
        "{m}"
    );
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);

    // ModelState style.
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    fake.on(Method::Post, "estrequest", |_| {
        Ok(raw(400, "application/json", r#"{"Message":"invalid","ModelState":{"request.Quantity":["Quantity must be at least 1."]}}"#))
    });
    let e = connector(&fake).price(&price_request(100)).unwrap_err();
    assert!(
        matches!(&e, PluginError::Rejected(m) if m.contains("request.Quantity: Quantity must be at least 1.")),
        "{e:?}"
    );
}

#[test]
fn price_errors_before_any_call() {
    let fake = mis();
    let c = connector(&fake);
    assert!(matches!(
        c.price(&price_request(0)),
        Err(PluginError::Rejected(_))
    ));
    let mut r = price_request(1);
    r.product.product_ref = " ".into();
    assert!(matches!(c.price(&r), Err(PluginError::Rejected(_))));
    assert_eq!(fake.total_calls(), 0);
}

#[test]
fn unknown_product_type_is_not_found() {
    let fake = mis();
    fake.on(Method::Get, "EstRequest/", |_| {
        Ok(envelope(
            404,
            false,
            "Product type 99 does not exist.",
            Value::Null,
        ))
    });
    let mut r = price_request(1);
    r.product.product_ref = "99".into();
    let e = connector(&fake).price(&r).unwrap_err();
    assert!(
        matches!(&e, PluginError::NotFound(m) if m.contains("99")),
        "{e:?}"
    );
}

#[test]
fn product_code_ref_prices_its_product_type() {
    let fake = mis();
    with_estimates(&fake);
    fake.on_ok(
        Method::Get,
        "products",
        list(json!([{"ID": 5, "Code": "BC-STD", "ProductTypes_ID": "3"}])),
    );
    let mut r = price_request(1);
    r.product.product_ref = "BC-STD".into();
    connector(&fake).price(&r).unwrap();
    assert_eq!(fake.count(Method::Get, "EstRequest/3/Example"), 1);
}

#[test]
fn product_refs() {
    assert_eq!(parse_product_ref("12"), Ok(ProductRef::TypeId(12)));
    assert_eq!(parse_product_ref(" type:7 "), Ok(ProductRef::TypeId(7)));
    assert_eq!(
        parse_product_ref("BC-STD"),
        Ok(ProductRef::Code("BC-STD".into()))
    );
    assert_eq!(
        parse_product_ref("code:123"),
        Ok(ProductRef::Code("123".into()))
    );
    assert!(parse_product_ref("").is_err());
    assert!(parse_product_ref("type:x").is_err());
    assert!(parse_product_ref("code:").is_err());
}

#[test]
fn no_price_messages() {
    assert!(is_no_price_message("Please call for price"));
    assert!(is_no_price_message("NO PRICE available for work type"));
    assert!(!is_no_price_message("Object reference not set"));
}

#[test]
fn a_waiter_never_posts_an_estimate_beside_a_slow_lease_holder() {
    let fake = mis();
    with_estimates(&fake);
    let c = connector(&fake);
    let first = c.price(&price_request(250)).unwrap();
    let title = fake.bodies("estrequest")[0]["Title"]
        .as_str()
        .unwrap()
        .to_string();

    // Another instance holds the lease for this estimate and has not
    // answered: the cached quotes are gone, the lease is taken.
    let keys = fake.cache_keys();
    let est_key = keys.iter().find(|k| k.starts_with("estimate:")).unwrap();
    for k in &keys {
        fake.cache_delete(k);
    }
    assert!(fake.cache_add(&format!("lease:{est_key}"), b"1", 600));

    // Tharstern does not have it yet: a retryable refusal, no second POST.
    fake.on_ok(Method::Get, "estimates", list(json!([])));
    let err = c.price(&price_request(250)).unwrap_err();
    assert!(
        matches!(&err, PluginError::Unreachable(m) if m.contains("still creating")),
        "{err:?}"
    );
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);

    // Once Tharstern has it, the waiter answers with that estimate.
    fake.on_ok(
        Method::Get,
        "estimates",
        list(json!([{"ID": 101, "Title": title, "Quantity": 250, "TotalPrice": 123.45}])),
    );
    let q = c.price(&price_request(250)).unwrap();
    assert_eq!((q.total, q.quote_ref), (first.total, first.quote_ref));
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);
}
