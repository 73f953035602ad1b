//! Check Connection: every check, every failure told apart.

use crate::test_support::*;
use crate::*;

#[test]
fn check_connection_reports_every_check() {
    let fake = mis();
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
        let fake = mis();
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
    let fake = mis();
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

    let fake = mis();
    healthy(&fake);
    fake.on(Method::Get, "customers", |_| {
        Err(HttpError::ResponseTimeout)
    });
    let e = connector(&fake).check_connection().unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)));
    assert_eq!(fake.count(Method::Get, "customers"), 2);

    // Refused connections are not retried (a configuration or firewall issue).
    let fake = mis();
    fake.on(Method::Get, "customers", |_| {
        Err(HttpError::ConnectionRefused)
    });
    assert!(connector(&fake).check_connection().is_err());
    assert_eq!(fake.count(Method::Get, "customers"), 1);

    // 429 is not hammered, and the message carries Retry-After.
    let fake = mis();
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
