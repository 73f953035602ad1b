//! The request discipline against the scripted platform.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::json;

use super::*;
use crate::testing::{TestPlatform, json_response, text_response};

const BASE: &str = "https://api.example/";

fn api() -> JsonApi<'static> {
    JsonApi {
        name: "Acme",
        credentials: Some(("X-Api-Key", "k")),
    }
}

#[test]
fn urls_encode_their_query() {
    assert_eq!(
        url(BASE, "p", &[("a b", "x&y=z"), ("e", "é")]),
        "https://api.example/p?a%20b=x%26y%3Dz&e=%C3%A9"
    );
    assert_eq!(label("p", &[("a", "1"), ("b", "2")]), "p?a=1&b=2");
    assert_eq!(clip("abcdef", 3), "abc...");
    assert_eq!(clip("é", 1), "...");
}

#[test]
fn idempotent_requests_are_retried_once_on_a_server_error() {
    let p = TestPlatform::new(BASE);
    let n = Rc::new(Cell::new(0));
    let m = n.clone();
    p.on(Method::Get, "items", move |_| {
        m.set(m.get() + 1);
        Ok(if m.get() == 1 {
            json_response(502, &json!({}))
        } else {
            json_response(200, &json!({"ok": true}))
        })
    });
    let c = Client::new(&p, BASE, api());
    assert_eq!(c.get("items", &[]).unwrap(), json!({"ok": true}));
    assert_eq!(n.get(), 2);
    assert!(
        p.logs_text()
            .contains("GET items answered HTTP 502; retrying once")
    );
    let sent = &p.requests()[0];
    assert!(sent.headers.contains(&("X-Api-Key".into(), "k".into())));

    // Twice in a row: a typed error, and no third attempt.
    p.respond_json(Method::Get, "down", 503, json!({}));
    let e = c.get("down", &[]).unwrap_err();
    assert!(matches!(e, PluginError::Unreachable(_)), "{e:?}");
    assert_eq!(p.count(Method::Get, "down"), 2);
}

#[test]
fn posts_are_never_retried() {
    let p = TestPlatform::new(BASE);
    p.respond_json(Method::Post, "orders", 500, json!({}));
    let c = Client::new(&p, BASE, api());
    assert!(c.post("orders", b"{}").is_err());
    assert_eq!(p.count(Method::Post, "orders"), 1);
    p.on(Method::Post, "lost", |_| Err(HttpError::ResponseTimeout));
    assert!(matches!(
        c.post("lost", b"{}"),
        Err(PluginError::Unreachable(_))
    ));
    assert_eq!(p.count(Method::Post, "lost"), 1);
}

#[test]
fn transport_failures_and_broken_answers() {
    let p = TestPlatform::new(BASE);
    p.on(Method::Get, "closed", |_| Err(HttpError::ConnectionClosed));
    p.on(Method::Get, "refused", |_| {
        Err(HttpError::ConnectionRefused)
    });
    p.on(Method::Get, "denied", |_| {
        Err(HttpError::Denied("not allowed".into()))
    });
    p.respond(
        Method::Get,
        "broken",
        text_response(200, "application/json", "{\"a\":"),
    );
    let c = Client::new(&p, BASE, api());
    assert!(matches!(
        c.get("closed", &[]),
        Err(PluginError::Unreachable(_))
    ));
    assert_eq!(p.count(Method::Get, "closed"), 2);
    assert!(c.get("refused", &[]).is_err());
    assert_eq!(
        p.count(Method::Get, "refused"),
        1,
        "a refusal is not transient"
    );
    assert!(matches!(
        c.get("denied", &[]),
        Err(PluginError::Configuration(_))
    ));
    assert!(c.get("broken", &[]).is_err());
    assert_eq!(
        p.count(Method::Get, "broken"),
        2,
        "a broken answer is retried"
    );
}

/// An API whose token is refused once.
struct Tokens<'a> {
    p: &'a TestPlatform,
    issued: Cell<u32>,
}

