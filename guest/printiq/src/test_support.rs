//! Test support: the SDK's scripted platform set up as a printIQ instance
//! (login route, `IsError` answers) and shared fixtures.

pub(crate) use std::cell::{Cell, RefCell};
pub(crate) use std::rc::Rc;

pub(crate) use serde_json::{Value, json};

pub(crate) use crate::sdk::testing::{TestPlatform, json_response, text_response};
pub(crate) use crate::*;

pub(crate) const BASE: &str = "https://acme.printiq.com";
pub(crate) const PASSWORD: &str = "p&ss=w rd+1";
pub(crate) const APP_KEY: &str = "app-key/9+9";
pub(crate) const API_KEY: &str = "ws-key-77";
pub(crate) const TOKEN: &str = "5d0c6a1e-token-";

pub(crate) type Fake = TestPlatform;

/// A printIQ whose login hands out `5d0c6a1e-token-1`, `-2`, ...
pub(crate) fn piq() -> Fake {
    let f = TestPlatform::new(BASE);
    let n = Rc::new(Cell::new(0));
    f.on(
        Method::Post,
        "/api/QuoteProcess/GetApplicationLogInToken",
        move |_| {
            n.set(n.get() + 1);
            Ok(json_response(200, &json!(format!("{TOKEN}{}", n.get()))))
        },
    );
    f
}

/// A successful answer: `IsError: false` beside `fields`.
pub(crate) fn ok(fields: Value) -> HttpResponse {
    let mut v =
        json!({"IsError": false, "ErrorMessage": null, "IsWarning": false, "WarningMessage": null});
    for (k, x) in fields.as_object().expect("an object") {
        v[k] = x.clone();
    }
    json_response(200, &v)
}

/// HTTP 200, `IsError: true`.
pub(crate) fn is_error(message: &str) -> HttpResponse {
    json_response(200, &json!({"IsError": true, "ErrorMessage": message}))
}

pub(crate) fn qp(endpoint: &str) -> String {
    format!("/api/QuoteProcess/{endpoint}")
}

pub(crate) trait Answers {
    fn on_ok(&self, endpoint: &str, fields: Value);
}

impl Answers for Fake {
    fn on_ok(&self, endpoint: &str, fields: Value) {
        self.on(Method::Post, &qp(endpoint), move |_| Ok(ok(fields.clone())));
    }
}

pub(crate) fn settings_with(extra: &[(&str, &str)]) -> Settings {
    let mut pairs: Vec<(String, String)> = [
        ("api_url", BASE),
        ("user_name", "shop-api"),
        ("password", PASSWORD),
        ("application_name", "Connect"),
        ("application_key", APP_KEY),
        ("customer_code", "WEBSHOP"),
        ("api_name", "connect"),
        ("api_key", API_KEY),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        pairs.retain(|(kk, _)| kk != k);
        if !v.is_empty() {
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    settings_for_init(&pairs).unwrap()
}

pub(crate) fn connector(fake: &Fake) -> PrintIq {
    PrintIq::new(fake.host(), settings_with(&[]))
}

/// GetPrice answers: quotes Q000101v1, Q000102v1, ... at `price`.
pub(crate) fn with_prices(fake: &Fake, price: &'static str) -> Rc<Cell<u32>> {
    let n = Rc::new(Cell::new(100));
    let m = n.clone();
    fake.on(Method::Post, &qp("GetPrice"), move |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        m.set(m.get() + 1);
        let qty = &body["SelectedQuantity"]["Quantity"];
        let text = format!(
            r#"{{"IsError":false,"ErrorMessage":null,"QuoteAccepted":false,"QuoteDetails":{{"QuoteNo":"Q000{}v1","CurCode":"GBP","Products":[{{"Quantities":[{{"Quantity":{qty},"QuantityToDisplay":"{qty}","Price":{price}}}]}}]}}}}"#,
            m.get()
        );
        Ok(text_response(200, "application/json", &text))
    });
    n
}

pub(crate) fn price_request(product_ref: &str, qty: u32) -> PriceRequest {
    PriceRequest {
        product: ProductMapping {
            product_ref: product_ref.into(),
            overrides: vec![],
            advanced_json: None,
        },
        quantity: qty,
        customer: CustomerContext::default(),
        attributes: vec![],
    }
}

pub(crate) fn order(id: &str) -> Order {
    Order {
        order_id: id.into(),
        customer: CustomerContext::default(),
        order_date: "2026-11-29".into(),
        required_date: Some("2026-12-06".into()),
        reference: Some("PO-7".into()),
        lines: vec![OrderLine {
            line_ref: "L1".into(),
            product_ref: "code:BC-STD".into(),
            quantity: 500,
            quote_ref: Some("Q000101v1".into()),
            price: None,
            price_source: PriceSource::Quote,
            description: Some("Business cards".into()),
            attributes: vec![],
        }],
    }
}
