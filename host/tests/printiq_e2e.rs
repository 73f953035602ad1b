//! The printIQ connector end to end: the real `printiq_connector.wasm` in
//! the real runtime, beside the Tharstern one, against the printIQ
//! simulator over real HTTP. Quotes and jobs are counted at the simulator.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{logs, no_customer, plugin_error, runtime_with};
use connect_runtime::contract::*;
use connect_runtime::runtime::{Runtime, RuntimeConfig};
use connect_runtime::sandbox::Limits;
use connect_runtime::tenant::TenantSpec;
use printiq_sim::{FaultConfig, FaultSpec, JobStatus, SimHandle, Simulator};

const PLUGIN: &str = "printiq";
const PASSWORD: &str = "Pa55-e2e-printiq-Xk4";
const APP_KEY: &str = "app-key-e2e-Qm9";

async fn sim() -> SimHandle {
    Simulator::builder()
        .demo_data()
        .api_user("e2e-user", PASSWORD)
        .application("connect-e2e", APP_KEY)
        // Nothing listens there: every delivery fails and is retried, so
        // each event arrives several times.
        .webhook_url("http://127.0.0.1:9/printiq")
        .webhook_backoff(Duration::from_millis(10))
        .start()
        .await
        .expect("starting the printIQ simulator")
}

/// One runtime with both connectors, outgoing answers awaited 1 s at most.
async fn runtime() -> Arc<Runtime> {
    let mut limits = Limits::default();
    limits.http.first_byte_timeout = Duration::from_secs(1);
    let rt = runtime_with(RuntimeConfig {
        limits,
        ..RuntimeConfig::default()
    })
    .await;
    rt.load_plugin(Path::new(connect_artifacts::PRINTIQ))
        .await
        .expect("loading the printIQ plugin");
    rt
}