impl Api for Tokens<'_> {
    type Reply = HttpResponse;
    fn authorise(&self, headers: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        headers.push(("Authorization".into(), format!("t{}", self.issued.get())));
        Ok(())
    }
    fn reauthenticate(&self) -> Result<bool, PluginError> {
        self.issued.set(self.issued.get() + 1);
        Ok(true)
    }
    fn transport_error(&self, _: &str, e: &HttpError) -> PluginError {
        PluginError::Unreachable(format!("{e:?}"))
    }
    fn interpret(&self, _: &str, resp: HttpResponse) -> Result<HttpResponse, Failure> {
        let _ = self.p;
        match resp.status {
            401 => Err(PluginError::Authentication("refused".into()).into()),
            _ => Ok(resp),
        }
    }
}

#[test]
fn a_refused_token_is_renewed_once() {
    let p = TestPlatform::new(BASE);
    p.on(Method::Get, "me", |req| {
        let ok = req
            .headers
            .iter()
            .any(|(k, v)| k == "Authorization" && v == "t1");
        Ok(json_response(if ok { 200 } else { 401 }, &json!({})))
    });
    let api = Tokens {
        p: &p,
        issued: Cell::new(0),
    };
    let c = Client::new(&p, BASE, api);
    assert_eq!(c.get("me", &[]).unwrap().status, 200);
    assert_eq!(p.count(Method::Get, "me"), 2);

    // Refused again after renewing: an authentication error, not a loop.
    p.respond_json(Method::Get, "never", 401, json!({}));
    assert!(matches!(
        c.get("never", &[]),
        Err(PluginError::Authentication(_))
    ));
    assert_eq!(p.count(Method::Get, "never"), 2);
}

/// An API that takes its token in the query and says "expired" in a 200.
struct QueryTokens {
    issued: Cell<u32>,
}

impl Api for QueryTokens {
    type Reply = HttpResponse;
    fn authorise_query(&self, query: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        query.push(("Token".into(), format!("t {}", self.issued.get())));
        Ok(())
    }
    fn refused(&self, resp: &HttpResponse) -> bool {
        resp.body.starts_with(b"expired")
    }
    fn reauthenticate(&self) -> Result<bool, PluginError> {
        self.issued.set(self.issued.get() + 1);
        Ok(true)
    }
    fn transport_error(&self, _: &str, e: &HttpError) -> PluginError {
        PluginError::Unreachable(format!("{e:?}"))
    }
    fn interpret(&self, _: &str, resp: HttpResponse) -> Result<HttpResponse, Failure> {
        match resp.status {
            500.. => Err(Failure {
                error: PluginError::Unreachable("5xx".into()),
                retry: false,
            }),
            _ => Ok(resp),
        }
    }
}

#[test]
fn query_credentials_renewed_on_a_refusal_the_api_recognises() {
    let p = TestPlatform::new(BASE);
    p.on(Method::Post, "q", |req| {
        let fresh = req.url.ends_with("?a=1&Token=t%201");
        Ok(text_response(
            200,
            "text/plain",
            if fresh { "ok" } else { "expired" },
        ))
    });
    let c = Client::new(
        &p,
        BASE,
        QueryTokens {
            issued: Cell::new(0),
        },
    );
    let r = c
        .request(Method::Post, "q", &[("a", "1")], Some(b"{}"))
        .unwrap();
    assert_eq!(r.body, b"ok");
    assert_eq!(p.count(Method::Post, "q"), 2);
    // The token never reaches the log.
    assert!(!p.logs_text().contains("Token"), "{}", p.logs_text());

    // A read sent as a POST is retried once on a server error; a POST is not.
    p.respond(Method::Post, "read", text_response(502, "text/plain", ""));
    assert!(c.post_read("read", b"{}").is_err());
    assert_eq!(p.count(Method::Post, "read"), 2);
    assert!(c.post("read", b"{}").is_err());
    assert_eq!(p.count(Method::Post, "read"), 3);
}

