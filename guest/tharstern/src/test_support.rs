//! Test support: the SDK's scripted platform set up as a Tharstern server
//! (token route, envelope answers), and the fixtures the tests share.

pub(crate) use std::cell::{Cell, RefCell};
pub(crate) use std::rc::Rc;

pub(crate) use serde_json::{Value, json};

pub(crate) use crate::sdk::testing::{TestPlatform, text_response};
use crate::*;

pub(crate) const BASE: &str = "https://mis.example.com/TharsternAPI/api/";
pub(crate) const PASSWORD: &str = "p&ss=w rd+1";

/// The scripted platform the tests talk to.
pub(crate) type Fake = TestPlatform;

/// A fake whose GenerateAPIToken hands out `token-1`, `token-2`, ...
pub(crate) fn mis() -> Fake {
    let f = TestPlatform::new(BASE);
    let n = Rc::new(Cell::new(0));
    f.on(Method::Get, "authentication/GenerateAPIToken", move |_| {
        n.set(n.get() + 1);
        Ok(ok(
            json!({"Token": format!("9d6c1f2a-0000-4000-8000-00000000000{}", n.get())}),
        ))
    });
    f
}

/// Tharstern answers on a scripted platform.
pub(crate) trait Envelopes {
    /// Always answer `details` in a success envelope.
    fn on_ok(&self, method: Method, pattern: &str, details: Value);
}

impl Envelopes for Fake {
    fn on_ok(&self, method: Method, pattern: &str, details: Value) {
        self.on(method, pattern, move |_| Ok(ok(details.clone())));
    }
}

pub(crate) fn envelope(status: u16, success: bool, message: &str, details: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: json!({"Status": {"Success": success, "Message": message}, "Details": details})
            .to_string()
            .into_bytes(),
    }
}

pub(crate) fn ok(details: Value) -> HttpResponse {
    envelope(200, true, "", details)
}

pub(crate) fn list(items: Value) -> Value {
    let n = items.as_array().map_or(0, Vec::len);
    json!({"Items": items, "TotalItemCount": n})
}

pub(crate) fn raw(status: u16, content_type: &str, body: &str) -> HttpResponse {
    text_response(status, content_type, body)
}

pub(crate) fn settings_with(extra: &[(&str, &str)]) -> Settings {
    let mut pairs: Vec<(String, String)> = [
        ("api_url", "https://mis.example.com"),
        ("email", "api@printer.example"),
        ("password", PASSWORD),
        ("application_id", "shop-1"),
        ("customer_code", "SHOP"),
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

pub(crate) fn connector(fake: &Fake) -> Tharstern {
    Tharstern::new(fake.host(), settings_with(&[]))
}

pub(crate) fn example_request() -> Value {
    json!({
        "Title": "Example", "ProductTypeId": 3, "Quantity": 100, "JobType": "Digital",
        "FinishedSize": {"Code": "A5", "Width": 148, "Depth": 210},
        "Customer": {"Code": null, "Contact": {"Name": "x"}},
        "DeliveryCustomer": {"Code": null},
        "Processes": [{"ProcessTypeID": 10, "Value": 1}],
        "Parts": [{"Name": "Text", "Pages": 8, "PaperCode": "SILK150", "GSM": 150}]
    })
}

pub(crate) fn price_request(qty: u32) -> PriceRequest {
    PriceRequest {
        product: ProductMapping {
            product_ref: "3".into(),
            overrides: vec![("Parts[0].Pages".into(), "16".into())],
            advanced_json: None,
        },
        quantity: qty,
        customer: CustomerContext::default(),
        attributes: vec![("FinishedSize.Code".into(), "A4".into())],
    }
}

/// Routes for a priceable product type 3 (estimate ids from 100).
pub(crate) fn with_estimates(fake: &Fake) -> Rc<Cell<i64>> {
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    let next = Rc::new(Cell::new(100));
    let n = next.clone();
    fake.on(Method::Post, "estrequest", move |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        n.set(n.get() + 1);
        Ok(ok(
            json!({"Estimate": {"ID": n.get(), "EstimateRef": "E1", "Title": body["Title"],
            "Quantity": body["Quantity"], "TotalPrice": 123.45}}),
        ))
    });
    next
}

pub(crate) fn healthy(fake: &Fake) {
    fake.on_ok(
        Method::Get,
        "customers?customerCode=SHOP",
        list(json!([{"ID": 1, "Code": "SHOP", "Name": "The Shop"}])),
    );
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP",
        json!({"Items": [{"ID": 1}], "TotalItemCount": 42}),
    );
}

pub(crate) fn with_stock(fake: &Fake, free: Value) {
    fake.on_ok(
        Method::Get,
        "products?customerCode=SHOP&productCode=",
        list(json!([{"ID": 5, "Code": "ENV-C5", "Name": "Envelopes", "ProductTypes_ID": 2, "StockItemID": 7}])),
    );
    fake.on_ok(
        Method::Get,
        "stockitems?id=7",
        list(json!([{"ID": 7, "Code": "ENV", "FreeStock": free}])),
    );
}

pub(crate) fn order(lines: Vec<OrderLine>) -> Order {
    Order {
        order_id: "web-1001".into(),
        customer: CustomerContext::default(),
        order_date: "2026-11-29".into(),
        required_date: Some("2026-12-06".into()),
        reference: Some("PO-7".into()),
        lines,
    }
}

pub(crate) fn line(product_ref: &str, quote_ref: Option<&str>, source: PriceSource) -> OrderLine {
    OrderLine {
        line_ref: "L1".into(),
        product_ref: product_ref.into(),
        quantity: 500,
        quote_ref: quote_ref.map(str::to_string),
        price: Some(Money {
            minor_units: 12345,
            currency: "GBP".into(),
        }),
        price_source: source,
        description: Some("Flyers".into()),
        attributes: vec![],
    }
}

pub(crate) fn accepting_orders(fake: &Fake) {
    fake.on(Method::Post, "orders/submit", |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        let id = body["Orders"][0]["UniqueSubmitOrderID"].clone();
        Ok(ok(json!({"Orders": [{"ID": 31, "OrderNo": "SO000031", "UniqueSubmitOrderID": id, "StatusDetails": "OK"}]})))
    });
}

pub(crate) fn with_catalogue(fake: &Fake, products: usize) {
    fake.on_ok(
        Method::Get,
        "producttypes",
        list(json!([
            {"ID": 1, "Name": "Business Cards", "Kind": "Finished"},
            {"ID": 2, "Name": "Envelopes", "Kind": "none"},
            {"ID": 3, "Name": "Cover", "Kind": "Part"}
        ])),
    );
    fake.on(Method::Get, "products?customerCode=SHOP&page=", move |req| {
        let q = |name: &str| -> usize {
            req.url
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap()
                .parse()
                .unwrap()
        };
        let (page, size) = (q("page"), q("pageSize"));
        let items: Vec<Value> = ((page - 1) * size..(page * size).min(products))
            .map(|i| json!({"ID": i, "Code": format!("P{i:05}"), "Name": format!("Product {i}"), "ProductTypes_ID": 1 + i % 3}))
            .collect();
        Ok(ok(json!({"Items": items, "TotalItemCount": products})))
    });
}
