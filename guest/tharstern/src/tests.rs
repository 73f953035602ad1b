//! Behaviour tests of the connector against a scripted fake platform: HTTP
//! answers per route, an in-memory cache with TTLs and a settable clock, so
//! "no HTTP call", "one retry", "never twice" are asserted by counting calls.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Value, json};

use crate::*;

const BASE: &str = "https://mis.example.com/TharsternAPI/api/";
const PASSWORD: &str = "p&ss=w rd+1";

/// A cached value and when it expires.
type CacheEntry = (Vec<u8>, Option<u64>);

type Responder = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, HttpError>>;

struct Route {
    method: Method,
    pattern: String,
    responder: Responder,
}

#[derive(Default)]
pub(crate) struct Fake {
    routes: RefCell<Vec<Route>>,
    calls: RefCell<Vec<HttpRequest>>,
    cache: RefCell<HashMap<String, CacheEntry>>,
    logs: RefCell<Vec<(LogLevel, String)>>,
    now: Cell<u64>,
}

impl Fake {
    /// A fake whose GenerateAPIToken hands out `token-1`, `token-2`, ...
    fn new() -> Self {
        let f = Fake::default();
        f.now.set(1_800_000_000);
        let n = Rc::new(Cell::new(0));
        f.on(Method::Get, "authentication/GenerateAPIToken", move |_| {
            n.set(n.get() + 1);
            Ok(ok(
                json!({"Token": format!("9d6c1f2a-0000-4000-8000-00000000000{}", n.get())}),
            ))
        });
        f
    }

    /// Answer requests whose path (after the API base) starts with
    /// `pattern` (case-insensitive). Later routes win.
    fn on(
        &self,
        method: Method,
        pattern: &str,
        responder: impl FnMut(&HttpRequest) -> Result<HttpResponse, HttpError> + 'static,
    ) {
        self.routes.borrow_mut().push(Route {
            method,
            pattern: pattern.to_lowercase(),
            responder: Box::new(responder),
        });
    }

    /// Always answer `details` in a success envelope.
    fn on_ok(&self, method: Method, pattern: &str, details: Value) {
        self.on(method, pattern, move |_| Ok(ok(details.clone())));
    }

    fn count(&self, method: Method, pattern: &str) -> usize {
        let pattern = pattern.to_lowercase();
        self.calls
            .borrow()
            .iter()
            .filter(|c| c.method == method && rel(&c.url).to_lowercase().starts_with(&pattern))
            .count()
    }

    fn total_calls(&self) -> usize {
        self.calls.borrow().len()
    }

    fn bodies(&self, pattern: &str) -> Vec<Value> {
        let pattern = pattern.to_lowercase();
        self.calls
            .borrow()
            .iter()
            .filter(|c| rel(&c.url).to_lowercase().starts_with(&pattern))
            .filter_map(|c| c.body.as_ref())
            .map(|b| serde_json::from_slice(b).unwrap())
            .collect()
    }

    fn advance(&self, secs: u64) {
        self.now.set(self.now.get() + secs);
    }

    fn logs_text(&self) -> String {
        self.logs
            .borrow()
            .iter()
            .map(|(l, m)| format!("{l:?} {m}\n"))
            .collect()
    }
}

fn rel(url: &str) -> &str {
    url.strip_prefix(BASE).unwrap_or(url)
}

