//! Who may call what (issue #7, point 7), over real HTTP against a running
//! service: storefront API keys reach only their own storefront's price,
//! stock and order routes; every other route, and every route without a
//! valid credential, is refused and changes nothing; the admin pages need a
//! login.

mod service_support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use service_support::*;

const A: &str = SF;
const B: &str = "other";

/// Every authenticated `/api/v1` route: (method, path, may a storefront key
/// call it on its own storefront). The test checks this table against the
/// OpenAPI document, so a new route cannot be added without deciding here
/// who may call it.
const ROUTES: &[(&str, &str, bool)] = &[
    ("GET", "/plugins", false),
    ("POST", "/plugins", false),
    ("GET", "/plugins/{plugin}", false),
    ("PUT", "/plugins/{plugin}/version", false),
    ("PUT", "/storefronts/{sf}/plugins/{plugin}/version", false),
    ("GET", "/storefronts", false),
    ("POST", "/storefronts", false),
    ("GET", "/storefronts/{sf}", false),
    ("GET", "/storefronts/{sf}/connect", false),
    ("PUT", "/storefronts/{sf}/connect", false),
    ("GET", "/storefronts/{sf}/plugins/{plugin}/settings", false),
    ("PUT", "/storefronts/{sf}/plugins/{plugin}/settings", false),
    (
        "POST",
        "/storefronts/{sf}/plugins/{plugin}/check-connection",
        false,
    ),
    (
        "GET",
        "/storefronts/{sf}/plugins/{plugin}/webhook-secret",
        false,
    ),
    (
        "POST",
        "/storefronts/{sf}/plugins/{plugin}/webhook-secret",
        false,
    ),
    ("GET", "/storefronts/{sf}/plugins/{plugin}/products", false),
    ("POST", "/storefronts/{sf}/catalogue/refresh", false),
    ("GET", "/storefronts/{sf}/departments", false),
    ("PUT", "/storefronts/{sf}/departments/{id}", false),
    ("DELETE", "/storefronts/{sf}/departments/{id}", false),
    ("GET", "/storefronts/{sf}/customers", false),
    ("GET", "/storefronts/{sf}/customers/{id}", false),
    ("PUT", "/storefronts/{sf}/customers/{id}", false),
    ("GET", "/storefronts/{sf}/mappings", false),
    ("GET", "/storefronts/{sf}/mappings/{product}", false),
    ("PUT", "/storefronts/{sf}/mappings/{product}", false),
    ("DELETE", "/storefronts/{sf}/mappings/{product}", false),
    ("GET", "/storefronts/{sf}/keys", false),
    ("POST", "/storefronts/{sf}/keys", false),
    ("DELETE", "/storefronts/{sf}/keys/{key}", false),
    ("POST", "/storefronts/{sf}/price", true),
    ("POST", "/storefronts/{sf}/stock", true),
    ("GET", "/storefronts/{sf}/orders", true),
    ("POST", "/storefronts/{sf}/orders", true),
    ("GET", "/storefronts/{sf}/orders/{id}", true),
    ("POST", "/storefronts/{sf}/orders/{id}/retry", false),
    (
        "POST",
        "/storefronts/{sf}/orders/{id}/refresh-status",
        false,
    ),
];

/// What one storefront's routes are filled in with.
struct Target<'a> {
    sf: &'a str,
    order: &'a str,
    key_id: &'a str,
}

