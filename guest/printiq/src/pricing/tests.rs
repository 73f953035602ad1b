//! Prices: exact money, the quote cache, the lease, the request body.

use crate::merge_options as options;
use crate::pricing::{ProductRef, parse_product_ref};
use crate::sdk::json::merge_patch;
use crate::test_support::*;

#[test]
fn a_repeated_price_makes_no_new_quote() {
    let fake = piq();
    with_prices(&fake, "123.45");
    let c = connector(&fake);
    let q = c.price(&price_request("code:BC-STD", 500)).unwrap();
    assert_eq!(
        (q.total.minor_units, q.total.currency.as_str()),
        (12345, "GBP")
    );
    assert_eq!(q.quote_ref.as_deref(), Some("Q000101v1"));
    assert_eq!((q.customer_code.as_str(), q.cached), ("WEBSHOP", false));
    let again = c.price(&price_request("code:BC-STD", 500)).unwrap();
    assert!(again.cached);
    assert_eq!(again.quote_ref.as_deref(), Some("Q000101v1"));
    assert_eq!(fake.count(Method::Post, &qp("GetPrice")), 1);
    // Another quantity or customer is another quote.
    c.price(&price_request("code:BC-STD", 1000)).unwrap();
    let mut other = price_request("code:BC-STD", 500);
    other.customer.department_code = Some("ACME".into());
    assert_eq!(c.price(&other).unwrap().customer_code, "ACME");
    assert_eq!(fake.count(Method::Post, &qp("GetPrice")), 3);
    // Expired with the refresh interval.
    fake.advance(24 * 3600);
    c.price(&price_request("code:BC-STD", 500)).unwrap();
    assert_eq!(fake.count(Method::Post, &qp("GetPrice")), 4);
}