impl Platform for Fake {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.calls.borrow_mut().push(req.clone());
        let path = rel(&req.url).to_lowercase();
        let mut routes = self.routes.borrow_mut();
        let route = routes
            .iter_mut()
            .rev()
            .find(|r| r.method == req.method && path.starts_with(&r.pattern))
            .unwrap_or_else(|| {
                panic!(
                    "unexpected request {} {}",
                    req.method.as_str(),
                    rel(&req.url)
                )
            });
        (route.responder)(&req)
    }

    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        let cache = self.cache.borrow();
        let (v, exp) = cache.get(key)?;
        match exp {
            Some(e) if *e <= self.now.get() => None,
            _ => Some(v.clone()),
        }
    }

    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
        let exp = (ttl_secs > 0).then(|| self.now.get() + u64::from(ttl_secs));
        self.cache
            .borrow_mut()
            .insert(key.to_string(), (value.to_vec(), exp));
    }

    fn cache_delete(&self, key: &str) {
        self.cache.borrow_mut().remove(key);
    }

    fn log(&self, level: LogLevel, msg: &str) {
        self.logs.borrow_mut().push((level, msg.to_string()));
    }

    fn now_unix_secs(&self) -> u64 {
        self.now.get()
    }
}

fn envelope(status: u16, success: bool, message: &str, details: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: json!({"Status": {"Success": success, "Message": message}, "Details": details})
            .to_string()
            .into_bytes(),
    }
}

fn ok(details: Value) -> HttpResponse {
    envelope(200, true, "", details)
}

fn list(items: Value) -> Value {
    let n = items.as_array().map_or(0, Vec::len);
    json!({"Items": items, "TotalItemCount": n})
}

fn raw(status: u16, content_type: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
    }
}

fn settings_with(extra: &[(&str, &str)]) -> Settings {
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

fn connector(fake: &Fake) -> Connector<&Fake> {
    Connector::new(fake, settings_with(&[]))
}

fn example_request() -> Value {
    json!({
        "Title": "Example", "ProductTypeId": 3, "Quantity": 100, "JobType": "Digital",
        "FinishedSize": {"Code": "A5", "Width": 148, "Depth": 210},
        "Customer": {"Code": null, "Contact": {"Name": "x"}},
        "DeliveryCustomer": {"Code": null},
        "Processes": [{"ProcessTypeID": 10, "Value": 1}],
        "Parts": [{"Name": "Text", "Pages": 8, "PaperCode": "SILK150", "GSM": 150}]
    })
}

fn price_request(qty: u32) -> PriceRequest {
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
fn with_estimates(fake: &Fake) -> Rc<Cell<i64>> {
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

// ---------------------------------------------------------------- auth

#[test]
fn token_is_cached_and_url_encoded_and_sent_as_basic() {
    let fake = Fake::new();
    with_estimates(&fake);
    let c = connector(&fake);
    c.price(&price_request(10)).unwrap();
    c.price(&price_request(20)).unwrap();
    assert_eq!(
        fake.count(Method::Get, "authentication/GenerateAPIToken"),
        1
    );
    let calls = fake.calls.borrow();
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
    let fake = Fake::new();
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
        })
        .unwrap();
    assert_eq!(s.free, 40);
    assert_eq!(fake.count(Method::Get, "authentication"), 2);
    assert_eq!(fake.count(Method::Get, "stockitems"), 2);

    // A second 401 after re-authenticating is an authentication error, not a loop.
    let fake = Fake::new();
    fake.on(Method::Get, "products", |_| {
        Ok(envelope(401, false, "denied", Value::Null))
    });
    let c = connector(&fake);
    let e = c
        .stock(&StockRequest {
            product_ref: "BC".into(),
            minimum_order: None,
        })
        .unwrap_err();
    assert!(matches!(e, PluginError::Authentication(_)), "{e:?}");
    assert_eq!(fake.count(Method::Get, "authentication"), 2);
    assert_eq!(fake.count(Method::Get, "products"), 2);
}

#[test]
fn zero_guid_is_an_authentication_error_naming_the_credentials() {
    let fake = Fake::new();
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
    let fake = Fake::new();
    let a = settings_with(&[]);
    let b = settings_with(&[("password", "other")]);
    let ka = client::Client::new(&fake, &a).token_cache_key();
    let kb = client::Client::new(&fake, &b).token_cache_key();
    assert_ne!(ka, kb);
    assert!(!ka.contains(PASSWORD) && !ka.contains("p%26ss"));
    assert_eq!(
        ka,
        client::Client::new(&fake, &settings_with(&[])).token_cache_key()
    );
}

// ---------------------------------------------------------- check connection

fn healthy(fake: &Fake) {
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

#[test]
fn check_connection_reports_every_check() {
    let fake = Fake::new();
    healthy(&fake);
    let r = connector(&fake).check_connection().unwrap();
    let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "endpoint reached",
            "credentials accepted",
            "storefront customer code exists",
            "products visible"
        ]
    );
    assert!(r.checks[3].detail.contains("42"));
    assert!(r.summary.contains("42 products"));
}

