//! Login, token renewal, printIQ's error model, redaction.

use crate::client::classify;
use crate::test_support::*;

#[test]
fn the_token_is_cached_and_renewed_once_when_printiq_calls_it_invalid() {
    let fake = piq();
    fake.on(Method::Post, &qp("GetTreeNodes"), |req| {
        Ok(if req.url.contains("LoginToken=5d0c6a1e-token-2") {
            ok(json!({"TreeNodes": []}))
        } else {
            is_error("Invalid login token")
        })
    });
    let c = connector(&fake);
    let client = c.client();
    client.read("GetTreeNodes", &json!({})).unwrap();
    assert_eq!(fake.count(Method::Post, &qp("GetApplicationLogInToken")), 2);
    assert_eq!(fake.count(Method::Post, &qp("GetTreeNodes")), 2);
    // The renewed token is reused.
    client.read("GetTreeNodes", &json!({})).unwrap();
    assert_eq!(fake.count(Method::Post, &qp("GetApplicationLogInToken")), 2);

    // Still invalid after logging in again: printIQ's sessions are failing
    // (the login itself worked): a retryable error, no loop.
    fake.on(Method::Post, &qp("GetTreeNodes"), |_| {
        Ok(is_error("Invalid login token"))
    });
    let e = client.read("GetTreeNodes", &json!({})).unwrap_err();
    assert!(
        matches!(&e, PluginError::Unreachable(m) if m.contains("even after logging in again")),
        "{e:?}"
    );
    assert_eq!(fake.count(Method::Post, &qp("GetApplicationLogInToken")), 3);
}

#[test]
fn a_blank_token_is_bad_credentials_and_never_cached() {
    let fake = TestPlatform::new(BASE);
    fake.respond_json(
        Method::Post,
        &qp("GetApplicationLogInToken"),
        200,
        json!(""),
    );
    let c = connector(&fake);
    let e = c.check_connection().unwrap_err();
    assert!(
        matches!(&e, PluginError::Authentication(m) if m.contains("application key")),
        "{e:?}"
    );
    assert!(fake.cache_keys().is_empty());
}

#[test]
fn is_error_answers_become_typed_errors_with_printiqs_words() {
    let w = "POST GetPrice";
    assert!(
        matches!(classify(w, "Invalid Product Code"), PluginError::NotFound(m) if m.contains("Invalid Product Code"))
    );
    assert!(matches!(
        classify(w, "Customer not found"),
        PluginError::NotFound(_)
    ));
    assert!(matches!(
        classify(w, "Please call for price"),
        PluginError::NoPrice(_)
    ));
    assert!(
        matches!(classify(w, "Quantity must be positive"), PluginError::Rejected(m) if m.contains("Quantity must be positive"))
    );
    assert!(matches!(
        classify(w, "Invalid login token"),
        PluginError::Unreachable(_)
    ));

    let fake = piq();
    fake.respond(
        Method::Post,
        &qp("GetQuoteDetails"),
        text_response(200, "text/html", "<html>IIS</html>"),
    );
    fake.respond(
        Method::Post,
        &qp("GetTreeNodes"),
        text_response(503, "text/html", "<html>down</html>"),
    );
    fake.respond(
        Method::Post,
        &qp("GetFilters"),
        text_response(200, "application/json", r#"{"IsError":false,"Filt"#),
    );
    fake.respond(
        Method::Get,
        "/WebService",
        text_response(401, "text/plain", ""),
    );
    fake.on(Method::Post, &qp("GetPrice"), |_| {
        Ok(ok(
            json!({"IsWarning": true, "WarningMessage": "Stock low", "QuoteDetails": null}),
        ))
    });
    let c = connector(&fake);
    let client = c.client();
    assert!(matches!(
        client.read("GetQuoteDetails", &json!({})),
        Err(PluginError::Configuration(_))
    ));
    assert!(matches!(
        client.read("GetTreeNodes", &json!({})),
        Err(PluginError::Unreachable(_))
    ));
    assert_eq!(
        fake.count(Method::Post, &qp("GetTreeNodes")),
        2,
        "a read is retried once"
    );
    assert!(matches!(
        client.read("GetFilters", &json!({})),
        Err(PluginError::Unreachable(_))
    ));
    assert!(
        matches!(client.service_get("inventoryitems/X"), Err(PluginError::Authentication(m)) if m.contains("API name"))
    );
    // A warning never blocks; it is logged.
    client.create("GetPrice", &json!({})).unwrap();
    assert!(fake.logs_text().contains("Stock low"));
    // Creating calls are never repeated.
    fake.respond(
        Method::Post,
        &qp("AcceptQuote"),
        text_response(500, "text/html", ""),
    );
    assert!(client.create("AcceptQuote", &json!({})).is_err());
    assert_eq!(fake.count(Method::Post, &qp("AcceptQuote")), 1);
}

#[test]
fn secrets_never_reach_messages_or_logs() {
    let fake = TestPlatform::new(BASE);
    // A server that echoes the login URL (password and application key,
    // percent-encoded) in its error.
    fake.on(Method::Post, &qp("GetApplicationLogInToken"), |req| {
        Ok(text_response(
            400,
            "text/plain",
            &format!("bad request {}", req.url),
        ))
    });
    // Through the exports, as the host calls: the error hook redacts.
    let c = connector(&fake);
    let e = Exported(&c).check_connection().unwrap_err();
    let m = e.message();
    for s in [PASSWORD, APP_KEY, "p%26ss%3Dw%20rd%2B1", "app-key%2F9%2B9"] {
        assert!(!m.contains(s), "{s} in {m}");
    }

    // A token echoed inside an IsError answer.
    let fake = piq();
    fake.on(Method::Post, &qp("GetPrice"), |req| {
        Ok(is_error(&format!("Quantity rejected for {}", req.url)))
    });
    let c = connector(&fake);
    let e = Exported(&c)
        .price(&price_request("code:BC", 10))
        .unwrap_err();
    assert!(!e.message().contains(TOKEN), "{e:?}");
    assert!(!e.message().contains(API_KEY));
    let logs = fake.logs_text();
    for s in [PASSWORD, APP_KEY, TOKEN, "p%26ss", API_KEY] {
        assert!(!logs.contains(s), "log leaks {s}: {logs}");
    }
    assert!(!format!("{:?}", c.s).contains(PASSWORD));
}
