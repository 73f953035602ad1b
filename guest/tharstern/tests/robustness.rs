//! Bad input never panics the connector: arbitrary settings, arbitrary
//! webhooks, and arbitrary (malformed, truncated, mistyped) Tharstern answers
//! to every call end in a value or a typed error with a message.
//!
//! A panic in the plugin would be a trap in the host; these properties run
//! natively, over many generated cases, on the same source.

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use tharstern_connector::*;

/// A platform whose HTTP answers come from a script, cycling.
struct Scripted {
    answers: Vec<Result<HttpResponse, HttpError>>,
    next: RefCell<usize>,
    cache: RefCell<HashMap<String, Vec<u8>>>,
}

impl Platform for Scripted {
    fn http(&self, _req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let mut next = self.next.borrow_mut();
        *next += 1;
        if *next > 200 {
            // Bound the work: a connector that keeps asking gets refused.
            return Err(HttpError::ConnectionRefused);
        }
        self.answers[(*next - 1) % self.answers.len()].clone()
    }
    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.cache.borrow().get(key).cloned()
    }
    fn cache_set(&self, key: &str, value: &[u8], _ttl: u32) {
        self.cache.borrow_mut().insert(key.into(), value.into());
    }
    fn cache_delete(&self, key: &str) {
        self.cache.borrow_mut().remove(key);
    }
    fn log(&self, _: LogLevel, _: &str) {}
    fn now_unix_secs(&self) -> u64 {
        1_800_000_000
    }
}