#[test]
fn check_connection_diagnoses_each_failure_distinctly() {
    type Setup = Box<dyn Fn(&Fake)>;
    let auth_fails = |e: HttpError| -> Setup {
        Box::new(move |f: &Fake| {
            let e = e.clone();
            f.on(Method::Get, "authentication", move |_| Err(e.clone()))
        })
    };
    let cases: Vec<(&str, Setup, &str, &str)> = vec![
        (
            "refused",
            auth_fails(HttpError::ConnectionRefused),
            "unreachable",
            "allow-list",
        ),
        (
            "dns",
            auth_fails(HttpError::Dns("NXDOMAIN".into())),
            "unreachable",
            "could not be resolved",
        ),
        (
            "tls",
            auth_fails(HttpError::Tls("bad certificate".into())),
            "unreachable",
            "TLS",
        ),
        (
            "connect timeout",
            auth_fails(HttpError::ConnectTimeout),
            "unreachable",
            "in time",
        ),
        (
            "response timeout",
            auth_fails(HttpError::ResponseTimeout),
            "unreachable",
            "did not answer",
        ),
        (
            "denied",
            auth_fails(HttpError::Denied("not allowed".into())),
            "configuration",
            "allow-list",
        ),
        (
            "404",
            Box::new(|f: &Fake| {
                f.on(Method::Get, "authentication", |_| {
                    Ok(raw(404, "text/html", "<h1>Not Found</h1>"))
                })
            }),
            "configuration",
            "/TharsternAPI/api/",
        ),
        (
            "no route",
            Box::new(|f: &Fake| {
                f.on(Method::Get, "customers", |_| {
                    Ok(envelope(
                        404,
                        false,
                        "No HTTP resource was found that matches the request URI.",
                        Value::Null,
                    ))
                })
            }),
            "configuration",
            "/TharsternAPI/api/",
        ),
        (
            "html",
            Box::new(|f: &Fake| {
                f.on(Method::Get, "authentication", |_| {
                    Ok(raw(200, "text/html", "<html>IIS</html>"))
                })
            }),
            "configuration",
            "not the Tharstern API",
        ),
        (
            "bad credentials",
            Box::new(|f: &Fake| {
                f.on_ok(
                    Method::Get,
                    "authentication",
                    json!({"Token": "00000000-0000-0000-0000-000000000000"}),
                )
            }),
            "authentication",
            "credentials",
        ),
        (
            "unknown customer",
            Box::new(|f: &Fake| f.on_ok(Method::Get, "customers", list(json!([])))),
            "configuration",
            "customer_code",
        ),
        (
            "server error",
            Box::new(|f: &Fake| {
                f.on(Method::Get, "customers", |_| {
                    Ok(envelope(500, false, "boom", Value::Null))
                })
            }),
            "unreachable",
            "HTTP 500",
        ),
    ];
    let mut messages = Vec::new();
    for (name, setup, kind, needle) in cases {
        let fake = Fake::new();
        healthy(&fake);
        setup(&fake);
        let e = connector(&fake).check_connection().unwrap_err();
        assert_eq!(e.kind(), kind, "{name}: {e:?}");
        assert!(e.message().contains(needle), "{name}: {e:?}");
        assert!(
            !e.message().contains(PASSWORD) && !e.message().contains("p%26ss"),
            "{name}: {e:?}"
        );
        messages.push(e.message().to_string());
    }
    let refused = &messages[0];
    assert!(refused.contains("port 443"), "{refused}");
    let mut unique = messages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        messages.len(),
        "messages must differ: {messages:#?}"
    );
}

