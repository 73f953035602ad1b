//! The Tharstern connector end to end: the real `.wasm` in the real runtime
//! against the simulator over real HTTP.

mod common;
// Stock and stock orders on both installation shapes; paging against a
// server capping the page size.
#[path = "tharstern_e2e/paging.rs"]
mod paging;
#[path = "tharstern_e2e/stock.rs"]
mod stock;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use connect_runtime::capabilities::http::Origin;
use connect_runtime::contract::*;
use tharstern_sim::{FaultConfig, FaultSpec};

fn calls_to(sim: &tharstern_sim::SimHandle, endpoint: &str) -> usize {
    sim.state().calls_to(endpoint).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connection_reports_what_it_verified() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "check-ok", settings(&sim, &[])).await;
    let report = rt.check_connection(&t, "tharstern").await.unwrap();
    assert!(!report.summary.is_empty());
    let text = format!("{report:?}").to_lowercase();
    for what in ["credential", "webshop", "product"] {
        assert!(
            text.contains(what),
            "the report does not mention {what}: {report:?}"
        );
    }
    assert!(report.checks.len() >= 3, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connection_diagnoses_each_failure_precisely() {
    let sim = sim().await;
    let rt = runtime().await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // dropped: nothing listens there any more
    let cases: Vec<(&str, Settings, Option<Vec<Origin>>, &str)> = vec![
        (
            "bad password",
            settings(&sim, &[("password", "wrong")]),
            None,
            "authentication",
        ),
        (
            "unknown customer",
            settings(&sim, &[("customer_code", "NO-SUCH-CUSTOMER")]),
            None,
            "",
        ),
        (
            "wrong port",
            settings(
                &sim,
                &[("api_url", &format!("http://127.0.0.1:{closed_port}"))],
            ),
            None,
            "unreachable",
        ),
        (
            "wrong path",
            settings(
                &sim,
                &[("api_url", &format!("http://{}/Wrong", sim.addr()))],
            ),
            None,
            "",
        ),
        (
            "not allowed",
            settings(&sim, &[]),
            Some(vec![Origin::parse("http://127.0.0.1:1").unwrap()]),
            "configuration",
        ),
    ];
    let mut messages = Vec::new();
    for (case, settings, allowed, kind) in cases {
        let mut t = tenant(&rt, "check-bad", settings).await;
        if let Some(allowed) = allowed {
            t = t.with_allowed(allowed);
        }
        let err = rt.check_connection(&t, "tharstern").await.expect_err(case);
        let error = plugin_error(&err);
        if !kind.is_empty() {
            assert_eq!(error.kind(), kind, "{case}: {err}");
        }
        messages.push((case, error.message().to_owned()));
    }
    let find = |case: &str| &messages.iter().find(|(c, _)| *c == case).unwrap().1;
    assert!(
        find("bad password").to_lowercase().contains("password"),
        "{}",
        find("bad password")
    );
    assert!(
        find("unknown customer").contains("NO-SUCH-CUSTOMER"),
        "{}",
        find("unknown customer")
    );
    assert!(
        find("wrong port").contains(&closed_port.to_string()),
        "{}",
        find("wrong port")
    );
    assert!(
        find("wrong port").to_lowercase().contains("allow-list"),
        "{}",
        find("wrong port")
    );
    assert!(
        find("wrong path").contains("/TharsternAPI/api/"),
        "{}",
        find("wrong path")
    );
    assert!(
        find("not allowed").to_lowercase().contains("allow"),
        "{}",
        find("not allowed")
    );
    let distinct: std::collections::HashSet<_> = messages.iter().map(|(_, m)| m).collect();
    assert_eq!(
        distinct.len(),
        messages.len(),
        "diagnoses must differ: {messages:#?}"
    );
    // No diagnosis echoes the password.
    assert!(messages.iter().all(|(_, m)| !m.contains(PASSWORD)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_is_an_estimate_total_and_a_repeat_makes_no_call() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "price", settings(&sim, &[])).await;
    let quote = price(&rt, &t, price_request("1", 250, no_customer()))
        .await
        .unwrap();
    let estimates = sim.state().estimates();
    assert_eq!(estimates.len(), 1);
    let est = &estimates[0];
    assert_eq!(est.quantity, 250);
    assert_eq!(est.customer_code, "WEBSHOP");
    assert_eq!(quote.customer_code, "WEBSHOP");
    assert_eq!(quote.total.currency, "GBP");
    let pence = serde_json::to_value(est.total_price).unwrap().to_string();
    assert_eq!(
        format!("{}", quote.total.minor_units),
        pence.replace('.', "").trim_start_matches('0'),
        "quote {quote:?} vs estimate {pence}"
    );
    assert!(!quote.cached);
    assert_eq!(
        quote.quote_ref.as_deref(),
        Some(est.id.to_string().as_str())
    );

    let calls_before = sim.calls().len();
    let again = price(&rt, &t, price_request("1", 250, no_customer()))
        .await
        .unwrap();
    assert_eq!(
        sim.calls().len(),
        calls_before,
        "a repeat within the refresh interval called Tharstern"
    );
    assert!(again.cached);
    assert_eq!(again.total.minor_units, quote.total.minor_units);

    // Another quantity is another estimate.
    let more = price(&rt, &t, price_request("1", 1000, no_customer()))
        .await
        .unwrap();
    assert_eq!(sim.state().estimates().len(), 2);
    assert!(more.total.minor_units > quote.total.minor_units);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_code_follows_department_then_storefront_then_linking() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "customers", settings(&sim, &[])).await;
    let dept = CustomerContext {
        department_code: Some("ACME-MKT".into()),
        email: Some("jo@acme.example".into()),
        name: None,
    };
    let q = price(&rt, &t, price_request("2", 500, dept)).await.unwrap();
    assert_eq!(q.customer_code, "ACME-MKT");
    let q = price(&rt, &t, price_request("2", 500, no_customer()))
        .await
        .unwrap();
    assert_eq!(q.customer_code, "WEBSHOP");
    let codes: Vec<String> = sim
        .state()
        .estimates()
        .iter()
        .map(|e| e.customer_code.clone())
        .collect();
    assert!(
        codes.contains(&"ACME-MKT".to_string()) && codes.contains(&"WEBSHOP".to_string()),
        "{codes:?}"
    );

    // Automatic linking: unknown email -> a customer is created and linked.
    let linking = tenant(
        &rt,
        "linking",
        settings(&sim, &[("use_external_id_as_customer_code", "true")]),
    )
    .await;
    let newcomer = CustomerContext {
        department_code: None,
        email: Some("new.buyer@shop.example".into()),
        name: Some("New Buyer Ltd".into()),
    };
    let before = sim.state().customers().len();
    let q = price(&rt, &linking, price_request("2", 500, newcomer.clone()))
        .await
        .unwrap();
    let link = q.customer_link.clone().expect("a customer link to store");
    assert!(link.created);
    assert_eq!(link.email, "new.buyer@shop.example");
    assert_eq!(q.customer_code, link.customer_code);
    let customers = sim.state().customers();
    assert_eq!(customers.len(), before + 1);
    assert!(
        customers.iter().any(|c| c.code == link.customer_code
            && c.email.eq_ignore_ascii_case("new.buyer@shop.example"))
    );
    // Found again by email: no second customer.
    let q2 = price(&rt, &linking, price_request("2", 750, newcomer))
        .await
        .unwrap();
    assert_eq!(q2.customer_code, link.customer_code);
    assert_eq!(sim.state().customers().len(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpriced_work_is_a_typed_no_price() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "no-price", settings(&sim, &[])).await;
    let err = price(&rt, &t, price_request("11", 100, no_customer()))
        .await
        .unwrap_err();
    assert_eq!(plugin_error(&err).kind(), "no-price", "{err}");
    let err = price(&rt, &t, price_request("999", 100, no_customer()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            plugin_error(&err),
            PluginError::NotFound(_) | PluginError::Rejected(_)
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_false_although_created_never_duplicates_an_estimate() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "quirk", settings(&sim, &[])).await;
    let mut faults = FaultConfig::default();
    faults.endpoints.insert(
        "estrequest".into(),
        FaultSpec {
            success_false_rate: Some(1.0),
            ..Default::default()
        },
    );
    sim.set_faults(faults).unwrap();
    let q = price(&rt, &t, price_request("1", 300, no_customer()))
        .await
        .unwrap();
    let estimates = sim.state().estimates();
    assert_eq!(estimates.len(), 1, "a duplicate estimate was created");
    assert_eq!(calls_to(&sim, "estrequest"), 1);
    assert_eq!(
        q.quote_ref.as_deref(),
        Some(estimates[0].id.to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed_once() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "expiry", settings(&sim, &[])).await;
    price(&rt, &t, price_request("1", 100, no_customer()))
        .await
        .unwrap();
    assert_eq!(calls_to(&sim, "authentication/GenerateAPIToken"), 1);
    sim.set_faults(FaultConfig {
        token_lifetime_secs: Some(1),
        ..Default::default()
    })
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    price(&rt, &t, price_request("1", 200, no_customer()))
        .await
        .unwrap();
    assert_eq!(calls_to(&sim, "authentication/GenerateAPIToken"), 2);
    // The POST that met the expired token may see its connection closed
    // early (the 401 is sent before the body is read); the lookup that
    // follows meets it too. Either way: one renewal, no duplicate.
    let unauthorized = sim.calls().iter().filter(|c| c.status == Some(401)).count();
    assert!(
        (1..=2).contains(&unauthorized),
        "{unauthorized} calls met the expired token"
    );
    assert_eq!(sim.state().estimates().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_order_answer_is_retried_into_the_same_order() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "lost", settings(&sim, &[])).await;
    let mut faults = FaultConfig::default();
    faults.endpoints.insert(
        "orders/submit".into(),
        FaultSpec {
            truncated_json_rate: Some(1.0),
            ..Default::default()
        },
    );
    sim.set_faults(faults).unwrap();
    // The connector may recover the order by looking it up; otherwise the
    // failure must be one the outbox retries.
    let first = submit(
        &rt,
        &t,
        order("SF-LOST", no_customer(), vec![stock_line("STK-FOLDER", 5)]),
    )
    .await;
    if let Err(err) = &first {
        assert!(err.is_retryable(), "a lost answer must be retryable: {err}");
    }
    assert_eq!(
        sim.state().orders().len(),
        1,
        "the order whose answer was lost exists"
    );
    sim.set_faults(FaultConfig::default()).unwrap();
    let receipt = submit(
        &rt,
        &t,
        order("SF-LOST", no_customer(), vec![stock_line("STK-FOLDER", 5)]),
    )
    .await
    .unwrap();
    let orders: Vec<_> = sim
        .state()
        .orders()
        .into_iter()
        .filter(|o| o.unique_submit_order_id.as_deref() == Some("SF-LOST"))
        .collect();
    assert_eq!(orders.len(), 1, "exactly one order");
    assert_eq!(receipt.backend_order_id, orders[0].id.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_comes_back_by_webhook_and_by_polling() {
    let sim = sim().await;
    let rt = runtime().await;
    let secret = "whsec-e2e-123";
    let t = tenant(&rt, "status", settings(&sim, &[("webhook_secret", secret)])).await;
    let receipt = submit(
        &rt,
        &t,
        order("SF-2001", no_customer(), vec![stock_line("STK-MUG", 3)]),
    )
    .await
    .unwrap();
    let job = sim
        .state()
        .jobs()
        .into_iter()
        .find(|j| j.unique_submit_order_id.as_deref() == Some("SF-2001"))
        .expect("a job");
    for _ in 0..3 {
        sim.advance_job(&job.job_no, None, None).unwrap();
    }
    let job = sim
        .state()
        .jobs()
        .into_iter()
        .find(|j| j.job_no == job.job_no)
        .unwrap();
    let tracking = job
        .tracking_number
        .clone()
        .expect("despatched jobs carry tracking");

    // Polling.
    let update = rt
        .order_status(&t, "tharstern", "SF-2001", Some(&receipt.backend_order_id))
        .await
        .unwrap();
    assert_eq!(update.status.as_deref(), Some("Despatched"));
    assert_eq!(update.tracking_number.as_deref(), Some(tracking.as_str()));

    // A signed webhook.
    let body = serde_json::json!({
        "Event": "JobStatusChanged", "JobNo": job.job_no, "OrderID": receipt.backend_order_id.parse::<i64>().unwrap(),
        "OrderNo": job.order_no, "UniqueSubmitOrderID": "SF-2001", "Status": "Despatched",
        "TrackingNumber": tracking, "Timestamp": "2026-11-29T10:00:00Z"
    })
    .to_string()
    .into_bytes();
    let signed = WebhookRequest {
        query: None,
        headers: vec![(
            "X-Tharstern-Signature".into(),
            tharstern_sim::webhooks::sign(secret, &body),
        )],
        body: body.clone(),
    };
    let updates = rt.handle_webhook(&t, "tharstern", &signed).await.unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].order_id.as_deref(), Some("SF-2001"));
    assert_eq!(updates[0].status.as_deref(), Some("Despatched"));
    assert_eq!(
        updates[0].tracking_number.as_deref(),
        Some(tracking.as_str())
    );

    let forged = WebhookRequest {
        query: None,
        headers: vec![(
            "X-Tharstern-Signature".into(),
            tharstern_sim::webhooks::sign("not-the-secret", &body),
        )],
        body,
    };
    let err = rt
        .handle_webhook(&t, "tharstern", &forged)
        .await
        .unwrap_err();
    assert_eq!(plugin_error(&err).kind(), "authentication", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_is_filtered_paged_and_cached() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "catalogue", settings(&sim, &[])).await;
    let report = rt.refresh_catalogue(&t, "tharstern").await.unwrap();
    assert!(
        report.product_types > 0 && report.products > 0,
        "{report:?}"
    );
    let page = |offset, limit, search: Option<&str>| {
        let rt = rt.clone();
        let t = t.clone();
        let search = search.map(str::to_owned);
        async move {
            rt.products(&t, "tharstern", offset, limit, search.as_deref())
                .await
                .unwrap()
        }
    };
    let calls = sim.calls().len();
    let first = page(0, 3, None).await;
    assert_eq!(first.total, report.products);
    assert_eq!(first.items.len(), 3.min(report.products as usize));
    let all = page(0, 1000, None).await;
    assert_eq!(all.items.len(), report.products as usize);
    // Only kinds of the default filter (Finished, None): no parts, no components.
    assert!(
        all.items
            .iter()
            .all(|p| p.kind.ends_with("(Finished)") || p.kind.ends_with("(None)")),
        "{:?}",
        all.items
    );
    assert!(all.items.iter().any(|p| p.code == "BC-STD"));
    let found = page(0, 10, Some("banner")).await;
    assert!(
        !found.items.is_empty()
            && found
                .items
                .iter()
                .all(|p| p.name.to_lowercase().contains("banner")
                    || p.code.to_lowercase().contains("ban")),
        "{:?}",
        found.items
    );
    assert_eq!(sim.calls().len(), calls, "pages must come from the cache");

    // A wider filter sees more kinds.
    let wide = tenant(
        &rt,
        "catalogue-wide",
        settings(
            &sim,
            &[("product_type_filter", "Finished,None,Part,Component")],
        ),
    )
    .await;
    let wide_report = rt.refresh_catalogue(&wide, "tharstern").await.unwrap();
    assert!(
        wide_report.product_types > report.product_types,
        "{wide_report:?} vs {report:?}"
    );
}

/// Under every simulator fault, each answer is right or a typed error with a
/// message, and the simulator never holds a duplicate estimate or order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_every_fault_answers_are_right_or_typed_and_nothing_is_duplicated() {
    let sim = sim().await;
    let mut config = connect_runtime::runtime::RuntimeConfig::default();
    config.limits.call_timeout = Duration::from_secs(4);
    config.limits.http.first_byte_timeout = Duration::from_millis(800);
    config.limits.http.total_timeout = Duration::from_secs(2);
    let rt = runtime_with(config).await;
    let faults: Vec<(&str, FaultSpec, Option<u64>)> = vec![
        (
            "latency",
            FaultSpec {
                latency_ms: Some(150),
                ..Default::default()
            },
            None,
        ),
        (
            "5xx",
            FaultSpec {
                server_error_rate: Some(0.3),
                ..Default::default()
            },
            None,
        ),
        (
            "hang",
            FaultSpec {
                hang_rate: Some(0.2),
                ..Default::default()
            },
            None,
        ),
        (
            "malformed",
            FaultSpec {
                malformed_json_rate: Some(0.3),
                ..Default::default()
            },
            None,
        ),
        (
            "truncated",
            FaultSpec {
                truncated_json_rate: Some(0.3),
                ..Default::default()
            },
            None,
        ),
        (
            "429",
            FaultSpec {
                rate_limit_rate: Some(0.3),
                ..Default::default()
            },
            None,
        ),
        (
            "success-false",
            FaultSpec {
                success_false_rate: Some(0.5),
                ..Default::default()
            },
            None,
        ),
        ("token-expiry", FaultSpec::default(), Some(1)),
    ];
    let mut outcomes: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, (name, spec, lifetime)) in faults.into_iter().enumerate() {
        sim.set_faults(FaultConfig {
            global: spec,
            token_lifetime_secs: lifetime,
            hang_secs: Some(5),
            ..Default::default()
        })
        .unwrap();
        let t = tenant(&rt, &format!("fault-{i}"), settings(&sim, &[])).await;
        for n in 0..6u32 {
            let quantity = 100 + 10 * n + 1000 * i as u32;
            let result = price(&rt, &t, price_request("2", quantity, no_customer())).await;
            let entry = outcomes.entry(name).or_default();
            match result {
                Ok(q) => {
                    entry.0 += 1;
                    assert!(q.total.minor_units > 0, "{name}: {q:?}");
                }
                Err(err) => {
                    entry.1 += 1;
                    let typed = matches!(
                        err,
                        connect_runtime::error::CallError::Plugin { .. }
                            | connect_runtime::error::CallError::Timeout { .. }
                    );
                    assert!(typed, "{name}: not a typed error: {err:?}");
                    assert!(
                        err.to_string().len() > 20,
                        "{name}: message too thin: {err}"
                    );
                }
            }
            if lifetime.is_some() {
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            let order_id = format!("F{i}-{n}");
            let r = submit(
                &rt,
                &t,
                order(&order_id, no_customer(), vec![stock_line("STK-PEN", 1)]),
            )
            .await;
            if let Err(err) = &r {
                assert!(
                    matches!(
                        err,
                        connect_runtime::error::CallError::Plugin { .. }
                            | connect_runtime::error::CallError::Timeout { .. }
                    ),
                    "{name}: {err:?}"
                );
            }
        }
    }
    sim.set_faults(FaultConfig::default()).unwrap();
    // No two estimates share a title (the connector's idempotency key for quotes).
    let estimates = sim.state().estimates();
    let mut titles = std::collections::HashSet::new();
    for e in &estimates {
        assert!(
            titles.insert(e.title.clone()),
            "duplicate estimate {}",
            e.title
        );
    }
    let orders = sim.state().orders();
    let mut ids = std::collections::HashSet::new();
    for o in &orders {
        assert!(
            ids.insert(o.unique_submit_order_id.clone()),
            "duplicate order {:?}",
            o.unique_submit_order_id
        );
    }
    eprintln!("outcomes (ok, typed error) per fault: {outcomes:?}");
    assert!(
        outcomes["latency"].0 == 6,
        "latency alone must not fail a price: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_and_token_never_reach_the_logs() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "secrets", settings(&sim, &[])).await;
    rt.check_connection(&t, "tharstern").await.unwrap();
    price(&rt, &t, price_request("1", 123, no_customer()))
        .await
        .unwrap();
    let bad = tenant(
        &rt,
        "secrets-bad",
        settings(&sim, &[("password", "Wr0ng-Secret-Value")]),
    )
    .await;
    let err = rt.check_connection(&bad, "tharstern").await.unwrap_err();
    assert!(!err.to_string().contains("Wr0ng-Secret-Value"));
    let logs = logs();
    assert!(logs.contains("tenant"), "the log capture saw nothing");
    assert!(!logs.contains(PASSWORD), "the password is in the logs");
    assert!(
        !logs.contains("Wr0ng-Secret-Value"),
        "a wrong password is in the logs"
    );
    // Tokens are GUIDs: none but the all-zero GUID may appear.
    for token in guids(&logs) {
        assert_eq!(token, tharstern_sim::ZERO_TOKEN, "a token is in the logs");
    }
}

/// GUID-shaped substrings (8-4-4-4-12 hex digits).
fn guids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    let mut found = Vec::new();
    let mut i = 0;
    while i + 36 <= bytes.len() {
        let mut j = i;
        let ok = shape.iter().enumerate().all(|(g, &n)| {
            let group = bytes[j..j + n].iter().all(u8::is_ascii_hexdigit);
            j += n;
            let sep = g == 4 || bytes.get(j) == Some(&b'-');
            j += 1;
            group && sep
        });
        if ok {
            found.push(text[i..i + 36].to_owned());
            i += 36;
        } else {
            i += 1;
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_quotes_create_one_estimate() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "concurrent", settings(&sim, &[])).await;
    // Warm the token and the example request, then slow estimate creation
    // down so that the identical requests overlap.
    price(&rt, &t, price_request("1", 10, no_customer()))
        .await
        .unwrap();
    let mut faults = FaultConfig::default();
    faults.endpoints.insert(
        "estrequest".into(),
        FaultSpec {
            latency_ms: Some(400),
            ..Default::default()
        },
    );
    sim.set_faults(faults).unwrap();
    let before = sim.state().estimates().len();
    let mut calls = Vec::new();
    for _ in 0..6 {
        let (rt, t) = (rt.clone(), t.clone());
        calls.push(tokio::spawn(async move {
            price(&rt, &t, price_request("1", 777, no_customer())).await
        }));
    }
    let mut refs = std::collections::HashSet::new();
    for c in calls {
        let q = c.await.unwrap().expect("every concurrent quote succeeds");
        refs.insert((q.quote_ref, q.total.minor_units));
    }
    assert_eq!(
        sim.state().estimates().len(),
        before + 1,
        "concurrent identical quotes created several estimates"
    );
    assert_eq!(refs.len(), 1, "the concurrent quotes differ: {refs:?}");
}

/// Concurrent first requests of one new storefront user (different
/// quantities, so no shared estimate hides the race) create one Tharstern
/// customer, and every request runs under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_of_a_new_user_create_one_customer() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(
        &rt,
        "concurrent-customer",
        settings(&sim, &[("use_external_id_as_customer_code", "true")]),
    )
    .await;
    price(&rt, &t, price_request("1", 10, no_customer()))
        .await
        .unwrap();
    let mut faults = FaultConfig::default();
    faults.endpoints.insert(
        "customers".into(),
        FaultSpec {
            latency_ms: Some(300),
            ..Default::default()
        },
    );
    sim.set_faults(faults).unwrap();
    let before = sim.state().customers().len();
    let newcomer = CustomerContext {
        department_code: None,
        email: Some("first.time@shop.example".into()),
        name: Some("First Time".into()),
    };
    let mut calls = Vec::new();
    for n in 0..6 {
        let (rt, t, who) = (rt.clone(), t.clone(), newcomer.clone());
        calls.push(tokio::spawn(async move {
            price(&rt, &t, price_request("1", 100 + n, who)).await
        }));
    }
    let mut codes = std::collections::HashSet::new();
    for c in calls {
        let q = c.await.unwrap().expect("every concurrent quote succeeds");
        codes.insert(q.customer_code);
    }
    let made: Vec<_> = sim.state().customers()[before..].to_vec();
    assert_eq!(made.len(), 1, "customers created: {made:?}");
    assert_eq!(codes.len(), 1, "{codes:?}");
}