fn settings() -> Settings {
    let pairs: Vec<(String, String)> = [
        ("api_url", "http://mis.example.com:8080"),
        ("email", "api@example.com"),
        ("password", "Pw-fuzz-9x7"),
        ("application_id", "FUZZ"),
        ("customer_code", "WEBSHOP"),
        ("webhook_secret", "whsec"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    settings_for_init(&pairs).expect("valid settings")
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        "[a-zA-Z0-9 .:-]{0,12}".prop_map(Value::from),
        Just(Value::from("00000000-0000-0000-0000-000000000000")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("Status".to_string()),
                        Just("Success".to_string()),
                        Just("Details".to_string()),
                        Just("Items".to_string()),
                        Just("Token".to_string()),
                        Just("ID".to_string()),
                        Just("Estimate".to_string()),
                        Just("TotalPrice".to_string()),
                        Just("Orders".to_string()),
                        Just("FreeStock".to_string()),
                        Just("TotalItemCount".to_string()),
                        "[A-Za-z]{1,8}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A plausible answer: a valid envelope around random details, random JSON,
/// broken bytes, or a transport error.
fn answer() -> impl Strategy<Value = Result<HttpResponse, HttpError>> {
    let status = prop_oneof![
        Just(200u16),
        Just(200),
        Just(400),
        Just(401),
        Just(404),
        Just(429),
        Just(500)
    ];
    let envelope = || {
        (any::<bool>(), json_value()).prop_map(|(ok, details)| {
            json!({"Status": {"Success": ok, "Message": "m"}, "Details": details})
                .to_string()
                .into_bytes()
        })
    };
    let token = Just(
        br#"{"Status":{"Success":true},"Details":{"Token":"5f0e2a9c-1111-2222-3333-444455556666"}}"#.to_vec(),
    );
    let body = prop_oneof![
        envelope(),
        envelope().prop_map(|mut b| {
            b.truncate(b.len() / 2);
            b
        }),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..64),
        token,
    ];
    prop_oneof![
        8 => (status, body).prop_map(|(status, body)| Ok(HttpResponse { status, headers: vec![], body })),
        1 => prop_oneof![
            Just(HttpError::ConnectionRefused),
            Just(HttpError::ResponseTimeout),
            Just(HttpError::ConnectionClosed),
            Just(HttpError::TooLarge),
            Just(HttpError::Denied("denied".into())),
        ]
        .prop_map(Err),
    ]
}

fn assert_typed(r: Result<impl std::fmt::Debug, PluginError>) {
    if let Err(e) = r {
        let text = e.to_string();
        assert!(!text.trim().is_empty(), "an error without a message: {e:?}");
        assert!(!text.contains("Pw-fuzz-9x7"), "the password leaked: {text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn configure_never_panics_and_names_each_bad_field(
        pairs in prop::collection::vec(("[a-z_]{0,24}", "\\PC{0,40}"), 0..16)
    ) {
        let pairs: Vec<(String, String)> = pairs;
        match configure(&pairs) {
            Ok(settings) => prop_assert!(settings.iter().any(|(k, _)| k == "api_url")),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                let known: Vec<String> = info().settings.into_iter().map(|s| s.key).collect();
                for e in errors {
                    prop_assert!(!e.message.is_empty());
                    // Each error names a key the operator gave or one the plugin defines.
                    prop_assert!(pairs.iter().any(|(k, _)| *k == e.key) || known.contains(&e.key), "{:?}", e);
                }
            }
        }
    }

    #[test]
    fn any_tharstern_answers_give_a_value_or_a_typed_error(
        answers in prop::collection::vec(answer(), 1..12),
        quantity in 0u32..100_000,
        product in prop_oneof![Just("1".to_string()), Just("BC-STD".to_string()), "[A-Z0-9:-]{0,10}"],
    ) {
        let c = Tharstern::new(Box::new(Scripted { answers, next: RefCell::new(0), cache: Default::default() }), settings());
        assert_typed(c.check_connection());
        assert_typed(c.price(&PriceRequest {
            product: ProductMapping { product_ref: product.clone(), ..Default::default() },
            quantity,
            ..Default::default()
        }));
        assert_typed(c.stock(&StockRequest { product_ref: product.clone(), minimum_order: Some(quantity), customer: CustomerContext::default() }));
        assert_typed(c.submit_order(&Order {
            order_id: "SF-1".into(),
            customer: CustomerContext::default(),
            order_date: "2026-11-29".into(),
            required_date: None,
            reference: None,
            lines: vec![OrderLine {
                line_ref: "1".into(),
                product_ref: product,
                quantity,
                quote_ref: Some("7".into()),
                price: None,
                price_source: PriceSource::Quote,
                description: None,
                attributes: vec![],
            }],
        }));
        assert_typed(c.order_status("SF-1", Some("3")));
        assert_typed(c.refresh_catalogue());
        assert_typed(c.products(0, 10, Some("a")));
    }

    #[test]
    fn any_webhook_gives_updates_or_a_typed_error(
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..256),
        ],
        signature in prop_oneof![Just(None), "\\PC{0,80}".prop_map(Some)],
    ) {
        let c = Tharstern::new(Box::new(Scripted { answers: vec![Err(HttpError::ConnectionRefused)], next: RefCell::new(0), cache: Default::default() }), settings());
        let headers = signature.map(|s| vec![("X-Tharstern-Signature".to_string(), s)]).unwrap_or_default();
        assert_typed(c.handle_webhook(&WebhookRequest { headers, body, query: None }));
    }

    #[test]
    fn any_estimate_overrides_and_patches_are_applied_or_rejected(
        overrides in prop::collection::vec(("[A-Za-z\\[\\]0-9.]{0,16}", "\\PC{0,12}"), 0..6),
        patch in prop::option::of(prop_oneof![json_value().prop_map(|v| v.to_string()), "\\PC{0,30}"]),
    ) {
        let example = json!({"Status": {"Success": true}, "Details": {
            "Title": "Example", "ProductTypeId": 1, "Quantity": 100, "Customer": {"Code": "X"},
            "Parts": [{"Name": "Text", "Quantity": 100, "Pages": 2, "PaperCode": "SILK"}],
            "Processes": [{"ProcessTypeID": 1, "Value": "1"}]
        }}).to_string().into_bytes();
        let token = br#"{"Status":{"Success":true},"Details":{"Token":"5f0e2a9c-1111-2222-3333-444455556666"}}"#.to_vec();
        let created = br#"{"Status":{"Success":true},"Details":{"Estimate":{"ID":5,"EstimateRef":"E5","TotalPrice":12.5}}}"#.to_vec();
        let ok = |body: Vec<u8>| Ok(HttpResponse { status: 200, headers: vec![], body });
        let c = Tharstern::new(
            Box::new(Scripted { answers: vec![ok(token), ok(example), ok(created)], next: RefCell::new(0), cache: Default::default() }),
            settings(),
        );
        let result = c.price(&PriceRequest {
            product: ProductMapping { product_ref: "1".into(), overrides, advanced_json: patch },
            quantity: 10,
            ..Default::default()
        });
        assert_typed(result);
    }
}
