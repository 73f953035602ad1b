//! A crash mid-delivery neither loses nor duplicates an order: the real
//! `connect-host serve` binary is killed with SIGKILL while it submits
//! orders to the simulator (which answers order submissions slowly), then
//! restarted on the same data directory; every order reaches the simulator
//! exactly once.

mod service_support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use service_support::*;
use tharstern_sim::{FaultConfig, FaultSpec};

const ORDERS: usize = 12;

fn spawn_service(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_connect-host"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning connect-host serve")
}

async fn wait_healthy(url: &str) {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < until,
            "the service did not come up at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn states(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, state FROM orders ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

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
        .demo_data()
        .faults(faults)
        .start()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let config_file = dir.path().join("connect.toml");
    std::fs::write(
        &config_file,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n\
             [storage]\ndata_dir = {data:?}\n\
             [plugins]\nprecompiled_dir = {pre:?}\n\
             [auth]\ntoken = \"{TOKEN}\"\n\
             [outbox]\nconcurrency = 1\ninitial_backoff_ms = 50\nmax_backoff_ms = 200\npoll_ms = 50\n\
             [catalogue]\ncheck_secs = 0\n",
            data = dir.path().join("data"),
            pre = connect_artifacts::PRECOMPILED_DIR,
        ),
    )
    .unwrap();
    let db = dir.path().join("data/connect.sqlite");

    let mut child = spawn_service(&config_file);
    wait_healthy(&url).await;
    let api = Api::new(&url);
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
        let delivering = states(&db).iter().any(|(_, s)| s == "delivering");
        if delivering && sim.state().orders().len() >= 3 {
            break;
        }
        assert!(
            Instant::now() < until,
            "deliveries did not start: {:?}",
            states(&db)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let at_kill = states(&db);
    assert!(
        at_kill.iter().any(|(_, s)| s == "delivering"),
        "{at_kill:?}"
    );
    assert!(
        at_kill.iter().any(|(_, s)| s == "pending"),
        "some were still waiting: {at_kill:?}"
    );

    // Restart on the same data: every order is delivered.
    let mut child = spawn_service(&config_file);
    wait_healthy(&url).await;
    eventually(90, "every order delivered", || {
        let db = db.clone();
        async move {
            let s = states(&db);
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
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let until = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < until, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
}