/// The route with its path filled in and a valid body, so a refusal is
/// the access check's doing, not the body's.
fn request(method: &str, route: &str, t: &Target) -> (String, Option<Value>) {
    let id = match route {
        r if r.contains("/departments/") => "acme-marketing",
        r if r.contains("/customers/") => "alice",
        _ => t.order,
    };
    let path = format!(
        "/api/v1{}",
        route
            .replace("{sf}", t.sf)
            .replace("{plugin}", PLUGIN)
            .replace("{id}", id)
            .replace("{product}", "pens")
            .replace("{key}", t.key_id)
    );
    let body = match (method, route.rsplit('/').next().unwrap()) {
        ("POST", "storefronts") => Some(json!({"id": "intruder"})),
        ("PUT", "connect") => Some(json!({"enabled_plugins": []})),
        ("PUT", "settings") => Some(json!({"api_url": "http://attacker.example"})),
        ("PUT", "{id}") if route.contains("/departments/") => {
            Some(json!({"name": "Renamed", "customer_code": "EVIL"}))
        }
        ("PUT", "{id}") => Some(json!({"email": "mallory@example.com"})),
        ("PUT", "{product}") => Some(json!({"product_ref": "STK-MUG"})),
        ("POST", "keys") => Some(json!({"label": "minted"})),
        ("PUT", "version") => Some(json!({"version": null})),
        ("POST", "price") => Some(json!({"product": "business-cards", "quantity": 500})),
        ("POST", "stock") => Some(json!({"product": "pens"})),
        ("POST", "orders") => {
            Some(json!({"id": "X-1", "lines": [{"product": "pens", "quantity": 1}]}))
        }
        _ => None,
    };
    (path, body)
}

/// Everything an admin can read about a storefront, to show a refused
/// request changed nothing. Orders are compared by id and content (their
/// delivery state moves on by itself).
async fn snapshot(admin: &Api, sf: &str) -> Value {
    let mut out = serde_json::Map::new();
    for part in [
        "",
        "/connect",
        "/plugins/tharstern/settings",
        "/departments",
        "/customers",
        "/mappings",
        "/keys",
    ] {
        let path = format!("/api/v1/storefronts/{sf}{part}");
        out.insert(path.clone(), admin.ok("GET", &path, None, 200).await);
    }
    let orders = admin
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{sf}/orders"),
            None,
            200,
        )
        .await;
    let orders: Vec<Value> = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| json!([o["id"], o["order"]]))
        .collect();
    out.insert("orders".into(), json!(orders));
    Value::Object(out)
}

fn with_token(api: &Api, token: Option<&str>) -> Api {
    Api {
        token: token.map(str::to_string),
        ..api.clone()
    }
}

