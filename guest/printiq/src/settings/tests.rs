//! The settings schema.

use crate::settings::normalise_api_url;
use crate::test_support::*;

#[test]
fn the_schema_is_connect_printiqs() {
    let i = PrintIq::info();
    assert_eq!(
        (i.id.as_str(), i.endpoint_setting.as_deref()),
        ("printiq", Some("api_url"))
    );
    let keys: Vec<&str> = i.settings.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "api_url",
            "user_name",
            "password",
            "application_name",
            "application_key",
            "customer_code",
            "price_list_level",
            "api_name",
            "api_key",
            "cache_refresh_minutes",
            "stock_cache_seconds",
            "minimum_order_stock_check",
            "currency"
        ]
    );
    let secret: Vec<&str> = i
        .settings
        .iter()
        .filter(|s| s.secret)
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(secret, ["password", "application_key", "api_key"]);
    let e = settings_for_init(&[]).unwrap_err();
    assert!(
        matches!(e, PluginError::Configuration(m) if m.contains("application_key") && m.contains("customer_code"))
    );
    let s = settings_with(&[("currency", "eur")]);
    assert_eq!(
        (
            s.currency.as_str(),
            s.cache_refresh_minutes,
            s.price_list_level
        ),
        ("EUR", 1440, None)
    );
}

#[test]
fn instance_urls_are_normalised() {
    assert_eq!(
        normalise_api_url("https://ACME.printiq.com/").unwrap(),
        "https://acme.printiq.com"
    );
    assert_eq!(
        normalise_api_url("http://127.0.0.1:8080/api/QuoteProcess/").unwrap(),
        "http://127.0.0.1:8080"
    );
    assert_eq!(
        normalise_api_url("https://h/piq/api").unwrap(),
        "https://h/piq"
    );
    for bad in [
        "acme.printiq.com",
        "ftp://h",
        "https://u:p@h",
        "https://h/?x=1",
        "https:///x",
    ] {
        assert!(normalise_api_url(bad).is_err(), "{bad}");
    }
}
