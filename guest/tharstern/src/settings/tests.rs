use super::*;
use crate::FieldError;
use crate::sdk::settings;

fn configure(input: &[(String, String)]) -> Result<Settings, Vec<FieldError>> {
    settings::configure(SETTINGS, input)
        .map(|v| Settings::from_values(&v).expect("validated settings fit"))
}

fn specs() -> Vec<crate::SettingSpec> {
    settings::specs(SETTINGS)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn minimal() -> Vec<(String, String)> {
    pairs(&[
        (API_URL, "https://mis.example.com"),
        (EMAIL, "api@example.com"),
        (PASSWORD, "s3cret pw"),
        (APPLICATION_ID, "shop-1"),
        (CUSTOMER_CODE, "SHOP"),
    ])
}

#[test]
fn defaults_are_filled_and_url_normalised() {
    let s = configure(&minimal()).unwrap();
    assert_eq!(s.api_url, "https://mis.example.com/TharsternAPI/api/");
    assert_eq!(s.cache_refresh_minutes, 1440);
    assert_eq!(s.product_type_filter, vec!["Finished", "None"]);
    assert_eq!(s.send_price, SendPrice::WithLogic);
    assert!(!s.use_external_id_as_customer_code);
    assert!(s.minimum_order_stock_check);
    assert_eq!(s.stock_cache_seconds, 60);
    assert_eq!(s.currency, "GBP");
    assert_eq!(s.webhook_secret, None);
    assert_eq!(s.password, "s3cret pw");
    let out = crate::configure(&minimal()).unwrap();
    let get = |k: &str| out.iter().find(|(kk, _)| kk == k).unwrap().1.clone();
    assert_eq!(get(USE_EXTERNAL_ID), "false");
    assert_eq!(get(MINIMUM_ORDER_STOCK_CHECK), "true");
    assert_eq!(get(SEND_PRICE), "With logic");
    assert_eq!(get(PRODUCT_TYPE_FILTER), "Finished,None");
    assert_eq!(get(PASSWORD), "s3cret pw");
    assert!(out.iter().all(|(k, _)| k != WEBHOOK_SECRET));
    // Normalising is idempotent.
    assert_eq!(configure(&out).unwrap(), s);
}

#[test]
fn url_forms() {
    let n = |u: &str| normalise_api_url(u).unwrap();
    assert_eq!(n("http://h:8080"), "http://h:8080/TharsternAPI/api/");
    assert_eq!(
        n("HTTPS://H.Example.com/"),
        "https://h.example.com/TharsternAPI/api/"
    );
    assert_eq!(
        n("https://h/tharsternapi/API"),
        "https://h/TharsternAPI/api/"
    );
    assert_eq!(n("https://h/TharsternAPI"), "https://h/TharsternAPI/api/");
    assert_eq!(
        n("https://h:9443/TharsternAPI/api/"),
        "https://h:9443/TharsternAPI/api/"
    );
    assert_eq!(
        n("https://h/mis/TharsternAPI/api/products"),
        "https://h/mis/TharsternAPI/api/"
    );
    assert_eq!(
        n("http://[::1]:3000"),
        "http://[::1]:3000/TharsternAPI/api/"
    );
    assert!(normalise_api_url("ftp://h").is_err());
    assert!(normalise_api_url("h.example.com").is_err());
    assert!(normalise_api_url("https://u:p@h").is_err());
    assert!(normalise_api_url("https://h:99999").is_err());
    assert!(normalise_api_url("https://h/?x=1").is_err());
    assert!(normalise_api_url("https://bad host/").is_err());
}

#[test]
fn every_error_is_reported_at_once() {
    let errs = configure(&pairs(&[
        (API_URL, "ftp://x"),
        (EMAIL, "not-an-email"),
        (CACHE_REFRESH_MINUTES, "0"),
        (PRODUCT_TYPE_FILTER, "Finished,Bogus"),
        (SEND_PRICE, "sometimes"),
        (USE_EXTERNAL_ID, "maybe"),
        (STOCK_CACHE_SECONDS, "abc"),
        (CURRENCY, "POUND"),
        ("colour", "blue"),
    ]))
    .unwrap_err();
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    for k in [
        API_URL,
        EMAIL,
        PASSWORD,
        APPLICATION_ID,
        CUSTOMER_CODE,
        CACHE_REFRESH_MINUTES,
        PRODUCT_TYPE_FILTER,
        SEND_PRICE,
        USE_EXTERNAL_ID,
        STOCK_CACHE_SECONDS,
        CURRENCY,
        "colour",
    ] {
        assert!(keys.contains(&k), "missing error for {k}: {errs:?}");
    }
    assert!(errs.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn choices_and_booleans_are_normalised() {
    let mut input = minimal();
    input.extend(pairs(&[
        (PRODUCT_TYPE_FILTER, " part , finished,PART"),
        (SEND_PRICE, "with_logic"),
        (USE_EXTERNAL_ID, "Yes"),
        (MINIMUM_ORDER_STOCK_CHECK, "0"),
        (CURRENCY, "eur"),
        (CACHE_REFRESH_MINUTES, " 43200 "),
        (STOCK_CACHE_SECONDS, "0"),
        (WEBHOOK_SECRET, "whsec"),
    ]));
    let s = configure(&input).unwrap();
    assert_eq!(s.product_type_filter, vec!["Finished", "Part"]);
    assert_eq!(s.send_price, SendPrice::WithLogic);
    assert!(s.use_external_id_as_customer_code);
    assert!(!s.minimum_order_stock_check);
    assert_eq!(s.currency, "EUR");
    assert_eq!(s.cache_refresh_minutes, 43200);
    assert_eq!(s.stock_cache_seconds, 0);
    assert_eq!(s.webhook_secret.as_deref(), Some("whsec"));
}

#[test]
fn bounds_and_duplicates() {
    let mut input = minimal();
    input.push((CACHE_REFRESH_MINUTES.into(), "43201".into()));
    input.push((STOCK_CACHE_SECONDS.into(), "3601".into()));
    input.push((EMAIL.into(), "again@example.com".into()));
    let errs = configure(&input).unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
}

#[test]
fn origin_host_port() {
    let mut s = configure(&minimal()).unwrap();
    assert_eq!(s.origin(), "https://mis.example.com");
    assert_eq!(s.host(), "mis.example.com");
    assert_eq!(s.port(), 443);
    s.api_url = "http://[::1]:3000/TharsternAPI/api/".into();
    assert_eq!(s.host(), "::1");
    assert_eq!(s.port(), 3000);
}

#[test]
fn debug_redacts_secrets() {
    let mut input = minimal();
    input.push((WEBHOOK_SECRET.into(), "topsecret".into()));
    let s = configure(&input).unwrap();
    let d = format!("{s:?}");
    assert!(!d.contains("s3cret") && !d.contains("topsecret"));
}

#[test]
fn specs_cover_every_key() {
    let specs = specs();
    assert_eq!(specs.len(), 13);
    let pw = specs.iter().find(|s| s.key == PASSWORD).unwrap();
    assert!(pw.secret && pw.required);
    let ws = specs.iter().find(|s| s.key == WEBHOOK_SECRET).unwrap();
    assert!(ws.secret && !ws.required);
    let cr = specs
        .iter()
        .find(|s| s.key == CACHE_REFRESH_MINUTES)
        .unwrap();
    assert_eq!((cr.min, cr.max), (Some(1), Some(43200)));
}
