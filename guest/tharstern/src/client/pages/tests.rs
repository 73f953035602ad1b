//! Paging whatever page size the server honours: whole lists read to their
//! total, cut lists refused, look-ups found on any page.

use crate::test_support::*;
use crate::*;

/// A query parameter of a request URL.
fn param(url: &str, name: &str) -> Option<usize> {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
}

/// A server answering `items` in pages of at most `cap` (whatever was
/// asked), ignoring every filter; `total`: its `TotalItemCount`, if any.
fn paged(fake: &Fake, pattern: &str, items: Vec<Value>, cap: usize, total: Option<usize>) {
    fake.on(Method::Get, pattern, move |req| {
        let size = param(&req.url, "pageSize").unwrap_or(cap).min(cap);
        let page = param(&req.url, "page").unwrap_or(1);
        let start = ((page - 1) * size).min(items.len());
        let end = (start + size).min(items.len());
        let mut details = json!({"Items": items[start..end]});
        if let Some(t) = total {
            details["TotalItemCount"] = json!(t);
        }
        Ok(ok(details))
    });
}

fn types(fake: &Fake) {
    fake.on_ok(
        Method::Get,
        "producttypes",
        list(json!([{"ID": 1, "Name": "Cards", "Kind": "Finished"}])),
    );
}

fn products(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"ID": i + 1, "Code": format!("P{i:05}"), "Name": format!("Product {i}"), "ProductTypes_ID": 1, "StockItemID": 9000 + i}))
        .collect()
}

fn warnings(fake: &Fake) -> String {
    fake.logs_text()
        .lines()
        .filter(|l| l.to_lowercase().contains("warn"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_server_capping_the_page_size_is_followed_to_the_total() {
    let fake = mis();
    types(&fake);
    // Asked 500 a page, the server answers 100: 1234 products in 13 pages.
    paged(
        &fake,
        "products?customerCode=SHOP&page=",
        products(1234),
        100,
        Some(1234),
    );
    let c = connector(&fake);
    assert_eq!(c.refresh_catalogue().unwrap().products, 1234);
    assert_eq!(
        fake.count(Method::Get, "products"),
        13,
        "no page after the total"
    );
    assert_eq!(c.products(1230, 10, None).unwrap().items.len(), 4);
    assert_eq!(warnings(&fake), "");
}

#[test]
fn without_a_total_pages_are_followed_to_an_empty_one() {
    let fake = mis();
    types(&fake);
    paged(
        &fake,
        "products?customerCode=SHOP&page=",
        products(250),
        100,
        None,
    );
    let c = connector(&fake);
    assert_eq!(c.refresh_catalogue().unwrap().products, 250);
    assert_eq!(
        fake.count(Method::Get, "products"),
        4,
        "100, 100, 50, empty"
    );
}

#[test]
fn fewer_items_than_the_total_fail_the_refresh_and_keep_the_catalogue() {
    let fake = mis();
    types(&fake);
    paged(
        &fake,
        "products?customerCode=SHOP&page=",
        products(700),
        100,
        Some(700),
    );
    let c = connector(&fake);
    assert_eq!(c.refresh_catalogue().unwrap().products, 700);
    let keys = fake.cache_keys().len();

    // Now the server says 1000 but its pages run out at 700.
    paged(
        &fake,
        "products?customerCode=SHOP&page=",
        products(700),
        100,
        Some(1000),
    );
    let e = c.refresh_catalogue().unwrap_err();
    let PluginError::Internal(m) = &e else {
        panic!("{e:?}")
    };
    for part in [
        "not refreshed",
        "said 1000 products",
        "only 700",
        "page 8 came back empty",
    ] {
        assert!(m.contains(part), "{part:?} missing in: {m}");
    }
    // The previous catalogue is still served, and the cut one left nothing behind.
    assert_eq!(c.products(0, 1, None).unwrap().total, 700);
    assert_eq!(fake.cache_keys().len(), keys);

    // The same for product types.
    let fake = mis();
    paged(
        &fake,
        "producttypes",
        vec![json!({"ID": 1, "Kind": "Finished"})],
        1,
        Some(2),
    );
    let e = connector(&fake).refresh_catalogue().unwrap_err();
    assert!(
        e.message()
            .contains("said 2 product types but answered only 1"),
        "{e:?}"
    );
}

#[test]
fn more_items_than_the_total_are_kept_with_a_warning() {
    let fake = mis();
    types(&fake);
    paged(
        &fake,
        "products?customerCode=SHOP&page=",
        products(250),
        100,
        Some(120),
    );
    let c = connector(&fake);
    assert_eq!(c.refresh_catalogue().unwrap().products, 250);
    let w = warnings(&fake);
    assert!(
        w.contains("said 120 products") && w.contains("answered 250"),
        "{w}"
    );
}

#[test]
fn a_server_ignoring_page_is_not_walked_forever() {
    let fake = mis();
    types(&fake);
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP&page=",
        json!({"Items": products(30)}),
    );
    let c = connector(&fake);
    assert_eq!(c.refresh_catalogue().unwrap().products, 30);
    assert_eq!(fake.count(Method::Get, "products"), 2);
    assert!(
        warnings(&fake).contains("ignore `page`"),
        "{}",
        fake.logs_text()
    );

    // With a total it did not reach: a cut list.
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP&page=",
        json!({"Items": products(30), "TotalItemCount": 90}),
    );
    let e = c.refresh_catalogue().unwrap_err();
    assert!(e.message().contains("only 30"), "{e:?}");
}

fn stock_req(code: &str) -> StockRequest {
    StockRequest {
        product_ref: code.into(),
        minimum_order: None,
        customer: CustomerContext::default(),
    }
}

// Every look-up below meets a server answering 3 items a page and ignoring
// the filter, and must find its item on a later page, stopping there.

#[test]
fn products_and_stock_items_are_found_on_any_page() {
    let fake = mis();
    paged(&fake, "products", products(20), 3, Some(20));
    // Listed backwards: stock item 9000 + i is at index 19 - i.
    let stock: Vec<Value> = (0..20)
        .rev()
        .map(|i| json!({"ID": 9000 + i, "FreeStock": i * 10}))
        .collect();
    paged(&fake, "stockitems", stock, 3, Some(20));
    let c = connector(&fake);
    // P00001 on page 1 of products, its stock item on page 7 of stockitems.
    assert_eq!(c.stock(&stock_req("P00001")).unwrap().free, 10);
    assert_eq!(fake.count(Method::Get, "products"), 1);
    assert_eq!(fake.count(Method::Get, "stockitems"), 7);
    // P00007 on page 3, its stock item on page 5.
    assert_eq!(c.stock(&stock_req("P00007")).unwrap().free, 70);
    assert_eq!(fake.count(Method::Get, "products"), 1 + 3);
    assert_eq!(fake.count(Method::Get, "stockitems"), 7 + 5);
    // Not there at all: every page (7), then not-found.
    let e = c.stock(&stock_req("NOPE")).unwrap_err();
    assert!(matches!(e, PluginError::NotFound(_)), "{e:?}");
    assert_eq!(fake.count(Method::Get, "products"), 4 + 7);
}

fn customers(fake: &Fake) {
    let customers: Vec<Value> = (1..=10)
        .map(|i| json!({"ID": i, "Code": format!("C{i}"), "Name": format!("Customer {i}"), "Email": format!("c{}@x.example", i % 5)}))
        .collect();
    paged(fake, "customers", customers, 3, Some(10));
}

#[test]
fn a_customer_code_is_found_on_any_page() {
    let fake = mis();
    customers(&fake);
    let name = connector(&fake).customer_exists("C8").unwrap();
    assert_eq!(name.as_deref(), Some("Customer 8"));
    assert_eq!(fake.count(Method::Get, "customers"), 3);
}

#[test]
fn a_customer_email_is_found_on_any_page() {
    let fake = mis();
    customers(&fake);
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("use_external_id_as_customer_code", "true")]),
    );
    let ctx = CustomerContext {
        department_code: None,
        email: Some("c4@x.example".into()),
        name: None,
    };
    // c4@ is customers 4 (page 2) and 9 (page 3): the oldest, from every page.
    assert_eq!(c.resolve_customer(&ctx).unwrap().code, "C4");
    assert_eq!(fake.count(Method::Post, "customers"), 0, "none created");
}