fn settings(sim: &SimHandle, extra: &[(&str, &str)]) -> Settings {
    let mut s: Vec<(String, String)> = [
        ("api_url", sim.base_url()),
        ("user_name", "e2e-user".into()),
        ("password", PASSWORD.into()),
        ("application_name", "connect-e2e".into()),
        ("application_key", APP_KEY.into()),
        ("customer_code", printiq_sim::WEBSHOP.into()),
        ("api_name", printiq_sim::DEMO_API_NAME.into()),
        ("api_key", printiq_sim::DEMO_API_KEY.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        s.retain(|(key, _)| key != k);
        s.push(((*k).into(), (*v).into()));
    }
    s
}

async fn tenant(rt: &Runtime, id: &str, settings: Settings) -> TenantSpec {
    let normalised = rt
        .configure(PLUGIN, settings)
        .await
        .expect("valid settings");
    // The simulator listens on 127.0.0.1.
    TenantSpec::new(id, normalised).with_private_networks(true)
}

fn price_request(product_ref: &str, quantity: u32, attributes: &[(&str, &str)]) -> PriceRequest {
    PriceRequest {
        product: ProductMapping {
            product_ref: product_ref.into(),
            overrides: vec![],
            advanced_json: None,
        },
        quantity,
        customer: no_customer(),
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connection_diagnoses_precisely_beside_tharstern() {
    let sim = sim().await;
    let rt = runtime().await;
    let ids: Vec<String> = rt.plugins().iter().map(|p| p.info.id.clone()).collect();
    assert!(
        ids.contains(&"tharstern".to_string()) && ids.contains(&"printiq".to_string()),
        "{ids:?}"
    );

    let t = tenant(&rt, "piq-check", settings(&sim, &[])).await;
    let report = rt.check_connection(&t, PLUGIN).await.unwrap();
    assert_eq!(report.checks.len(), 4, "{report:?}");
    assert!(report.warnings.is_empty(), "{report:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        ("password", "wrong", "authentication"),
        ("application_key", "wrong", "authentication"),
        ("customer_code", "NO-SUCH-CUSTOMER", "configuration"),
        ("api_key", "wrong", "authentication"),
        (
            "api_url",
            &format!("http://127.0.0.1:{closed}"),
            "unreachable",
        ),
    ];
    let mut messages = Vec::new();
    for (key, value, kind) in cases {
        let t = tenant(
            &rt,
            &format!("piq-bad-{key}"),
            settings(&sim, &[(key, value)]),
        )
        .await;
        let err = rt.check_connection(&t, PLUGIN).await.expect_err(key);
        let e = plugin_error(&err);
        assert_eq!(e.kind(), kind, "{key}: {err}");
        assert!(!e.message().contains(PASSWORD) && !e.message().contains(APP_KEY));
        messages.push(e.message().to_string());
    }
    assert!(messages[2].contains("NO-SUCH-CUSTOMER"), "{}", messages[2]);
    assert!(messages[3].contains("API name"), "{}", messages[3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_stock_and_catalogue() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "piq-price", settings(&sim, &[])).await;

    let q = rt
        .price(&t, PLUGIN, &price_request("code:BC-STD", 500, &[]))
        .await
        .unwrap();
    let quotes = sim.quotes();
    assert_eq!(quotes.len(), 1);
    assert_eq!(q.quote_ref.as_deref(), Some(quotes[0].quote_no.as_str()));
    assert_eq!(
        (
            q.cached,
            q.total.currency.as_str(),
            q.customer_code.as_str()
        ),
        (false, "GBP", "WEBSHOP")
    );
    let exact = serde_json::to_value(quotes[0].product.price)
        .unwrap()
        .to_string();
    // The simulator's exact decimal (e.g. 39.4) in pence.
    let (units, cents) = exact.split_once('.').unwrap_or((&exact, ""));
    let pence: i64 = format!("{units}{:0<2}", cents).parse().unwrap();
    assert_eq!(q.total.minor_units, pence, "{exact}");
    // A repeat makes no new quote.
    let again = rt
        .price(&t, PLUGIN, &price_request("code:BC-STD", 500, &[]))
        .await
        .unwrap();
    assert!(again.cached);
    assert_eq!(sim.quotes().len(), 1, "a repeated price created a quote");
    // A category with filter values.
    let by_node = rt
        .price(
            &t,
            PLUGIN,
            &price_request(
                "node:1111",
                1000,
                &[("Stock", "7002"), ("FinishSize", "11"), ("Process", "51,1")],
            ),
        )
        .await
        .unwrap();
    assert!(by_node.total.minor_units > 0);
    assert_eq!(sim.quotes().len(), 2);
    let unknown = rt
        .price(&t, PLUGIN, &price_request("code:NO-SUCH", 5, &[]))
        .await
        .unwrap_err();
    assert_eq!(plugin_error(&unknown).kind(), "not-found");

    let item = sim
        .inventory()
        .into_iter()
        .find(|i| i.ii_code == "ENV-DL-WHITE")
        .unwrap();
    let available: i64 = item.locations.iter().map(|l| l.available).sum();
    let s = rt
        .stock(
            &t,
            PLUGIN,
            &StockRequest {
                product_ref: "code:ENV-DL-WHITE".into(),
                customer: no_customer(),
                minimum_order: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!((s.free, s.meets_minimum), (available, Some(true)));

    let report = rt.refresh_catalogue(&t, PLUGIN).await.unwrap();
    assert!(
        report.products > 0 && report.product_types >= report.products,
        "{report:?}"
    );
    let page = rt.products(&t, PLUGIN, 0, 500, None).await.unwrap();
    assert_eq!(page.total, report.products);
    assert!(
        page.items.iter().any(|p| p.product_ref == "node:1111"),
        "{page:?}"
    );
    let calls = sim.calls().len();
    let searched = rt
        .products(&t, PLUGIN, 0, 5, Some("business"))
        .await
        .unwrap();
    assert!(searched.total >= 1);
    assert_eq!(sim.calls().len(), calls, "products pages from the cache");
    assert!(!logs().contains(PASSWORD) && !logs().contains(APP_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_survives_a_timeout_after_accept_and_reports_status_by_webhook_and_polling() {
    let sim = sim().await;
    let rt = runtime().await;
    let t = tenant(&rt, "piq-orders", settings(&sim, &[])).await;
    let mut endpoints = std::collections::BTreeMap::new();
    endpoints.insert(
        "AcceptQuote".to_string(),
        FaultSpec {
            timeout_after_work_rate: Some(1.0),
            ..Default::default()
        },
    );
    sim.set_faults(FaultConfig {
        endpoints,
        hang_secs: Some(3),
        ..Default::default()
    })
    .unwrap();

    let order = Order {
        order_id: "SF-9001".into(),
        customer: no_customer(),
        order_date: "2026-11-29".into(),
        required_date: Some("2026-12-06".into()),
        reference: Some("PO-9".into()),
        lines: vec![OrderLine {
            line_ref: "L1".into(),
            product_ref: "code:BC-STD".into(),
            quantity: 500,
            quote_ref: None,
            price: None,
            price_source: PriceSource::None,
            description: Some("Business cards".into()),
            attributes: vec![],
        }],
    };
    let receipt = rt.submit_order(&t, PLUGIN, &order).await.unwrap();
    let jobs = sim.jobs_for_reference("SF-9001");
    assert_eq!(
        jobs.len(),
        1,
        "exactly one job although AcceptQuote timed out"
    );
    assert_eq!(receipt.backend_order_id, jobs[0].job_no);
    assert_eq!(sim.calls_to("AcceptQuote").len(), 1);
    // The host retries: still one job, no call at all.
    sim.set_faults(FaultConfig::default()).unwrap();
    let calls = sim.calls().len();
    assert_eq!(rt.submit_order(&t, PLUGIN, &order).await.unwrap(), receipt);
    assert_eq!(sim.calls().len(), calls);
    assert_eq!(sim.jobs_for_reference("SF-9001").len(), 1);
    let job = receipt.backend_order_id.clone();

    // Status by webhook: CreateJob (delivered several times), then a dispatch.
    sim.advance_job(&job, Some(JobStatus::Dispatched), Some("DPD123".into()))
        .unwrap();
    let deliveries = wait_for(&sim, |d| {
        ["CreateJob", "CreateConsignment"]
            .iter()
            .all(|e| d.iter().filter(|x| x.event == *e).count() >= 2)
    })
    .await;
    let mut updates: Vec<OrderUpdate> = Vec::new();
    for d in deliveries.iter().filter(|d| d.event == "CreateJob") {
        let got = rt.handle_webhook(&t, PLUGIN, &hook(d)).await.unwrap();
        updates.extend(got);
    }
    assert_eq!(
        updates.len(),
        1,
        "duplicate deliveries must change nothing: {updates:?}"
    );
    assert_eq!(updates[0].order_id.as_deref(), Some("SF-9001"));
    assert_eq!(updates[0].stage.unwrap(), OrderStage::Received);
    let mut tracking = Vec::new();
    for d in deliveries.iter().filter(|d| d.event == "CreateConsignment") {
        tracking.extend(rt.handle_webhook(&t, PLUGIN, &hook(d)).await.unwrap());
    }
    assert_eq!(tracking.len(), 1, "{tracking:?}");
    assert_eq!(tracking[0].stage.unwrap(), OrderStage::Despatched);
    assert_eq!(tracking[0].tracking_number.as_deref(), Some("DPD123"));
    // A late CreateJob again: never backwards.
    let late = deliveries.iter().find(|d| d.event == "CreateJob").unwrap();
    assert!(
        rt.handle_webhook(&t, PLUGIN, &hook(late))
            .await
            .unwrap()
            .is_empty()
    );

    // Status by polling.
    let polled = rt
        .order_status(&t, PLUGIN, "SF-9001", Some(&job))
        .await
        .unwrap();
    assert_eq!(polled.stage.unwrap(), OrderStage::Despatched);
    assert_eq!(polled.status.clone().unwrap(), "Dispatched");
    sim.advance_job(&job, Some(JobStatus::Complete), None)
        .unwrap();
    let polled = rt.order_status(&t, PLUGIN, "SF-9001", None).await.unwrap();
    assert_eq!(polled.stage.unwrap(), OrderStage::Delivered);
    assert_eq!(sim.jobs().len(), 1);
}

fn hook(d: &printiq_sim::model::WebhookDelivery) -> WebhookRequest {
    WebhookRequest {
        query: d.url.split_once('?').map(|(_, q)| q.to_string()),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: d.body.clone().into_bytes(),
    }
}

async fn wait_for(
    sim: &SimHandle,
    done: impl Fn(&[printiq_sim::model::WebhookDelivery]) -> bool,
) -> Vec<printiq_sim::model::WebhookDelivery> {
    for _ in 0..200 {
        let d = sim.deliveries();
        if done(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("webhooks not delivered: {:?}", sim.deliveries());
}
