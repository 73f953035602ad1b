//! The conformance suite every [`Store`] backend passes (feature
//! `testing`): each group of operations round-trips, repeats are idempotent,
//! and two nodes on the same storage never claim the same order.
//! `host/tests/store_conformance.rs` runs it against SQLite and a real
//! PostgreSQL; a new backend adds one line there.
//!
//! Each case gets fresh, empty storage opened twice ([`Subject::a`] and
//! [`Subject::b`]: two nodes). Run on a multi-threaded runtime.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

mod cluster;

pub use cluster::*;

use super::{EventKind, FailedAttempt, Holder, KeyRow, NewOrder, OrderState, Store};
use crate::service::domain::mappings::{Mapping, PluginMapping};
use crate::service::domain::storefronts::{ConnectSettings, Customer, Department};
use crate::service::infra::time::now_ms;
use connect_runtime::contract::{CustomerLink as Link, OrderReceipt, OrderUpdate};

/// A backend under test: two handles on the same, empty storage.
pub struct Subject {
    pub name: &'static str,
    pub a: Arc<dyn Store>,
    pub b: Arc<dyn Store>,
}

async fn storefront(s: &dyn Store, id: &str) {
    assert!(s.create_storefront(id, "Shop").await.unwrap(), "created");
}

/// Node `name` holding what it takes for `secs` from now (negative: a
/// lease that lapsed already).
fn node(name: &str, secs: i64) -> Holder {
    Holder {
        node: name.into(),
        until_ms: now_ms() + secs * 1000,
    }
}

fn order(sf: &str, id: &str) -> NewOrder {
    NewOrder {
        storefront: sf.into(),
        id: id.into(),
        plugin: "tharstern".into(),
        payload: format!("{{\"order_id\":\"{id}\"}}"),
        payload_hash: format!("hash-{id}"),
    }
}

/// Storefronts, Connect settings, departments, customers and links.
pub async fn storefronts_round_trip(s: &Subject) {
    let st = &*s.a;
    storefront(st, "shop").await;
    assert!(
        !st.create_storefront("shop", "Again").await.unwrap(),
        "{}: a taken id",
        s.name
    );
    assert!(st.storefront("none").await.unwrap().is_none());
    let cs = ConnectSettings {
        enabled_plugins: vec!["a".into(), "b".into()],
        price_plugin: Some("a".into()),
        stock_plugin: None,
        order_plugin: Some("b".into()),
        refresh_minutes: 60,
        allow_private_networks: true,
    };
    st.set_connect("shop", &cs).await.unwrap();
    let row = s.b.storefront("shop").await.unwrap().unwrap();
    assert_eq!(row.connect, cs, "{}", s.name);
    assert_eq!(st.storefront_ids().await.unwrap(), vec!["shop".to_string()]);

    let d = Department {
        id: "acme".into(),
        name: "Acme".into(),
        customer_code: Some("C1".into()),
        plugin_codes: BTreeMap::from([("b".into(), "B1".into())]),
    };
    st.put_department("shop", &d).await.unwrap();
    let got = st.department("shop", "acme").await.unwrap().unwrap();
    assert_eq!(got.plugin_codes.get("b").map(String::as_str), Some("B1"));
    assert_eq!(st.departments("shop").await.unwrap().len(), 1);
    let c = Customer {
        id: "u1".into(),
        email: Some("Ann@Example.com".into()),
        name: None,
        department: Some("acme".into()),
    };
    st.put_customer("shop", &c).await.unwrap();
    assert_eq!(
        st.customer("shop", "u1").await.unwrap().unwrap().email,
        c.email
    );
    assert_eq!(st.customers("shop").await.unwrap().len(), 1);
    let link = Link {
        email: "Ann@Example.com".into(),
        customer_code: "X9".into(),
        created: true,
    };
    st.put_link("shop", "b", &link).await.unwrap();
    // Emails compare without case, on every backend.
    let code = st
        .linked_code("shop", "b", "ann@example.com")
        .await
        .unwrap();
    assert_eq!(code.as_deref(), Some("X9"), "{}", s.name);
    assert_eq!(st.customer_links("shop").await.unwrap().len(), 1);
    assert!(st.delete_department("shop", "acme").await.unwrap());
    assert!(!st.delete_department("shop", "acme").await.unwrap());
}

