//! The storefront API over real HTTP: a running service with the real
//! Tharstern `.wasm`, the simulator, SQLite in a temp dir.

mod service_support;

use serde_json::{Value, json};
use service_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storefront_flow_against_the_simulator() {
    let sim = start_sim().await;
    let service = start_service(|c| c.server.outgoing_ips = vec!["203.0.113.7".into()]).await;
    let api = Api::new(&service.url);

    // The token guards the API; the OpenAPI document is public.
    let anonymous = Api {
        token: None,
        ..api.clone()
    };
    assert_eq!(anonymous.get("/api/v1/plugins").await.0, 401);
    let wrong = Api {
        token: Some("wrong-token-wrong-token".into()),
        ..api.clone()
    };
    assert_eq!(wrong.get("/api/v1/storefronts").await.0, 401);
    let doc = anonymous.ok("GET", "/api/v1/openapi.json", None, 200).await;
    assert!(doc["paths"]["/storefronts/{sf}/orders"]["post"].is_object());

    let plugins = api.ok("GET", "/api/v1/plugins", None, 200).await;
    let tharstern = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == PLUGIN)
        .expect("the Tharstern plugin is loaded");
    assert!(tharstern["settings"].as_array().unwrap().len() >= 5);

    // Malformed bodies are 4xx with the error format, never a panic.
    let (status, body) = api
        .http
        .post(format!("{}/api/v1/storefronts", service.url))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 400);
    let body: Value = body.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "bad-request");
    let (status, body) = api
        .post("/api/v1/storefronts", json!({"id": "bad id!"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["key"], "id");

    // Before any configuration: price is "not handled".
    api.ok(
        "POST",
        "/api/v1/storefronts",
        Some(json!({"id": "plain"})),
        201,
    )
    .await;
    let plain = api
        .ok(
            "POST",
            "/api/v1/storefronts/plain/price",
            Some(json!({"product": "x", "quantity": 1})),
            200,
        )
        .await;
    assert_eq!(plain["handled"], false, "{plain}");
    let (status, body) = api
        .post(
            "/api/v1/storefronts/plain/orders",
            json!({"id": "o1", "lines": [{"product": "x", "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["kind"], "not-handled");

    // Settings: field errors are a 422 naming each field.
    api.ok("POST", "/api/v1/storefronts", Some(json!({"id": SF})), 201)
        .await;
    assert_eq!(
        api.post("/api/v1/storefronts", json!({"id": SF})).await.0,
        409
    );
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/connect"),
        Some(json!({"enabled_plugins": [PLUGIN], "price_plugin": PLUGIN, "stock_plugin": PLUGIN, "order_plugin": PLUGIN, "allow_private_networks": true})),
        200,
    )
    .await;
    let (status, body) = api
        .put(
            &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings"),
            json!({"api_url": "not a url", "email": "nobody"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let keys: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    for key in [
        "api_url",
        "email",
        "password",
        "application_id",
        "customer_code",
    ] {
        assert!(keys.contains(&key), "no error for {key}: {body}");
    }

    // Valid settings are stored; secrets are never answered, only "set".
    let view = api
        .ok(
            "PUT",
            &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings"),
            Some(tharstern_settings(&sim)),
            200,
        )
        .await;
    let text = view.to_string();
    let quoted = format!("\"{}\"", tharstern_sim::DEMO_API_PASSWORD);
    assert!(!text.contains(&quoted), "{text}");
    assert!(!text.contains(WEBHOOK_SECRET), "{text}");
    assert_eq!(view["secrets"]["password"], true);
    assert_eq!(view["outgoing_ips"], json!(["203.0.113.7"]), "{view}");
    assert_eq!(
        view["values"]["cache_refresh_minutes"], "1440",
        "defaults filled in: {view}"
    );
    // Nor are they stored in the clear.
    let db = std::fs::read(service.dir.path().join("connect.sqlite")).unwrap();
    let wal = std::fs::read(service.dir.path().join("connect.sqlite-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes
                .windows(WEBHOOK_SECRET.len())
                .any(|w| w == WEBHOOK_SECRET.as_bytes())
        );
    }

    // Check Connection: success, then a precise failure with a bad password
    // (an empty secret keeps the stored one, a new value replaces it).
    let settings_path = format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings");
    let check_path = format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/check-connection");
    let put_settings = |settings: Value| api.ok("PUT", &settings_path, Some(settings), 200);
    let check = || api.ok("POST", &check_path, None, 200);
    let answer = check().await;
    assert_eq!(answer["ok"], true, "{answer}");
    let mut bad = tharstern_settings(&sim);
    bad["password"] = json!("wrong-password");
    put_settings(bad).await;
    let answer = check().await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["kind"], "authentication", "{answer}");
    assert!(!answer.to_string().contains("wrong-password"));
    put_settings(tharstern_settings(&sim)).await;
    let mut keep = tharstern_settings(&sim);
    keep["password"] = json!("");
    put_settings(keep).await;
    let answer = check().await;
    assert_eq!(
        answer["ok"], true,
        "the kept password still works: {answer}"
    );

    // Departments, customers, mappings.
    add_people(&api, SF).await;
    let (status, body) = api
        .put(
            &format!("/api/v1/storefronts/{SF}/customers/carol"),
            json!({"department": "nope"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    add_mappings(
        &api,
        SF,
        &[
            ("business-cards", "BC-STD", None),
            ("pens", "STK-PEN", Some(100)),
            ("letterhead-packs", "STK-LHPACK", Some(10)),
        ],
    )
    .await;
    let (status, body) = api
        .put(
            &format!("/api/v1/storefronts/{SF}/mappings/x"),
            json!({"product_ref": "BC-STD", "advanced_json": "{broken"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["key"], "advanced_json");

    // Price: a department user prices under its code, others under the
    // storefront's.
    let price = |customer: &'static str| {
        let api = api.clone();
        async move {
            api.ok(
                "POST",
                &format!("/api/v1/storefronts/{SF}/price"),
                Some(json!({"product": "business-cards", "quantity": 500, "customer": customer})),
                200,
            )
            .await
        }
    };
    let alice = price("alice").await;
    assert_eq!(alice["handled"], true, "{alice}");
    assert_eq!(alice["customer_code"], "ACME-MKT", "{alice}");
    assert!(
        alice["price"]["minor_units"].as_i64().unwrap() > 0,
        "{alice}"
    );
    assert_eq!(alice["price"]["currency"], "GBP");
    let bob = price("bob").await;
    assert_eq!(bob["customer_code"], tharstern_sim::WEBSHOP, "{bob}");
    let again = price("bob").await;
    assert_eq!(
        again["cached"], true,
        "a repeat is answered from the cache: {again}"
    );
    assert_eq!(again["price"], bob["price"]);

    // Stock, with the mapping's minimum order quantity.
    let stock = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/stock"),
            Some(json!({"product": "pens"})),
            200,
        )
        .await;
    assert_eq!(stock["free"], 5000, "{stock}");
    assert_eq!(stock["meets_minimum"], true, "{stock}");

    // Orders: 202 once stored; a repeat is the same order; other content
    // under the same id is a conflict; missing mapping is a 422.
    let order_a =
        json!({"id": "A-1", "customer": "alice", "lines": [{"product": "pens", "quantity": 150}]});
    let accepted = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/orders"),
            Some(order_a.clone()),
            202,
        )
        .await;
    assert_eq!(accepted["created"], true);
    let repeat = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/orders"),
            Some(order_a),
            202,
        )
        .await;
    assert_eq!(repeat["created"], false);
    let (status, _) = api
        .post(
            &format!("/api/v1/storefronts/{SF}/orders"),
            json!({"id": "A-1", "lines": [{"product": "pens", "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = api
        .post(
            &format!("/api/v1/storefronts/{SF}/orders"),
            json!({"id": "Z", "lines": [{"product": "unmapped", "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["key"], "lines[0].product");
    let quote = bob["quote_ref"].as_str().expect("a quote ref").to_string();
    api.ok(
        "POST",
        &format!("/api/v1/storefronts/{SF}/orders"),
        Some(json!({"id": "B-1", "customer": "bob", "reference": "PO-77",
            "lines": [{"product": "business-cards", "quantity": 500, "quote_ref": quote, "price": bob["price"]}]})),
        202,
    )
    .await;
    // Stock is checked before an order is accepted: short stock refuses
    // it, naming the line, the free stock and the minimum or quantity.
    for (id, line, wanted) in [
        (
            "C-1",
            json!({"product": "letterhead-packs", "quantity": 20}),
            "`letterhead-packs` has 0 free, below its minimum order quantity 10",
        ),
        (
            "C-2",
            json!({"product": "pens", "quantity": 6000}),
            "`pens`: 6000 ordered but only 5000 free",
        ),
    ] {
        let refused = api
            .ok(
                "POST",
                &format!("/api/v1/storefronts/{SF}/orders"),
                Some(json!({"id": id, "customer": "bob", "lines": [line]})),
                422,
            )
            .await;
        let field = &refused["error"]["fields"][0];
        assert_eq!(field["key"], "lines[0].quantity", "{refused}");
        assert_eq!(field["message"], wanted, "{refused}");
        api.ok(
            "GET",
            &format!("/api/v1/storefronts/{SF}/orders/{id}"),
            None,
            404,
        )
        .await;
    }

    let delivered = |id: &'static str| {
        let api = api.clone();
        async move {
            eventually(30, &format!("order {id} delivered"), || {
                let api = api.clone();
                async move {
                    let o = api
                        .ok(
                            "GET",
                            &format!("/api/v1/storefronts/{SF}/orders/{id}"),
                            None,
                            200,
                        )
                        .await;
                    (o["state"] == "delivered").then_some(o)
                }
            })
            .await
        }
    };
    let a = delivered("A-1").await;
    let b = delivered("B-1").await;
    assert_eq!(a["customer_code"], "ACME-MKT", "{a}");
    assert_eq!(b["customer_code"], tharstern_sim::WEBSHOP, "{b}");
    assert!(
        a["backend_order_no"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{a}"
    );
    // In the simulator: each order once, under the right customer code;
    // the refused ones never reached it.
    let orders = sim.state().orders();
    assert!(
        !orders
            .iter()
            .any(|o| matches!(o.unique_submit_order_id.as_deref(), Some("C-1" | "C-2"))),
        "a refused order reached Tharstern"
    );
    let find = |id: &str| {
        let found: Vec<_> = orders
            .iter()
            .filter(|o| o.unique_submit_order_id.as_deref() == Some(id))
            .collect();
        assert_eq!(found.len(), 1, "order {id} in the simulator: {found:?}");
        found[0].clone()
    };
    assert_eq!(find("A-1").customer_code, "ACME-MKT");
    assert_eq!(find("B-1").customer_code, tharstern_sim::WEBSHOP);

    // An order the back office refuses (a product it does not know) is
    // parked as failed, and can be retried (it fails the same way).
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/mappings/ghost"),
        Some(json!({"product_ref": "NO-SUCH-PRODUCT"})),
        200,
    )
    .await;
    api.ok(
        "POST",
        &format!("/api/v1/storefronts/{SF}/orders"),
        Some(json!({"id": "C-3", "lines": [{"product": "ghost", "quantity": 1}]})),
        202,
    )
    .await;
    let c = eventually(30, "order C-3 parked", || {
        let api = api.clone();
        async move {
            let o = api
                .ok(
                    "GET",
                    &format!("/api/v1/storefronts/{SF}/orders/C-3"),
                    None,
                    200,
                )
                .await;
            (o["state"] == "failed").then_some(o)
        }
    })
    .await;
    assert!(
        c["last_error"]
            .as_str()
            .unwrap()
            .contains("NO-SUCH-PRODUCT"),
        "{c}"
    );
    let retried = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/orders/C-3/retry"),
            None,
            200,
        )
        .await;
    assert_ne!(retried["state"], "failed", "{retried}");
    assert_eq!(
        api.post(
            &format!("/api/v1/storefronts/{SF}/orders/A-1/retry"),
            json!({})
        )
        .await
        .0,
        409
    );

    // A webhook from the simulator updates status and tracking.
    subscribe_webhooks(&sim, &api).await;
    let job_no = find("A-1")
        .job_nos
        .first()
        .cloned()
        .expect("the order made a job");
    sim.advance_job(
        &job_no,
        Some(tharstern_sim::model::JobStatus::Despatched),
        Some("TRK-TEST-1".into()),
    )
    .expect("job advanced");
    let updated = eventually(30, "tracking from the webhook", || {
        let api = api.clone();
        async move {
            let o = api
                .ok(
                    "GET",
                    &format!("/api/v1/storefronts/{SF}/orders/A-1"),
                    None,
                    200,
                )
                .await;
            (o["tracking_number"] == "TRK-TEST-1").then_some(o)
        }
    })
    .await;
    assert_eq!(updated["job_status"], "Despatched", "{updated}");
    assert_eq!(updated["job_no"], job_no.as_str());
    assert!(
        updated["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "webhook")
    );
    // A webhook with a bad signature is refused.
    let (status, _) = Api {
        token: None,
        ..api.clone()
    }
    .post(
        &format!("/webhooks/{SF}/{PLUGIN}"),
        json!({"Event": "JobStatusChanged", "JobNo": job_no, "Status": "Finished"}),
    )
    .await;
    assert_eq!(status, 401);

    // Catalogue: refreshed on demand through the API and the CLI, then
    // browsable for mapping.
    let refreshed = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/catalogue/refresh"),
            None,
            200,
        )
        .await;
    assert_eq!(refreshed["refreshed"][0]["ok"], true, "{refreshed}");
    assert!(
        refreshed["refreshed"][0]["products"].as_u64().unwrap() > 0,
        "{refreshed}"
    );
    let page = api
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/products?search=business&limit=5"),
            None,
            200,
        )
        .await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "BC-STD"),
        "{page}"
    );
    let url = service.url.clone();
    let cli = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_connect-host"))
            .args(["refresh", SF, "--url", &url, "--token", TOKEN])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let out =
        String::from_utf8_lossy(&cli.stdout).to_string() + &String::from_utf8_lossy(&cli.stderr);
    assert!(cli.status.success(), "{out}");
    assert!(
        out.contains("shop/tharstern:") && out.contains("products in"),
        "{out}"
    );

    // Metrics: calls, latency, errors by kind, cache hits, outbox.
    let metrics = reqwest::get(format!("{}/metrics", service.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "connect_plugin_calls_total{plugin=\"tharstern\",function=\"price\",storefront=\"shop\",outcome=\"ok\"}",
        "connect_plugin_call_duration_seconds_count{plugin=\"tharstern\",function=\"submit-order\"",
        "connect_plugin_errors_total{plugin=\"tharstern\",function=\"check-connection\",storefront=\"shop\",kind=\"authentication\"} 1",
        "connect_plugin_cache_total{plugin=\"tharstern\",function=\"price\",result=\"hit\"}",
        "connect_outbox_orders{plugin=\"tharstern\",state=\"delivered\"} 2",
        "connect_webhooks_total{plugin=\"tharstern\",outcome=\"ok\"}",
    ] {
        assert!(metrics.contains(needle), "no `{needle}` in\n{metrics}");
    }
    assert!(!metrics.contains(&quoted));
    let health = reqwest::get(format!("{}/healthz", service.url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    service.stop().await;
}

/// The service keeps decoded settings in memory between requests: every
/// change through the API must reach the very next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_changes_reach_the_next_request() {
    let sim = start_sim().await;
    let service = start_service(|_| {}).await;
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;
    let price_path = format!("/api/v1/storefronts/{SF}/price");
    let body = json!({"product": "business-cards", "quantity": 250, "customer": "bob"});
    let price = || api.ok("POST", &price_path, Some(body.clone()), 200);

    let first = price().await;
    assert_eq!(first["customer_code"], tharstern_sim::WEBSHOP, "{first}");

    // New plugin settings (another storefront customer code) apply at once.
    let mut settings = tharstern_settings(&sim);
    settings["customer_code"] = json!("ACME-MKT");
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings"),
        Some(settings),
        200,
    )
    .await;
    let second = price().await;
    assert_eq!(second["customer_code"], "ACME-MKT", "{second}");

    // A new mapping applies at once.
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/mappings/business-cards"),
        Some(json!({"product_ref": "NO-SUCH-PRODUCT"})),
        200,
    )
    .await;
    let (status, answer) = api.post(&price_path, body.clone()).await;
    assert_ne!(status, 200, "the old mapping was used: {answer}");

    // Connect settings: price no longer handled by the plugin.
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/connect"),
        Some(json!({"enabled_plugins": [PLUGIN], "stock_plugin": PLUGIN, "order_plugin": PLUGIN, "allow_private_networks": true})),
        200,
    )
    .await;
    let unhandled = price().await;
    assert_eq!(unhandled["handled"], false, "{unhandled}");
}

/// With no webhook subscription, the status poller asks the plugin about a
/// delivered order until its tracking number arrives, records only what
/// changed, and stops asking once the order is despatched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_poller_brings_tracking_without_webhooks() {
    let sim = start_sim().await;
    let service = start_service(|c| c.outbox.status_poll_secs = 1).await;
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;
    let order_path = format!("/api/v1/storefronts/{SF}/orders/P-1");
    api.ok(
        "POST",
        &format!("/api/v1/storefronts/{SF}/orders"),
        Some(json!({"id": "P-1", "customer": "bob", "lines": [{"product": "pens", "quantity": 100}]})),
        202,
    )
    .await;
    let get = || api.ok("GET", &order_path, None, 200);
    eventually(30, "order P-1 delivered", || async {
        (get().await["state"] == "delivered").then_some(())
    })
    .await;
    let job_no = sim
        .state()
        .orders()
        .iter()
        .find(|o| o.unique_submit_order_id.as_deref() == Some("P-1"))
        .and_then(|o| o.job_nos.first().cloned())
        .expect("the order made a job");

    // Polls that learn nothing new leave no trace in the history: after
    // three polls, at most the first (it learns the job) is recorded.
    eventually(30, "three status polls", || async {
        (sim.state().calls_to("jobs").len() >= 3).then_some(())
    })
    .await;
    let quiet = get().await;
    let polled_events = |o: &Value| {
        o["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "polled")
            .count()
    };
    assert!(polled_events(&quiet) <= 1, "{quiet}");
    assert!(quiet["tracking_number"].is_null(), "{quiet}");

    sim.advance_job(
        &job_no,
        Some(tharstern_sim::model::JobStatus::Despatched),
        Some("TRK-POLL-1".into()),
    )
    .expect("job advanced");
    let polled = eventually(30, "tracking by polling", || async {
        let o = get().await;
        (o["tracking_number"] == "TRK-POLL-1").then_some(o)
    })
    .await;
    assert_eq!(polled["job_status"], "Despatched", "{polled}");
    assert!(polled_events(&polled) >= 1, "{polled}");

    // Despatched with tracking: no more polls.
    let asked = sim.state().calls_to("jobs").len();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        sim.state().calls_to("jobs").len(),
        asked,
        "the poller kept asking about a despatched order"
    );
    assert_eq!(
        get().await["history"].as_array().unwrap().len(),
        polled["history"].as_array().unwrap().len()
    );
}