#[test]
fn transient_get_failures_are_retried_once() {
    let fake = Fake::new();
    let n = Rc::new(Cell::new(0));
    let m = n.clone();
    fake.on(Method::Get, "customers", move |_| {
        m.set(m.get() + 1);
        if m.get() == 1 {
            Ok(envelope(503, false, "busy", Value::Null))
        } else {
            Ok(ok(list(json!([{"Code": "SHOP"}]))))
        }
    });
    fake.on_ok(Method::Get, "products", list(json!([])));
    connector(&fake).check_connection().unwrap();
    assert_eq!(n.get(), 2);

    let fake = Fake::new();
    healthy(&fake);
    fake.on(Method::Get, "customers", |_| {
        Err(HttpError::ResponseTimeout)
    });
    let e = connector(&fake).check_connection().unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)));
    assert_eq!(fake.count(Method::Get, "customers"), 2);

    // Refused connections are not retried (a configuration or firewall issue).
    let fake = Fake::new();
    fake.on(Method::Get, "customers", |_| {
        Err(HttpError::ConnectionRefused)
    });
    assert!(connector(&fake).check_connection().is_err());
    assert_eq!(fake.count(Method::Get, "customers"), 1);

    // 429 is not hammered, and the message carries Retry-After.
    let fake = Fake::new();
    fake.on(Method::Get, "customers", |_| {
        let mut r = envelope(429, false, "slow down", Value::Null);
        r.headers.push(("Retry-After".into(), "30".into()));
        Ok(r)
    });
    let e = connector(&fake).check_connection().unwrap_err();
    assert!(
        matches!(&e, PluginError::Unreachable(m) if m.contains("30 s")),
        "{e:?}"
    );
    assert_eq!(fake.count(Method::Get, "customers"), 1);
}

// ---------------------------------------------------------------- price

#[test]
fn price_builds_the_estimate_request_and_answers_minor_units() {
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let c2 = Connector::new(&fake, settings_with(&[("currency", "EUR")]));
    assert_ne!(k0, c2.quote_cache_key(&base, "SHOP"));
}

#[test]
fn success_false_quirk_looks_up_by_title_and_never_posts_twice() {
    let fake = Fake::new();
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
        assert!(req.url.contains(&client::encode(&title)), "{}", req.url);
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
    fake.on_ok(Method::Get, "EstRequest/3/Example", example_request());
    fake.on(Method::Post, "estrequest", |_| {
        Ok(envelope(502, false, "bad gateway", Value::Null))
    });
    fake.on_ok(Method::Get, "estimates", list(json!([])));
    let e = connector(&fake).price(&price_request(100)).unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)), "{e:?}");
    assert_eq!(fake.count(Method::Post, "estrequest"), 2);
}

