//! The client against a scripted Tharstern: tokens, re-authentication, retries.

use crate::test_support::*;
use crate::*;

#[test]
fn token_is_cached_and_url_encoded_and_sent_as_basic() {
    let fake = mis();
    with_estimates(&fake);
    let c = connector(&fake);
    c.price(&price_request(10)).unwrap();
    c.price(&price_request(20)).unwrap();
    assert_eq!(
        fake.count(Method::Get, "authentication/GenerateAPIToken"),
        1
    );
    let calls = fake.requests();
    let auth = &calls[0];
    assert!(
        auth.url.contains("password=p%26ss%3Dw%20rd%2B1"),
        "{}",
        auth.url
    );
    assert!(auth.url.contains("email=api%40printer.example"));
    assert!(auth.url.contains("applicationId=shop-1"));
    let post = calls.iter().find(|c| c.method == Method::Post).unwrap();
    let authz = &post
        .headers
        .iter()
        .find(|(k, _)| k == "Authorization")
        .unwrap()
        .1;
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(authz.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "9d6c1f2a-0000-4000-8000-000000000001:"
    );
}

#[test]
fn unauthorised_reauthenticates_once_and_retries_once() {
    let fake = mis();
    let calls = Rc::new(Cell::new(0));
    let n = calls.clone();
    fake.on(Method::Get, "stockitems", move |_| {
        n.set(n.get() + 1);
        if n.get() == 1 {
            Ok(envelope(
                401,
                false,
                "Authorization has been denied for this request.",
                Value::Null,
            ))
        } else {
            Ok(ok(list(json!([{"ID": 7, "FreeStock": 40}]))))
        }
    });
    fake.on_ok(
        Method::Get,
        "products",
        list(json!([{"ID": 1, "Code": "BC", "StockItemID": 7}])),
    );
    let c = connector(&fake);
    let s = c
        .stock(&StockRequest {
            product_ref: "BC".into(),
            minimum_order: None,
            customer: CustomerContext::default(),
        })
        .unwrap();
    assert_eq!(s.free, 40);
    assert_eq!(fake.count(Method::Get, "authentication"), 2);
    assert_eq!(fake.count(Method::Get, "stockitems"), 2);

    // A second 401 after re-authenticating is an authentication error, not a loop.
    let fake = mis();
    fake.on(Method::Get, "products", |_| {
        Ok(envelope(401, false, "denied", Value::Null))
    });
    let c = connector(&fake);
    let e = c
        .stock(&StockRequest {
            product_ref: "BC".into(),
            minimum_order: None,
            customer: CustomerContext::default(),
        })
        .unwrap_err();
    assert!(matches!(e, PluginError::Authentication(_)), "{e:?}");
    assert_eq!(fake.count(Method::Get, "authentication"), 2);
    assert_eq!(fake.count(Method::Get, "products"), 2);
}

#[test]
fn zero_guid_is_an_authentication_error_naming_the_credentials() {
    let fake = mis();
    fake.on_ok(
        Method::Get,
        "authentication/GenerateAPIToken",
        json!({"Token": "00000000-0000-0000-0000-000000000000"}),
    );
    let e = connector(&fake).check_connection().unwrap_err();
    let PluginError::Authentication(m) = &e else {
        panic!("{e:?}")
    };
    assert!(
        m.contains("email") && m.contains("password") && m.contains("application ID"),
        "{m}"
    );
    assert!(!m.contains(PASSWORD));
}

#[test]
fn token_cache_key_follows_credentials_without_containing_them() {
    let fake = mis();
    let a = settings_with(&[]);
    let b = settings_with(&[("password", "other")]);
    let ka = client::Client::new(&fake, &a).token().key().to_string();
    let kb = client::Client::new(&fake, &b).token().key().to_string();
    assert_ne!(ka, kb);
    assert!(!ka.contains(PASSWORD) && !ka.contains("p%26ss"));
    assert_eq!(
        ka,
        client::Client::new(&fake, &settings_with(&[]))
            .token()
            .key()
            .to_string()
    );
}

#[test]
fn broken_json_is_transient_not_a_wrong_url() {
    // A truncated GET answer is retried once.
    let fake = mis();
    with_stock(&fake, json!(5));
    let n = Rc::new(Cell::new(0));
    let m = n.clone();
    fake.on(Method::Get, "stockitems", move |_| {
        m.set(m.get() + 1);
        if m.get() == 1 {
            Ok(raw(
                200,
                "application/json",
                r#"{"Status":{"Success":true},"Details":{"Items":[{"ID":7,"Fr"#,
            ))
        } else {
            Ok(ok(list(json!([{"ID": 7, "FreeStock": 5}]))))
        }
    });
    let s = connector(&fake)
        .stock(&StockRequest {
            product_ref: "ENV-C5".into(),
            minimum_order: None,
            customer: CustomerContext::default(),
        })
        .unwrap();
    assert_eq!(s.free, 5);
    assert_eq!(n.get(), 2);

    // A truncated estimate answer: the estimate may exist, so it is looked up.
    let fake = mis();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    let title = Rc::new(RefCell::new(String::new()));
    let t = title.clone();
    fake.on(Method::Post, "estrequest", move |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        *t.borrow_mut() = body["Title"].as_str().unwrap().to_string();
        Ok(raw(200, "application/json", r#"{"Status":{"Success":tr"#))
    });
    let t = title.clone();
    fake.on(Method::Get, "estimates", move |_| {
        Ok(ok(list(
            json!([{"ID": 3, "Title": t.borrow().clone(), "TotalPrice": 1}]),
        )))
    });
    assert_eq!(
        connector(&fake)
            .price(&price_request(1))
            .unwrap()
            .quote_ref
            .as_deref(),
        Some("3")
    );
    assert_eq!(fake.count(Method::Post, "estrequest"), 1);
}