/// Mappings with blocks per plugin, plugin settings, keys, webhook secrets.
pub async fn settings_round_trip(s: &Subject) {
    let st = &*s.a;
    storefront(st, "shop").await;
    let m = Mapping {
        product: "card".into(),
        product_ref: "P1".into(),
        overrides: BTreeMap::from([("paper".into(), "silk".into())]),
        advanced_json: Some(serde_json::json!({"a": 1})),
        min_order_qty: Some(10),
        plugins: BTreeMap::from([(
            "b".into(),
            PluginMapping {
                product_ref: "B-P1".into(),
                overrides: BTreeMap::new(),
                advanced_json: None,
            },
        )]),
    };
    st.put_mapping("shop", &m).await.unwrap();
    let got = s.b.mapping("shop", "card").await.unwrap().unwrap();
    assert_eq!(
        (got.min_order_qty, got.plugins.len()),
        (Some(10), 1),
        "{}",
        s.name
    );
    assert_eq!(got.advanced_json, m.advanced_json);
    assert_eq!(
        st.mappings("shop").await.unwrap()[0].plugins["b"].product_ref,
        "B-P1"
    );
    assert!(st.delete_mapping("shop", "card").await.unwrap());
    assert!(st.mapping("shop", "card").await.unwrap().is_none());

    st.write_plugin_settings("shop", "b", r#"{"url":"x"}"#, Some("sealed"))
        .await
        .unwrap();
    st.record_check("shop", "b", true, "fine").await.unwrap();
    let ps = st.plugin_settings("shop", "b").await.unwrap().unwrap();
    assert_eq!(ps.sealed_secrets.as_deref(), Some("sealed"));
    assert!(ps.check.is_some_and(|(ok, _, _)| ok), "{}", s.name);
    st.set_connect(
        "shop",
        &ConnectSettings {
            enabled_plugins: vec!["b".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(st.due_refreshes(i64::MAX / 2).await.unwrap().len(), 1);
    st.record_refresh("shop", "b", true, "3 products")
        .await
        .unwrap();
    assert!(st.due_refreshes(0).await.unwrap().is_empty());

    let key = KeyRow {
        id: "k1".into(),
        storefront: "shop".into(),
        label: "live".into(),
        prefix: "csk_ab".into(),
        hash: "h1".into(),
        created_at: 1,
    };
    st.insert_key(&key).await.unwrap();
    assert_eq!(
        s.b.key_storefront("h1").await.unwrap().as_deref(),
        Some("shop")
    );
    assert_eq!(st.keys("shop").await.unwrap().len(), 1);
    assert!(st.delete_key("shop", "k1").await.unwrap());
    assert!(st.key_storefront("h1").await.unwrap().is_none());

    st.put_webhook_secret("shop", "b", "s1", 5).await.unwrap();
    st.put_webhook_secret("shop", "b", "s2", 6).await.unwrap();
    let secret = st.webhook_secret("shop", "b").await.unwrap();
    assert_eq!(secret, Some(("s2".into(), 6)), "{}", s.name);
}

/// Accepting is idempotent; history, retries and status updates.
pub async fn orders_round_trip(s: &Subject) {
    let st = &*s.a;
    storefront(st, "shop").await;
    assert!(st.insert_order(&order("shop", "o1")).await.unwrap());
    assert!(
        !s.b.insert_order(&order("shop", "o1")).await.unwrap(),
        "{}",
        s.name
    );
    assert_eq!(
        st.order_hash("shop", "o1").await.unwrap().as_deref(),
        Some("hash-o1")
    );
    let o = st.order("shop", "o1").await.unwrap().unwrap();
    assert_eq!((o.state, o.history.len()), (OrderState::Pending, 1));
    assert!(
        !st.retry_order("shop", "o1").await.unwrap(),
        "only failed orders"
    );

    let claimed = st.claim(&node("a", 60), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let failed = FailedAttempt {
        park: true,
        next_attempt_ms: 0,
        kind: "unreachable".into(),
        message: "down".into(),
        detail: "parked".into(),
    };
    st.record_failure(&claimed[0], &failed).await.unwrap();
    let listed = st
        .orders("shop", Some(OrderState::Failed), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{}", s.name);
    assert!(st.retry_order("shop", "o1").await.unwrap());
    let claimed = st.claim(&node("a", 60), 10).await.unwrap();
    assert_eq!(claimed[0].attempts, 1, "a retry starts a fresh round");
    let receipt = OrderReceipt {
        backend_order_id: "B-1".into(),
        backend_order_no: Some("1001".into()),
        customer_code: "C1".into(),
        customer_link: None,
    };
    st.record_delivered(&claimed[0], &receipt).await.unwrap();
    let update = OrderUpdate {
        order_id: None,
        backend_order_id: Some("B-1".into()),
        job_no: Some("J7".into()),
        status: Some("printing".into()),
        stage: None,
        tracking_number: None,
        at: None,
    };
    let n = st
        .apply_updates("shop", "tharstern", &[update], EventKind::Webhook)
        .await
        .unwrap();
    assert_eq!(n, 1, "{}: matched by backend id", s.name);
    let o = s.b.order("shop", "o1").await.unwrap().unwrap();
    assert_eq!(
        (o.state, o.job_no.as_deref()),
        (OrderState::Delivered, Some("J7"))
    );
    let due = st.orders_due_for_status(0, i64::MAX / 2, 10).await.unwrap();
    assert_eq!(due, vec![("shop".to_string(), "o1".to_string())]);
    st.mark_status_polled("shop", "o1").await.unwrap();
    let depth = st.outbox_depth().await.unwrap();
    assert!(depth.iter().any(|d| d.state == "delivered" && d.count == 1));
}

/// An order left `delivering` by a node that died (its lease lapsed) is
/// due again after `recover`.
pub async fn recover_puts_deliveries_back(s: &Subject) {
    let st = &*s.a;
    storefront(st, "shop").await;
    st.insert_order(&order("shop", "o1")).await.unwrap();
    assert_eq!(st.claim(&node("a", -1), 10).await.unwrap().len(), 1);
    assert_eq!(s.b.recover().await.unwrap(), 1, "{}", s.name);
    let again = st.claim(&node("a", 60), 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 2));
}

/// Two nodes claiming the same outbox at once never get the same order.
pub async fn two_claimers_never_share_an_order(s: &Subject) {
    const ORDERS: usize = 200;
    storefront(&*s.a, "shop").await;
    for i in 0..ORDERS {
        s.a.insert_order(&order("shop", &format!("o{i}")))
            .await
            .unwrap();
    }
    let claimer = |st: Arc<dyn Store>, name: &str| {
        let holder = node(name, 60);
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = st.claim(&holder, 7).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|c| c.id));
            }
        })
    };
    let (a, b) = (claimer(s.a.clone(), "a"), claimer(s.b.clone(), "b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut seen = HashSet::new();
    for id in a.iter().chain(&b) {
        assert!(seen.insert(id.clone()), "{}: {id} claimed twice", s.name);
    }
    assert_eq!(seen.len(), ORDERS, "{}: every order claimed", s.name);
}
