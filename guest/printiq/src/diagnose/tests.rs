//! Check Connection: a precise diagnosis.

use crate::test_support::*;

fn healthy(fake: &Fake) {
    fake.on_ok(
        "GetTreeNodes",
        json!({"TreeNodes": [{"ID": 1, "Name": "Cards"}]}),
    );
    fake.respond(
        Method::Get,
        "/WebService/WebHook.svc/json/customerbycode/WEBSHOP",
        ok(json!({"ID": 3, "Code": "WEBSHOP", "Name": "Web Shop", "Active": true})),
    );
}

#[test]
fn a_healthy_connection_lists_its_checks() {
    let fake = piq();
    healthy(&fake);
    let r = connector(&fake).check_connection().unwrap();
    let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "endpoint reached",
            "credentials accepted",
            "default customer code",
            "webhook-service API key accepted"
        ]
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r.summary.contains("https://acme.printiq.com"));
}

#[test]
fn each_failure_says_what_is_wrong() {
    let kind = |fake: &Fake, extra: &[(&str, &str)]| {
        PrintIq::new(fake.host(), settings_with(extra))
            .check_connection()
            .unwrap_err()
    };
    let down = TestPlatform::new(BASE);
    down.on(Method::Post, "/", |_| Err(HttpError::ConnectionRefused));
    assert!(
        matches!(kind(&down, &[]), PluginError::Unreachable(m) if m.contains("refused the connection"))
    );

    let web = TestPlatform::new(BASE);
    web.respond(
        Method::Post,
        "/",
        text_response(200, "text/html", "<html>login page</html>"),
    );
    assert!(
        matches!(kind(&web, &[]), PluginError::Configuration(m) if m.contains("not the printIQ API"))
    );

    let wrong = TestPlatform::new(BASE);
    wrong.respond(
        Method::Post,
        "/",
        text_response(404, "text/html", "<html>404</html>"),
    );
    assert!(
        matches!(kind(&wrong, &[]), PluginError::Configuration(m) if m.contains("check the API URL"))
    );

    let fake = piq();
    fake.respond(
        Method::Post,
        &qp("GetTreeNodes"),
        is_error("Customer not found"),
    );
    assert!(
        matches!(kind(&fake, &[]), PluginError::Configuration(m) if m.contains("default customer code"))
    );

    let fake = piq();
    healthy(&fake);
    fake.respond(
        Method::Get,
        "/WebService",
        text_response(401, "text/plain", ""),
    );
    assert!(matches!(kind(&fake, &[]), PluginError::Authentication(m) if m.contains("API name")));
}

#[test]
fn what_works_but_deserves_attention_is_a_warning() {
    let fake = piq();
    fake.on_ok("GetTreeNodes", json!({"TreeNodes": []}));
    fake.respond(
        Method::Get,
        "/WebService",
        ok(json!({"Code": "WEBSHOP", "Active": "No"})),
    );
    let r = connector(&fake).check_connection().unwrap();
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    let r = PrintIq::new(
        fake.host(),
        settings_with(&[("api_name", ""), ("api_key", "")]),
    )
    .check_connection()
    .unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("stock")));
}