#[test]
fn please_call_for_price_is_no_price_without_lookup_or_retry() {
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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

// ------------------------------------------------------------- customers

#[test]
fn customer_resolution_order() {
    let fake = Fake::new();
    with_estimates(&fake);
    let c = Connector::new(
        &fake,
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let c = Connector::new(
        &fake,
        settings_with(&[("use_external_id_as_customer_code", "true")]),
    );
    let mut r = price_request(1);
    r.customer.email = Some("x@y.example".into());
    let q = c.price(&r).unwrap();
    assert_eq!(q.customer_code, "WEB00008");
    assert_eq!(fake.count(Method::Post, "customers"), 1);
}

// ----------------------------------------------------------------- stock

fn with_stock(fake: &Fake, free: Value) {
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

#[test]
fn stock_reads_free_stock_and_caches_it() {
    let fake = Fake::new();
    with_stock(&fake, json!("250"));
    let c = connector(&fake);
    let req = StockRequest {
        product_ref: "ENV-C5".into(),
        minimum_order: Some(300),
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
    let fake = Fake::new();
    with_stock(&fake, json!(-5));
    let c = Connector::new(
        &fake,
        settings_with(&[
            ("stock_cache_seconds", "0"),
            ("minimum_order_stock_check", "false"),
        ]),
    );
    let req = StockRequest {
        product_ref: "code:ENV-C5".into(),
        minimum_order: Some(1),
    };
    let s = c.stock(&req).unwrap();
    assert_eq!((s.free, s.meets_minimum), (-5, None));
    c.stock(&req).unwrap();
    assert_eq!(
        fake.count(Method::Get, "stockitems"),
        2,
        "stock_cache_seconds = 0 never caches"
    );

    let fake = Fake::new();
    fake.on_ok(Method::Get, "products", list(json!([])));
    let e = connector(&fake).stock(&req).unwrap_err();
    assert!(matches!(e, PluginError::NotFound(_)), "{e:?}");
    let e = connector(&fake)
        .stock(&StockRequest {
            product_ref: "type:3".into(),
            minimum_order: None,
        })
        .unwrap_err();
    assert!(matches!(e, PluginError::Rejected(_)), "{e:?}");
}

// ---------------------------------------------------------------- orders

fn order(lines: Vec<OrderLine>) -> Order {
    Order {
        order_id: "web-1001".into(),
        customer: CustomerContext::default(),
        order_date: "2026-11-29".into(),
        required_date: Some("2026-12-06".into()),
        reference: Some("PO-7".into()),
        lines,
    }
}

fn line(product_ref: &str, quote_ref: Option<&str>, source: PriceSource) -> OrderLine {
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
    }
}

fn accepting_orders(fake: &Fake) {
    fake.on(Method::Post, "orders/submit", |req| {
        let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        let id = body["Orders"][0]["UniqueSubmitOrderID"].clone();
        Ok(ok(json!({"Orders": [{"ID": 31, "OrderNo": "SO000031", "UniqueSubmitOrderID": id, "StatusDetails": "OK"}]})))
    });
}

#[test]
fn submit_order_sends_the_order_and_answers_the_receipt() {
    let fake = Fake::new();
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
    let text =
        String::from_utf8(fake.calls.borrow().last().unwrap().body.clone().unwrap()).unwrap();
    assert!(text.contains(r#""Price":123.45"#), "{text}");
}

#[test]
fn send_price_setting() {
    for (setting, expect) in [
        ("Never", [false, false]),
        ("Always", [true, true]),
        ("With logic", [false, true]),
    ] {
        let fake = Fake::new();
        with_stock(&fake, json!(1000));
        accepting_orders(&fake);
        let c = Connector::new(&fake, settings_with(&[("send_price", setting)]));
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

#[test]
fn failed_order_is_rejected_with_status_details() {
    let fake = Fake::new();
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
    let fake = Fake::new();
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
        matches!(&e, PluginError::Unreachable(m) if m.contains("safe")),
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
    let fake = Fake::new();
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
            status: Some("Despatched".into()),
            tracking_number: Some("TRK9".into()),
            at: Some("2026-11-30T10:00:00Z".into()),
        }
    );

    let fake = Fake::new();
    fake.on_ok(Method::Get, "orders", list(json!([])));
    let e = connector(&fake)
        .order_status("web-404", Some("9"))
        .unwrap_err();
    assert!(matches!(e, PluginError::NotFound(_)), "{e:?}");
    assert_eq!(fake.count(Method::Get, "orders?orderIDs=9"), 1);
}

// -------------------------------------------------------------- webhooks

#[test]
fn webhook_signature_is_enforced_when_a_secret_is_set() {
    let fake = Fake::new();
    let body = br#"{"Event":"JobStatusChanged","JobNo":"J1","OrderID":31,"UniqueSubmitOrderID":"web-1001","Status":"Despatched","TrackingNumber":"TRK","Timestamp":"2026-11-29T10:00:00Z"}"#.to_vec();
    let sig: String = webhooks::hmac_sha256(b"whsec", &body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let c = Connector::new(&fake, settings_with(&[("webhook_secret", "whsec")]));
    let good = WebhookRequest {
        headers: vec![("X-Tharstern-Signature".into(), format!("sha256={sig}"))],
        body: body.clone(),
    };
    let u = c.handle_webhook(&good).unwrap();
    assert_eq!(u[0].order_id.as_deref(), Some("web-1001"));
    assert_eq!(u[0].tracking_number.as_deref(), Some("TRK"));
    let unsigned = WebhookRequest {
        headers: vec![],
        body: body.clone(),
    };
    assert!(matches!(
        c.handle_webhook(&unsigned),
        Err(PluginError::Authentication(_))
    ));
    let mut tampered = good.clone();
    tampered.body[10] ^= 1;
    assert!(matches!(
        c.handle_webhook(&tampered),
        Err(PluginError::Authentication(_))
    ));
    // Without a secret, unsigned webhooks are accepted.
    assert_eq!(connector(&fake).handle_webhook(&unsigned).unwrap().len(), 1);
    assert_eq!(fake.total_calls(), 0);
}

// ------------------------------------------------------------- catalogue

fn with_catalogue(fake: &Fake, products: usize) {
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

#[test]
fn catalogue_is_paged_filtered_cached_and_served_in_pages() {
    let fake = Fake::new();
    with_catalogue(&fake, 1200);
    let c = connector(&fake);
    let r = c.refresh_catalogue().unwrap();
    // Types 1 and 2 pass the default filter (Finished, None); type 3 is a Part.
    assert_eq!(
        r,
        CatalogueReport {
            product_types: 2,
            products: 800
        }
    );
    assert_eq!(
        fake.count(Method::Get, "products"),
        3,
        "1200 products in pages of 500"
    );

    let calls = fake.total_calls();
    let page = c.products(0, 10, None).unwrap();
    assert_eq!(page.total, 800);
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[0].code, "P00000");
    assert_eq!(page.items[0].product_ref, "P00000");
    assert_eq!(page.items[0].kind, "Business Cards (Finished)");
    assert_eq!(page.items[1].code, "P00001");
    assert_eq!(page.items[2].code, "P00003");
    // Across a cached page boundary (the first page holds 334 entries).
    let page = c.products(330, 8, None).unwrap();
    let codes: Vec<&str> = page.items.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "P00495", "P00496", "P00498", "P00499", "P00501", "P00502", "P00504", "P00505"
        ]
    );
    assert_eq!(c.products(799, 10, None).unwrap().items.len(), 1);
    assert_eq!(c.products(5000, 10, None).unwrap().items.len(), 0);
    let found = c.products(0, 3, Some("product 11")).unwrap();
    // Product 11, 110-119 and 1100-1199, less those of type 3 (i % 3 == 2).
    assert_eq!(found.total, 72);
    assert_eq!(found.items.len(), 3);
    assert_eq!(fake.total_calls(), calls, "pages are served from the cache");

    // Expired: refreshed on demand. Forced: refetched.
    fake.advance(1440 * 60 + 1);
    c.products(0, 1, None).unwrap();
    assert_eq!(fake.count(Method::Get, "producttypes"), 2);
    c.refresh_catalogue().unwrap();
    assert_eq!(fake.count(Method::Get, "producttypes"), 3);
}

#[test]
fn catalogue_stays_bounded_for_100k_products() {
    let fake = Fake::new();
    with_catalogue(&fake, 100_000);
    let c = Connector::new(
        &fake,
        settings_with(&[("product_type_filter", "Finished,None,Part,Component")]),
    );
    let r = c.refresh_catalogue().unwrap();
    assert_eq!(r.products, 100_000);
    let cache = fake.cache.borrow();
    let largest = cache.values().map(|(v, _)| v.len()).max().unwrap();
    assert!(largest < 64 * 1024, "largest cache entry {largest} bytes");
    drop(cache);
    let page = c.products(99_990, 50, None).unwrap();
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[9].code, "P99999");
}

// -------------------------------------------------------------- secrets

#[test]
fn secrets_never_reach_logs_or_errors() {
    let fake = Fake::new();
    // A server that echoes the request URL (with the password) in its error.
    fake.on(Method::Get, "authentication", |req| {
        Ok(envelope(
            500,
            false,
            &format!("failed for {}", req.url),
            Value::Null,
        ))
    });
    let c = Connector::new(&fake, settings_with(&[("webhook_secret", "whsec-123")]));
    let e = c.check_connection().unwrap_err();
    assert!(
        !e.message().contains(PASSWORD) && !e.message().contains("p%26ss%3Dw%20rd%2B1"),
        "{e:?}"
    );

    let fake = Fake::new();
    with_estimates(&fake);
    healthy(&fake);
    let c = Connector::new(&fake, settings_with(&[("webhook_secret", "whsec-123")]));
    c.check_connection().unwrap();
    c.price(&price_request(1)).unwrap();
    let logs = fake.logs_text();
    let token = "9d6c1f2a-0000-4000-8000-00000000000";
    for secret in [PASSWORD, "p%26ss", token, "whsec-123"] {
        assert!(!logs.contains(secret), "log leaks {secret}: {logs}");
    }
    assert!(!format!("{:?}", c.settings()).contains(PASSWORD));
    assert!(!format!("{:?}", fake.calls.borrow()[0]).contains("p%26ss"));
}

#[test]
fn info_describes_the_plugin() {
    let i = info();
    assert_eq!(i.id, "tharstern");
    assert_eq!(i.name, "Connect: Tharstern");
    assert_eq!(i.endpoint_setting.as_deref(), Some("api_url"));
    assert_eq!(i.capabilities.len(), 5);
    assert_eq!(i.settings.len(), 13);
    let out = configure(&[
        ("api_url".into(), "http://10.0.0.5:8080".into()),
        ("email".into(), "a@b.example".into()),
        ("password".into(), "x".into()),
        ("application_id".into(), "a".into()),
        ("customer_code".into(), "C".into()),
    ])
    .unwrap();
    assert!(out.contains(&(
        "api_url".into(),
        "http://10.0.0.5:8080/TharsternAPI/api/".into()
    )));
    assert!(out.contains(&("use_external_id_as_customer_code".into(), "false".into())));
    let e = settings_for_init(&[]).unwrap_err();
    assert!(
        matches!(e, PluginError::Configuration(m) if m.contains("api_url") && m.contains("customer_code"))
    );
}

#[test]
fn broken_json_is_transient_not_a_wrong_url() {
    // A truncated GET answer is retried once.
    let fake = Fake::new();
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
        })
        .unwrap();
    assert_eq!(s.free, 5);
    assert_eq!(n.get(), 2);

    // A truncated estimate answer: the estimate may exist, so it is looked up.
    let fake = Fake::new();
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

#[test]
fn exact_keys_are_unambiguous_and_bounded() {
    // Part boundaries matter, in both forms.
    assert_ne!(exact_key("q", &["ab", "c"]), exact_key("q", &["a", "bc"]));
    assert_eq!(exact_key("q", &["ab", "c"]), "q:=2:ab1:c");
    assert_ne!(exact_key("q", &["", "1:x"]), exact_key("q", &["1:x", ""]));
    // Long parts are hashed: a bounded key that never looks written out.
    let long = "x".repeat(400);
    let hashed = exact_key("q", &[&long]);
    assert_eq!(hashed, format!("q:{}", digest(&[&long])));
    assert_eq!(hashed.len(), 34);
    // The hex digest is unchanged by its faster formatting.
    assert_eq!(digest(&["a"]).len(), 32);
    assert!(digest(&["a"]).bytes().all(|b| b.is_ascii_hexdigit()));
}
