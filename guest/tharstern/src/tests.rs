//! Whole-connector tests: secrets, self-description.

use crate::test_support::*;
use crate::*;

#[test]
fn secrets_never_reach_logs_or_errors() {
    let fake = mis();
    // A server that echoes the request URL (with the password) in its error.
    fake.on(Method::Get, "authentication", |req| {
        Ok(envelope(
            500,
            false,
            &format!("failed for {}", req.url),
            Value::Null,
        ))
    });
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("webhook_secret", "whsec-123")]),
    );
    // Through the exports, as the host calls: the error hook redacts.
    let e = Exported(&c).check_connection().unwrap_err();
    assert!(
        !e.message().contains(PASSWORD) && !e.message().contains("p%26ss%3Dw%20rd%2B1"),
        "{e:?}"
    );

    let fake = mis();
    with_estimates(&fake);
    healthy(&fake);
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("webhook_secret", "whsec-123")]),
    );
    c.check_connection().unwrap();
    c.price(&price_request(1)).unwrap();
    let logs = fake.logs_text();
    let token = "9d6c1f2a-0000-4000-8000-00000000000";
    for secret in [PASSWORD, "p%26ss", token, "whsec-123"] {
        assert!(!logs.contains(secret), "log leaks {secret}: {logs}");
    }
    assert!(!format!("{:?}", c.settings()).contains(PASSWORD));
    assert!(!format!("{:?}", fake.requests()[0]).contains("p%26ss"));
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