#[test]
fn node_references_send_filter_values() {
    let fake = piq();
    with_prices(&fake, "10");
    let c = PrintIq::new(fake.host(), settings_with(&[("price_list_level", "3")]));
    let mut req = price_request("node:1211", 250);
    req.product.overrides = vec![
        ("Stock".into(), "6933".into()),
        ("Kinds".into(), "2".into()),
    ];
    req.attributes = vec![
        ("stock".into(), "7000".into()),
        ("FinishSize".into(), "51,1".into()),
    ];
    req.product.advanced_json =
        Some(r#"{"JobDescription": "via mapping", "AcceptQuote": null}"#.into());
    c.price(&req).unwrap();
    let body = &fake.bodies(&qp("GetPrice"))[0];
    assert_eq!(body["CustomerCode"], "WEBSHOP");
    assert_eq!(
        body["FilterInput"],
        json!({"TreeNodeID": 1211, "PriceListLevel": 3, "FilterValues": [
            {"Name": "Stock", "Value": "7000"}, {"Name": "FinishSize", "Value": "51,1"}]})
    );
    assert_eq!(body["SelectedQuantity"]["Kinds"], 2);
    assert_eq!(body["JobDescription"], "via mapping");
    assert!(body.get("AcceptQuote").is_none());
    assert!(body.get("ProductCode").is_none());
}

#[test]
fn product_references() {
    assert_eq!(
        parse_product_ref(" code:BC-STD ").unwrap(),
        ProductRef::Code("BC-STD".into())
    );
    assert_eq!(
        parse_product_ref("BC-STD").unwrap(),
        ProductRef::Code("BC-STD".into())
    );
    assert_eq!(parse_product_ref("node:12").unwrap(), ProductRef::Node(12));
    for bad in ["", "node:x", "node:0", "code:", "type:3"] {
        assert!(
            matches!(parse_product_ref(bad), Err(PluginError::Rejected(_))),
            "{bad}"
        );
    }
    let o = options(
        &[("A".into(), "1".into())],
        &[("a".into(), "2".into()), (" ".into(), "x".into())],
    );
    assert_eq!(o, vec![("A".to_string(), "2".to_string())]);
    let mut v = json!({"a": {"b": 1, "c": 2}});
    merge_patch(&mut v, &json!({"a": {"b": null, "d": [1]}}));
    assert_eq!(v, json!({"a": {"c": 2, "d": [1]}}));
}

fn priced(price: &'static str, cur: &str) -> Result<PriceQuote, PluginError> {
    let fake = piq();
    let cur = cur.to_string();
    fake.on(Method::Post, &qp("GetPrice"), move |_| {
        Ok(text_response(200, "application/json", &format!(
            r#"{{"IsError":false,"QuoteDetails":{{"QuoteNo":"Q1","CurCode":"{cur}","Products":[{{"Quantities":[{{"Quantity":100,"Price":{price}}}]}}]}}}}"#
        )))
    });
    connector(&fake).price(&price_request("code:X", 100))
}

#[test]
fn money_is_read_from_the_exact_number_text() {
    let m = |p, c| priced(p, c).map(|q| (q.total.minor_units, q.total.currency));
    assert_eq!(m("0.1", "GBP").unwrap(), (10, "GBP".into()));
    assert_eq!(m("1234567.89", "GBP").unwrap(), (123456789, "GBP".into()));
    assert_eq!(m("19.999", "GBP").unwrap(), (2000, "GBP".into()));
    assert_eq!(m("1.5e2", "GBP").unwrap(), (15000, "GBP".into()));
    assert_eq!(m("\"12.30\"", "eur").unwrap(), (1230, "EUR".into()));
    assert_eq!(m("1500", "JPY").unwrap(), (1500, "JPY".into()));
    assert!(matches!(priced("0", "GBP"), Err(PluginError::NoPrice(_))));
    assert!(matches!(
        priced("-1.00", "GBP"),
        Err(PluginError::NoPrice(_))
    ));
    assert!(matches!(
        priced("null", "GBP"),
        Err(PluginError::NoPrice(_))
    ));
    assert!(matches!(
        priced("\"n/a\"", "GBP"),
        Err(PluginError::Internal(_))
    ));
}

#[test]
fn printiq_errors_on_price_are_typed() {
    let fake = piq();
    fake.respond(
        Method::Post,
        &qp("GetPrice"),
        is_error("Invalid Product Code"),
    );
    let c = connector(&fake);
    assert!(matches!(
        c.price(&price_request("code:NOPE", 1)),
        Err(PluginError::NotFound(_))
    ));
    fake.respond(
        Method::Post,
        &qp("GetPrice"),
        ok(json!({"QuoteAccepted": false, "QuoteDetails": null})),
    );
    assert!(matches!(
        c.price(&price_request("code:X", 1)),
        Err(PluginError::NoPrice(_))
    ));
    assert!(matches!(
        c.price(&price_request("code:X", 0)),
        Err(PluginError::Rejected(_))
    ));
    // Errors are not cached.
    assert_eq!(fake.count(Method::Post, &qp("GetPrice")), 2);
}

/// A platform on which another instance holds the quote's lease and
/// finishes while this call waits.
struct Racing(TestPlatform);

impl Platform for Racing {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.0.http(req)
    }
    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.cache_get(key)
    }
    fn cache_set(&self, key: &str, value: &[u8], ttl: u32) {
        self.0.cache_set(key, value, ttl)
    }
    fn cache_delete(&self, key: &str) {
        self.0.cache_delete(key)
    }
    fn cache_add(&self, key: &str, value: &[u8], ttl: u32) -> bool {
        self.0.cache_add(key, value, ttl)
    }
    fn sleep(&self, _: std::time::Duration) {
        // The other holder answers: its quote lands under the leased key.
        for k in self.0.cache_keys() {
            if let Some(quote_key) = k.strip_prefix("lease:") {
                let q = json!({"minor": 999, "currency": "GBP", "quote_no": "Q-OTHER"});
                self.0.cache_set(quote_key, q.to_string().as_bytes(), 60);
            }
        }
    }
    fn log(&self, level: LogLevel, msg: &str) {
        self.0.log(level, msg)
    }
    fn now_unix_secs(&self) -> u64 {
        self.0.now_unix_secs()
    }
}

#[test]
fn concurrent_identical_prices_share_one_quote() {
    let fake = piq();
    with_prices(&fake, "5");
    let racing = PrintIq::new(Box::new(Racing(fake.clone())), settings_with(&[]));
    // Find the lease key this request takes, then hold it as "another instance".
    let first = connector(&fake);
    first.price(&price_request("code:A", 7)).unwrap();
    let lease = fake
        .cache_keys()
        .into_iter()
        .find(|k| k.starts_with("quote:"))
        .unwrap();
    for k in fake.cache_keys() {
        fake.cache_delete(&k);
    }
    assert!(fake.cache_add(&format!("lease:{lease}"), b"1", 15));
    let q = racing.price(&price_request("code:A", 7)).unwrap();
    assert_eq!((q.quote_ref.as_deref(), q.cached), (Some("Q-OTHER"), true));
    assert_eq!(
        fake.count(Method::Post, &qp("GetPrice")),
        1,
        "no second quote"
    );

    // A holder that never answers: after the lease time, go on alone.
    let fake = piq();
    with_prices(&fake, "5");
    let c = connector(&fake);
    assert!(fake.cache_add(&format!("lease:{lease}"), b"1", 15));
    assert!(!c.price(&price_request("code:A", 7)).unwrap().cached);
    assert_eq!(fake.count(Method::Post, &qp("GetPrice")), 1);
}