#[test]
fn the_newest_estimate_is_found_on_any_page() {
    let fake = mis();
    let estimates: Vec<Value> = (1..=8)
        .map(|i| json!({"ID": i, "Title": if i % 4 == 2 { "Quote X" } else { "Other" }, "TotalPrice": 10 + i}))
        .collect();
    paged(&fake, "estimates", estimates, 3, Some(8));
    let found = connector(&fake).find_estimate("Quote X").unwrap().unwrap();
    assert_eq!((found.id, found.total.as_deref()), (6, Some("16")));
}

fn orders(fake: &Fake) {
    let orders: Vec<Value> = (1..=10)
        .map(|i| json!({"ID": i, "OrderNo": format!("SO{i}"), "UniqueSubmitOrderID": format!("web-{i}"), "Status": "Received"}))
        .collect();
    paged(fake, "orders", orders, 3, Some(10));
    fake.on_ok(Method::Get, "jobs", list(json!([])));
}

#[test]
fn an_order_is_found_by_its_unique_id_on_any_page() {
    let fake = mis();
    orders(&fake);
    let u = connector(&fake).order_status("web-8", None).unwrap();
    assert_eq!(u.backend_order_id.as_deref(), Some("8"));
    assert_eq!(fake.count(Method::Get, "orders"), 3);
}

#[test]
fn an_order_is_found_by_its_id_on_any_page() {
    let fake = mis();
    orders(&fake);
    let u = connector(&fake).order_status("", Some("7")).unwrap();
    assert_eq!(u.backend_order_id.as_deref(), Some("7"));
}

#[test]
fn the_newest_job_of_an_order_is_found_on_any_page() {
    let fake = mis();
    orders(&fake);
    let jobs: Vec<Value> = (1..=7)
        .map(|i| json!({"OrderID": 1, "JobNo": format!("J{i}"), "Status": "In production", "UpdatedAt": format!("2026-11-29T10:0{i}:00Z")}))
        .collect();
    paged(&fake, "jobs", jobs, 3, Some(7));
    let u = connector(&fake).order_status("web-1", None).unwrap();
    assert_eq!(u.job_no.as_deref(), Some("J7"));
}