#[test]
fn json_answers_read_as_types() {
    #[derive(serde::Deserialize)]
    struct Price {
        minor_units: i64,
    }
    let p = TestPlatform::new(BASE);
    p.respond_json(Method::Get, "price", 200, json!({"minor_units": 5}));
    p.respond_json(Method::Get, "odd", 200, json!({"nope": 5}));
    p.respond_json(Method::Get, "gone", 404, json!({}));
    p.respond_json(Method::Get, "bad", 422, json!({"error": "qty"}));
    p.respond_json(Method::Get, "key", 403, json!({}));
    let c = Client::new(&p, BASE, api());
    assert_eq!(c.get_json::<Price>("price", &[]).unwrap().minor_units, 5);
    assert!(matches!(
        c.get_json::<Price>("odd", &[]),
        Err(PluginError::Internal(_))
    ));
    assert!(matches!(c.get("gone", &[]), Err(PluginError::NotFound(_))));
    assert!(matches!(c.get("bad", &[]), Err(PluginError::Rejected(m)) if m.contains("qty")));
    assert!(matches!(
        c.get("key", &[]),
        Err(PluginError::Authentication(_))
    ));
}

#[test]
fn query_parameters_are_found_and_decoded() {
    assert_eq!(decode("Create%20Job+x%2b%zz%4"), "Create Job x+%zz%4");
    assert_eq!(decode(&encode("p&ss=w rd+1/é")), "p&ss=w rd+1/é");
    let q = "?a=1&EVENT=Create%20Job&b";
    assert_eq!(query_param(q, "event").as_deref(), Some("Create Job"));
    assert_eq!(query_param(q, "a").as_deref(), Some("1"));
    assert_eq!(query_param(q, "b"), None);
    assert_eq!(query_param("", "a"), None);
}

#[test]
fn read_json_bounds_checks_and_words_each_failure() {
    let read = |resp: HttpResponse| {
        read_json(
            "Acme",
            "https://api.example",
            "GET x",
            resp,
            64,
            |status, body| status_error("Acme", "https://api.example", "GET x", status, body),
        )
    };
    let ok = read(text_response(200, "application/json", r#"{"a": 1.10}"#)).unwrap();
    assert_eq!(ok.raw(&[crate::json::Step::Key("a")]), Some("1.10"));
    let big = read(json_response(200, &json!({"a": "x".repeat(100)}))).unwrap_err();
    assert!(matches!(big.error, PluginError::Internal(m) if m.contains("larger than 64")));
    let cut = read(text_response(200, "application/json", "{\"a\": ")).unwrap_err();
    assert!(cut.retry && matches!(cut.error, PluginError::Unreachable(_)));
    let page = read(text_response(200, "text/html", "<html>")).unwrap_err();
    assert!(
        !page.retry
            && matches!(page.error, PluginError::Configuration(m) if m.contains("not the Acme API"))
    );
    let kinds: Vec<&str> = [401, 404, 400, 503, 418]
        .map(|s| {
            read(text_response(s, "text/plain", "no"))
                .unwrap_err()
                .error
                .kind()
        })
        .to_vec();
    assert_eq!(
        kinds,
        [
            "authentication",
            "configuration",
            "rejected",
            "unreachable",
            "rejected"
        ]
    );
}

#[test]
fn advanced_json_is_merged_only_as_an_object() {
    let mut body = json!({"a": 1, "b": {"c": 2}});
    crate::json::merge_advanced(&mut body, Some(r#" {"b": {"c": null, "d": 3}} "#)).unwrap();
    assert_eq!(body, json!({"a": 1, "b": {"d": 3}}));
    crate::json::merge_advanced(&mut body, Some("  ")).unwrap();
    for bad in ["{", "[1]"] {
        let e = crate::json::merge_advanced(&mut body, Some(bad)).unwrap_err();
        assert!(matches!(e, PluginError::Rejected(m) if m.contains("advanced JSON")));
    }
}
