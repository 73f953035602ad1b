//! Customer resolution and automatic linking.

use crate::test_support::*;
use crate::*;

#[test]
fn customer_resolution_order() {
    let fake = mis();
    with_estimates(&fake);
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("use_external_id_as_customer_code", "true")]),
    );

    // 1. The department's code wins; no customer look-up.
    let mut r = price_request(1);
    r.customer = CustomerContext {
        department_code: Some("DEPT".into()),
        email: Some("a@b.example".into()),
        name: None,
    };
    let q = c.price(&r).unwrap();
    assert_eq!(
        (q.customer_code.as_str(), q.customer_link.is_none()),
        ("DEPT", true)
    );
    assert_eq!(
        fake.bodies("estrequest")[0]["Customer"]["Code"],
        json!("DEPT")
    );
    assert_eq!(fake.count(Method::Get, "customers"), 0);

    // 2. Linking on, email known: found by email (exact match only).
    fake.on_ok(
        Method::Get,
        "customers?email=",
        list(json!([{"ID": 3, "Code": "WRONG", "Email": "other@b.example"}, {"ID": 9, "Code": "CUST9", "Email": "A@B.example"}])),
    );
    let mut r = price_request(2);
    r.customer = CustomerContext {
        department_code: None,
        email: Some("a@b.example".into()),
        name: None,
    };
    let q = c.price(&r).unwrap();
    assert_eq!(q.customer_code, "CUST9");
    assert_eq!(
        q.customer_link,
        Some(CustomerLink {
            email: "a@b.example".into(),
            customer_code: "CUST9".into(),
            created: false
        })
    );
    // The link is cached: no second look-up.
    let mut r2 = r.clone();
    r2.quantity = 3;
    c.price(&r2).unwrap();
    assert_eq!(fake.count(Method::Get, "customers"), 1);

    // 3. Not found: created, once.
    fake.on_ok(Method::Get, "customers?email=", list(json!([])));
    fake.on_ok(
        Method::Post,
        "customers",
        json!({"Customer": {"ID": 42, "Code": "WEB00042", "Email": "new@b.example"}}),
    );
    let mut r = price_request(4);
    r.customer = CustomerContext {
        department_code: None,
        email: Some("new@b.example".into()),
        name: Some("New Co".into()),
    };
    let q = c.price(&r).unwrap();
    assert_eq!(q.customer_code, "WEB00042");
    assert!(q.customer_link.as_ref().unwrap().created);
    assert_eq!(
        fake.bodies("customers")[0],
        json!({"Name": "New Co", "Email": "new@b.example"})
    );

    // 4. Linking off: the storefront code, even with an email.
    let fake = mis();
    with_estimates(&fake);
    let c = connector(&fake);
    let q = c.price(&r).unwrap();
    assert_eq!(
        (q.customer_code.as_str(), q.customer_link.is_none()),
        ("SHOP", true)
    );
    assert_eq!(fake.count(Method::Get, "customers"), 0);
}

#[test]
fn customer_create_with_lost_answer_is_not_repeated() {
    let fake = mis();
    with_estimates(&fake);
    let looks = Rc::new(Cell::new(0));
    let l = looks.clone();
    fake.on(Method::Get, "customers?email=", move |_| {
        l.set(l.get() + 1);
        if l.get() == 1 {
            Ok(ok(list(json!([]))))
        } else {
            Ok(ok(list(
                json!([{"ID": 8, "Code": "WEB00008", "Email": "x@y.example"}]),
            )))
        }
    });
    fake.on(Method::Post, "customers", |_| {
        Err(HttpError::ConnectionClosed)
    });
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("use_external_id_as_customer_code", "true")]),
    );
    let mut r = price_request(1);
    r.customer.email = Some("x@y.example".into());
    let q = c.price(&r).unwrap();
    assert_eq!(q.customer_code, "WEB00008");
    assert_eq!(fake.count(Method::Post, "customers"), 1);
}

/// While another call holds the right to create a user's customer, a second
/// call for the same new email never creates one itself: it takes the
/// customer the first one made, or asks to be retried.
#[test]
fn a_call_racing_the_creation_of_a_users_customer_creates_none() {
    let fake = mis();
    with_estimates(&fake);
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("use_external_id_as_customer_code", "true")]),
    );
    let found = Rc::new(RefCell::new(json!([])));
    let f = found.clone();
    fake.on(Method::Get, "customers?email=", move |_| {
        Ok(ok(list(f.borrow().clone())))
    });
    fake.on_ok(
        Method::Post,
        "customers",
        json!({"Customer": {"ID": 40, "Code": "NEW40"}}),
    );
    let mut r = price_request(5);
    r.customer = CustomerContext {
        department_code: None,
        email: Some("racer@b.example".into()),
        name: None,
    };
    // Another instance of this tenant is creating the customer right now.
    let lease = format!("lease:{}", c.customer_cache_key("racer@b.example"));
    assert!(crate::sdk::platform::Platform::cache_add(
        &fake, &lease, b"1", 10
    ));

    let e = c.price(&r).unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)), "{e:?}");
    assert_eq!(fake.count(Method::Post, "customers"), 0);

    // Once it exists, the racing call links to it.
    *found.borrow_mut() = json!([{"ID": 40, "Code": "NEW40", "Email": "racer@b.example"}]);
    let q = c.price(&r).unwrap();
    assert_eq!(q.customer_code, "NEW40");
    assert_eq!(fake.count(Method::Post, "customers"), 0);
}
