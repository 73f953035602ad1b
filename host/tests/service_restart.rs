//! A crash mid-delivery neither loses nor duplicates an order: the real
//! `connect-host serve` binary is killed with SIGKILL while it submits
//! orders to the simulator (which answers order submissions slowly), then
//! restarted on the same data directory; every order reaches the simulator
//! exactly once.

mod service_support;

use std::time::{Duration, Instant};

use serde_json::json;
use service_support::process::{FAST_OUTBOX, ServiceProcess};
use service_support::*;
use tharstern_sim::{FaultConfig, FaultSpec};

const ORDERS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_delivery_neither_loses_nor_duplicates() {
    let mut faults = FaultConfig::default();
    faults.endpoints.insert(
        "orders/submit".into(),
        FaultSpec {
            latency_ms: Some(300),
            ..FaultSpec::default()
        },
    );
    let sim = tharstern_sim::Simulator::builder()
        .record_duplicate_orders()
        .demo_data()
        .faults(faults)
        .start()
        .await
        .unwrap();

    let mut service = ServiceProcess::new(FAST_OUTBOX);
    service.start(&[]).await;
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;
    for i in 0..ORDERS {
        api.ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/orders"),
            Some(json!({"id": format!("R-{i:03}"), "customer": if i % 2 == 0 { "alice" } else { "bob" },
                "lines": [{"product": "mugs", "quantity": 1}]})),
            202,
        )
        .await;
    }

    // Kill it while a submission is in flight, after a few got through.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        // A delivering order the simulator has not recorded yet is inside
        // its 300 ms answer: kill now. (Breaking as soon as the simulator has
        // three orders raced with the end of the third delivery.)
        let states = service.states();
        let delivered = states.iter().filter(|(_, s)| s == "delivered").count();
        let delivering = states.iter().any(|(_, s)| s == "delivering");
        if delivering && delivered >= 3 && sim.state().orders().len() == delivered {
            break;
        }
        assert!(
            Instant::now() < until,
            "deliveries did not start: {:?}",
            service.states()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    service.kill();
    let at_kill = service.states();
    assert!(
        at_kill.iter().any(|(_, s)| s == "delivering"),
        "{at_kill:?}"
    );
    assert!(
        at_kill.iter().any(|(_, s)| s == "pending"),
        "some were still waiting: {at_kill:?}"
    );

    // Restart on the same data: every order is delivered.
    service.start(&[]).await;
    eventually(90, "every order delivered", || {
        let s = service.states();
        async move {
            (s.len() == ORDERS && s.iter().all(|(_, st)| st == "delivered")).then_some(())
        }
    })
    .await;

    // Exactly once each in the simulator, under the right customer.
    let orders = sim.state().orders();
    assert_eq!(orders.len(), ORDERS, "{orders:?}");
    for i in 0..ORDERS {
        let id = format!("R-{i:03}");
        let found: Vec<_> = orders
            .iter()
            .filter(|o| o.unique_submit_order_id.as_deref() == Some(id.as_str()))
            .collect();
        assert_eq!(found.len(), 1, "order {id}: {found:?}");
        let want = if i % 2 == 0 {
            "ACME-MKT"
        } else {
            tharstern_sim::WEBSHOP
        };
        assert_eq!(found[0].customer_code, want, "order {id}");
    }
    // The interrupted one says so in its history.
    let interrupted = at_kill
        .iter()
        .find(|(_, s)| s == "delivering")
        .unwrap()
        .0
        .clone();
    let order = api
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{SF}/orders/{interrupted}"),
            None,
            200,
        )
        .await;
    assert!(
        order["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "interrupted"),
        "{order}"
    );

    // A graceful stop (SIGTERM) exits cleanly.
    let exit = service.terminate().await;
    assert!(exit.success(), "{exit:?}");
}
