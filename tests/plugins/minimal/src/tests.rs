//! The minimal connector against the SDK's scripted platform.

use connect_plugin_sdk::testing::TestPlatform;
use connect_plugin_sdk::{Connector, Method, PluginError, PriceRequest, ProductMapping};
use serde_json::json;

use super::Minimal;

fn settings(url: &str) -> Vec<(String, String)> {
    vec![
        ("api_url".into(), url.into()),
        ("api_key".into(), "k3y".into()),
    ]
}

fn connector(platform: &TestPlatform) -> Minimal {
    let values =
        connect_plugin_sdk::init_settings::<Minimal>(&settings(" https://p.example/v1/ ")).unwrap();
    Minimal::init(values, platform.host()).unwrap()
}

fn request(qty: u32) -> PriceRequest {
    PriceRequest {
        product: ProductMapping {
            product_ref: "flyer a5".into(),
            ..Default::default()
        },
        quantity: qty,
        ..Default::default()
    }
}

#[test]
fn prices_from_the_api() {
    let p = TestPlatform::new("https://p.example/v1");
    p.respond_json(
        Method::Get,
        "/price",
        200,
        json!({"minor_units": 1250, "currency": "GBP"}),
    );
    let q = connector(&p).price(&request(100)).unwrap();
    assert_eq!(
        (q.total.minor_units, q.total.currency.as_str()),
        (1250, "GBP")
    );
    let sent = &p.requests()[0];
    assert_eq!(
        sent.url,
        "https://p.example/v1/price?product=flyer%20a5&qty=100"
    );
    assert!(
        sent.headers
            .contains(&("Authorization".into(), "Bearer k3y".into()))
    );
}

#[test]
fn a_server_error_is_retried_once_then_unreachable() {
    let p = TestPlatform::new("https://p.example/v1");
    p.respond_json(Method::Get, "/price", 503, json!({}));
    let e = connector(&p).price(&request(1)).unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)), "{e:?}");
    assert_eq!(p.count(Method::Get, "/price"), 2);
}

#[test]
fn settings_and_defaults() {
    let errs = Minimal::configure(&[]).unwrap_err();
    assert_eq!(errs.len(), 2);
    let info = Minimal::info();
    assert!(info.settings.iter().any(|s| s.key == "api_key" && s.secret));
    let p = TestPlatform::default();
    let e = connector(&p).stock(&Default::default()).unwrap_err();
    assert!(matches!(e, PluginError::Unsupported(_)));
    p.respond_json(
        Method::Get,
        "https://p.example/v1/health",
        200,
        json!({"ok": true}),
    );
    assert!(
        connector(&p)
            .check_connection()
            .unwrap()
            .warnings
            .is_empty()
    );
}

/// The guide (`guest/sdk/README.md`) shows this crate's `src/lib.rs` in full.
#[test]
fn the_guide_shows_this_connector_verbatim() {
    let guide = include_str!("../../../../guest/sdk/README.md");
    let source = include_str!("lib.rs");
    assert!(
        guide.contains(source),
        "guest/sdk/README.md no longer contains tests/plugins/minimal/src/lib.rs verbatim: update the guide"
    );
}