async fn create_key(admin: &Api, sf: &str, label: &str) -> (String, String) {
    let created = admin
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{sf}/keys"),
            Some(json!({ "label": label })),
            201,
        )
        .await;
    let key = created["key"]
        .as_str()
        .expect("the key is answered")
        .to_string();
    assert!(key.starts_with("csk_") && key.len() >= 40, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(created["label"], label);
    (created["id"].as_str().unwrap().to_string(), key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storefront_keys_reach_only_their_own_storefront() {
    let sim = start_sim().await;
    let service = start_service(|_| {}).await;
    let admin = Api::new(&service.url);
    configure_storefront_as(&admin, &sim, A).await;
    configure_storefront_as(&admin, &sim, B).await;

    // The OpenAPI document lists exactly the routes of the table.
    let doc = admin.ok("GET", "/api/v1/openapi.json", None, 200).await;
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|m| *m != "parameters")
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, table,
        "the route table and the OpenAPI document differ"
    );

    // Keys: answered once, listed without the key.
    let (a_id, a_key) = create_key(&admin, A, "shop live").await;
    let (b_id, b_key) = create_key(&admin, B, "other live").await;
    let listed = admin
        .ok("GET", &format!("/api/v1/storefronts/{A}/keys"), None, 200)
        .await;
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["keys"][0]["id"], a_id.as_str());
    assert!(
        !listed.to_string().contains(&a_key),
        "a listing shows a key"
    );
    let (status, body) = admin
        .post(
            &format!("/api/v1/storefronts/{A}/keys"),
            json!({"label": "x".repeat(101)}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        admin
            .post("/api/v1/storefronts/nowhere/keys", json!({}))
            .await
            .0,
        404
    );

    let key_a = with_token(&admin, Some(&a_key));
    let key_b = with_token(&admin, Some(&b_key));

    // Key A on A's storefront routes.
    let price = key_a
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{A}/price"),
            Some(json!({"product": "business-cards", "quantity": 500})),
            200,
        )
        .await;
    assert_eq!(price["handled"], true, "{price}");
    assert!(
        price["price"]["minor_units"].as_i64().unwrap() > 0,
        "{price}"
    );
    key_a
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{A}/stock"),
            Some(json!({"product": "pens"})),
            200,
        )
        .await;
    key_a
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{A}/orders"),
            Some(json!({"id": "A-1", "lines": [{"product": "pens", "quantity": 1}]})),
            202,
        )
        .await;
    let orders = key_a
        .ok("GET", &format!("/api/v1/storefronts/{A}/orders"), None, 200)
        .await;
    assert_eq!(orders["orders"][0]["id"], "A-1", "{orders}");
    key_a
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{A}/orders/A-1"),
            None,
            200,
        )
        .await;
    // B's own key works on B.
    key_b
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{B}/orders"),
            Some(json!({"id": "B-1", "lines": [{"product": "pens", "quantity": 2}]})),
            202,
        )
        .await;

    // Key A on every route of B: refused, and B is unchanged.
    let before_b = snapshot(&admin, B).await;
    let b = Target {
        sf: B,
        order: "B-1",
        key_id: &b_id,
    };
    let mut refused = 0;
    for (method, route, _) in ROUTES {
        let (path, body) = request(method, route, &b);
        let (status, answer) = key_a.send(method, &path, body).await;
        assert!(
            status == 403 || status == 404,
            "key A on {method} {path}: {status} {answer}"
        );
        if status == 403 {
            assert_eq!(answer["error"]["kind"], "forbidden", "{answer}");
        }
        assert!(
            !answer.to_string().contains(&a_key),
            "an error echoes the key"
        );
        refused += 1;
    }
    assert_eq!(refused, ROUTES.len());
    // B's order by id through A's own path: not A's order.
    assert_eq!(
        key_a
            .get(&format!("/api/v1/storefronts/{A}/orders/B-1"))
            .await
            .0,
        404
    );
    assert_eq!(
        snapshot(&admin, B).await,
        before_b,
        "key A changed storefront B"
    );
    key_b
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{B}/orders/B-1"),
            None,
            200,
        )
        .await;

    // Key A on A's admin routes: 403, and A is unchanged.
    let before_a = snapshot(&admin, A).await;
    let a = Target {
        sf: A,
        order: "A-1",
        key_id: &a_id,
    };
    for (method, route, storefront_route) in ROUTES {
        if *storefront_route {
            continue;
        }
        let (path, body) = request(method, route, &a);
        let (status, answer) = key_a.send(method, &path, body).await;
        assert_eq!(status, 403, "key A on {method} {path}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains("admin token"), "{message}");
    }
    assert_eq!(
        snapshot(&admin, A).await,
        before_a,
        "key A changed its own settings"
    );

    // No credentials, a wrong admin token, an unknown key, another scheme:
    // 401 on every route, for both storefronts.
    for (token, what) in [
        (None, "no credentials"),
        (Some("wrong-admin-token-0123456789"), "a wrong admin token"),
        (
            Some("csk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "an unknown key",
        ),
        (Some(""), "an empty token"),
    ] {
        let client = with_token(&admin, token);
        for t in [&a, &b] {
            for (method, route, _) in ROUTES {
                let (path, body) = request(method, route, t);
                let (status, answer) = client.send(method, &path, body).await;
                assert_eq!(status, 401, "{what} on {method} {path}: {answer}");
                assert_eq!(answer["error"]["kind"], "unauthorized", "{answer}");
            }
        }
    }
    let basic = admin
        .http
        .get(format!("{}/api/v1/storefronts", service.url))
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(snapshot(&admin, A).await, before_a);
    assert_eq!(snapshot(&admin, B).await, before_b);

    // Revoking: the key stops at once; the other key goes on.
    admin
        .ok(
            "DELETE",
            &format!("/api/v1/storefronts/{A}/keys/{a_id}"),
            None,
            204,
        )
        .await;
    let (status, answer) = key_a
        .post(
            &format!("/api/v1/storefronts/{A}/price"),
            json!({"product": "business-cards", "quantity": 500}),
        )
        .await;
    assert_eq!(status, 401, "a revoked key: {answer}");
    assert_eq!(
        admin
            .send(
                "DELETE",
                &format!("/api/v1/storefronts/{A}/keys/{a_id}"),
                None
            )
            .await
            .0,
        404
    );
    // A key id of B under A's path does not revoke B's key.
    assert_eq!(
        admin
            .send(
                "DELETE",
                &format!("/api/v1/storefronts/{A}/keys/{b_id}"),
                None
            )
            .await
            .0,
        404
    );
    key_b
        .ok("GET", &format!("/api/v1/storefronts/{B}/orders"), None, 200)
        .await;

    // Keys are not kept in clear, nor shown in metrics.
    let metrics = reqwest::get(format!("{}/metrics", service.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for key in [&a_key, &b_key] {
        assert!(!metrics.contains(key.as_str()), "metrics show a key");
        for file in std::fs::read_dir(service.dir.path()).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                    "{} holds a key in clear",
                    path.display()
                );
            }
        }
    }
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pages_need_a_login() {
    let service = start_service(|_| {}).await;
    let admin = Api::new(&service.url);
    admin
        .ok("POST", "/api/v1/storefronts", Some(json!({"id": A})), 201)
        .await;
    let (_, key) = create_key(&admin, A, "shop").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let pages = [
        ("GET", "/admin"),
        ("POST", "/admin"),
        ("GET", "/admin/storefronts/shop"),
        ("POST", "/admin/storefronts/shop"),
        ("GET", "/admin/storefronts/shop/plugins"),
        ("GET", "/admin/storefronts/shop/plugins/tharstern/configure"),
        (
            "POST",
            "/admin/storefronts/shop/plugins/tharstern/configure",
        ),
        ("POST", "/admin/storefronts/shop/plugins/tharstern/check"),
        ("POST", "/admin/storefronts/shop/plugins/tharstern/refresh"),
        (
            "POST",
            "/admin/storefronts/shop/plugins/tharstern/webhook-secret",
        ),
        ("GET", "/admin/storefronts/shop/departments"),
        ("POST", "/admin/storefronts/shop/departments"),
        ("POST", "/admin/storefronts/shop/customers"),
        ("GET", "/admin/storefronts/shop/mappings"),
        ("POST", "/admin/storefronts/shop/mappings"),
        ("GET", "/admin/storefronts/shop/orders"),
        ("POST", "/admin/storefronts/shop/orders/x/retry"),
        ("GET", "/admin/storefronts/shop/keys"),
        ("POST", "/admin/storefronts/shop/keys"),
        ("POST", "/admin/storefronts/shop/keys/x/revoke"),
    ];
    // Without a session, with a bearer token or key (the pages take only
    // their login cookie), or with a forged cookie: sent to the login.
    for auth in [
        None,
        Some(format!("Bearer {TOKEN}")),
        Some(format!("Bearer {key}")),
    ] {
        for cookie in [None, Some("connect_admin=99999999999.forged")] {
            for (method, path) in pages {
                let mut req = http
                    .request(method.parse().unwrap(), format!("{}{path}", service.url))
                    .form(&[("id", "made-by-anonymous"), ("name", "x")]);
                if let Some(a) = &auth {
                    req = req.header("authorization", a);
                }
                if let Some(c) = cookie {
                    req = req.header("cookie", c);
                }
                let resp = req.send().await.unwrap();
                assert!(
                    resp.status().is_redirection(),
                    "{method} {path}: {}",
                    resp.status()
                );
                assert_eq!(
                    resp.headers()["location"],
                    "/admin/login",
                    "{method} {path}"
                );
            }
        }
    }
    let listed = admin.ok("GET", "/api/v1/storefronts", None, 200).await;
    assert_eq!(
        listed["storefronts"].as_array().unwrap().len(),
        1,
        "{listed}"
    );

    // A wrong login is refused; the right one gets a session that works.
    let resp = http
        .post(format!("{}/admin/login", service.url))
        .form(&[("username", ""), ("secret", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401, "a storefront key is no login");
    let resp = http
        .post(format!("{}/admin/login", service.url))
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let resp = http
        .get(format!("{}/admin/storefronts/shop", service.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // The API keys tab: a new key is shown once, then only its prefix.
    let page = http
        .post(format!("{}/admin/storefronts/shop/keys", service.url))
        .header("cookie", &cookie)
        .form(&[("label", "web shop")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    let shown = html
        .split("id=\"new-key-value\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new key is shown")
        .to_string();
    assert!(shown.starts_with("csk_"), "{shown}");
    let listed = admin
        .ok("GET", "/api/v1/storefronts/shop/keys", None, 200)
        .await;
    let made = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"] == "web shop")
        .expect("the page's key is listed")
        .clone();
    let again = http
        .get(format!("{}/admin/storefronts/shop/keys", service.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&shown), "the key is shown a second time");
    assert!(again.contains(made["prefix"].as_str().unwrap()));
    let revoked = http
        .post(format!(
            "{}/admin/storefronts/shop/keys/{}/revoke",
            service.url,
            made["id"].as_str().unwrap()
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_redirection());
    let with_key = with_token(&admin, Some(&shown));
    assert_eq!(with_key.get("/api/v1/storefronts/shop/orders").await.0, 401);
    service.stop().await;
}

/// A form posted to the admin pages from another site is refused even with
/// a valid session cookie (a browser that ignored `SameSite` would send
/// it); the same form from the admin pages themselves works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_forms_posted_from_another_site_are_refused() {
    let service = start_service(|_| {}).await;
    let admin = Api::new(&service.url);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Logging in from another site is refused too (login CSRF).
    let resp = http
        .post(format!("{}/admin/login", service.url))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = http
        .post(format!("{}/admin/login", service.url))
        .header("sec-fetch-site", "same-origin")
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let host = service.url.trim_start_matches("http://").to_string();
    let post = |id: &'static str, headers: Vec<(&'static str, String)>| {
        let mut req = http
            .post(format!("{}/admin", service.url))
            .header("cookie", &cookie)
            .form(&[("id", id), ("name", id)]);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    for (id, headers) in [
        ("evil-a", vec![("sec-fetch-site", "cross-site".to_string())]),
        ("evil-b", vec![("sec-fetch-site", "same-site".to_string())]),
        (
            "evil-c",
            vec![("origin", "http://evil.example".to_string())],
        ),
        ("evil-d", vec![("origin", "null".to_string())]),
    ] {
        let resp = post(id, headers.clone()).await.unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{headers:?}");
    }
    for (id, headers) in [
        ("ok-a", vec![("sec-fetch-site", "same-origin".to_string())]),
        ("ok-b", vec![("origin", format!("http://{host}"))]),
        ("ok-c", vec![]),
    ] {
        let resp = post(id, headers.clone()).await.unwrap();
        assert!(
            resp.status().is_redirection() || resp.status().is_success(),
            "{headers:?}: {}",
            resp.status()
        );
    }
    let listed = admin.ok("GET", "/api/v1/storefronts", None, 200).await;
    let ids: BTreeSet<&str> = listed["storefronts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["ok-a", "ok-b", "ok-c"]),
        "only the same-site forms created storefronts"
    );
}
