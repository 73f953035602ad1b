//! The cases of what several nodes need from a store: claims that lapse
//! and move, named leases, marks, the change feed.

use super::{Subject, node, order, storefront};
use crate::service::infra::time::now_ms;
use crate::service::store::{Change, FailedAttempt, OrderState};
use connect_runtime::contract::OrderReceipt;

/// A claim held by a live node stays its own; one whose lease lapsed is
/// claimed by another node, and the first node's late outcome is refused.
pub async fn lapsed_claims_move_to_another_node(s: &Subject) {
    storefront(&*s.a, "shop").await;
    s.a.insert_order(&order("shop", "o1")).await.unwrap();
    s.a.insert_order(&order("shop", "o2")).await.unwrap();
    let held = s.a.claim(&node("a", 60), 1).await.unwrap();
    let lapsing = s.a.claim(&node("a", 60), 1).await.unwrap();
    assert_eq!((held.len(), lapsing.len()), (1, 1), "{}", s.name);
    assert!(
        s.b.claim(&node("b", 60), 10).await.unwrap().is_empty(),
        "{}: a live claim was taken",
        s.name
    );

    // Node a renews: both claims last; then only one lapses.
    assert_eq!(
        s.a.renew_claims(&node("a", 60)).await.unwrap(),
        2,
        "{}",
        s.name
    );
    assert_eq!(
        s.b.renew_claims(&node("b", 60)).await.unwrap(),
        0,
        "{}",
        s.name
    );
    assert_eq!(s.a.renew_claims(&node("a", -1)).await.unwrap(), 2);
    s.a.claim(&node("a", 60), 0).await.unwrap();
    let taken = s.b.claim(&node("b", 60), 10).await.unwrap();
    assert_eq!(
        taken.len(),
        2,
        "{}: lapsed claims were not taken over",
        s.name
    );
    assert!(taken.iter().all(|c| c.attempts == 2 && c.node == "b"));

    let receipt = OrderReceipt {
        backend_order_id: "B-1".into(),
        backend_order_no: None,
        customer_code: "C1".into(),
        customer_link: None,
    };
    assert!(
        !s.a.record_delivered(&held[0], &receipt).await.unwrap(),
        "{}: a lapsed claim recorded its outcome",
        s.name
    );
    let failed = FailedAttempt {
        park: false,
        next_attempt_ms: 0,
        kind: "unreachable".into(),
        message: "down".into(),
        detail: "retry".into(),
    };
    assert!(!s.a.record_failure(&lapsing[0], &failed).await.unwrap());
    let o = s.a.order("shop", &held[0].id).await.unwrap().unwrap();
    assert_eq!(o.state, OrderState::Delivering, "{}", s.name);
    let mine = taken.iter().find(|c| c.id == held[0].id).unwrap();
    assert!(s.b.record_delivered(mine, &receipt).await.unwrap());
    let history =
        s.a.order("shop", &held[0].id)
            .await
            .unwrap()
            .unwrap()
            .history;
    assert!(
        history.iter().any(|e| e.kind == "interrupted"),
        "{}: the take-over is not in the history: {history:?}",
        s.name
    );

    // Node b stops with the other delivery cancelled: only its claim goes back.
    assert_eq!(s.a.release_claims("b").await.unwrap(), 1, "{}", s.name);
    assert_eq!(s.a.release_claims("b").await.unwrap(), 0);
    let again = s.a.claim(&node("a", 60), 10).await.unwrap();
    assert_eq!(again.len(), 1, "{}", s.name);
}

/// A named lease has one holder at a time; it can be renewed by its holder,
/// taken once it lapsed, and given up only by its holder.
pub async fn leases_have_one_holder(s: &Subject) {
    assert!(
        s.a.take_lease("job", &node("a", 60)).await.unwrap(),
        "{}",
        s.name
    );
    assert!(
        !s.b.take_lease("job", &node("b", 60)).await.unwrap(),
        "{}: two holders",
        s.name
    );
    assert!(
        s.a.take_lease("job", &node("a", 60)).await.unwrap(),
        "renewed by its holder"
    );
    s.b.drop_lease("job", "b").await.unwrap();
    assert!(
        !s.b.take_lease("job", &node("b", 60)).await.unwrap(),
        "{}: dropped by another",
        s.name
    );
    s.a.drop_lease("job", "a").await.unwrap();
    assert!(
        s.b.take_lease("job", &node("b", -1)).await.unwrap(),
        "{}: free after drop",
        s.name
    );
    assert!(
        s.a.take_lease("job", &node("a", 60)).await.unwrap(),
        "{}: lapsed, taken over",
        s.name
    );
    assert!(
        s.b.take_lease("other", &node("b", 60)).await.unwrap(),
        "leases are independent"
    );
}

/// A change one node announces reaches another node's subscribers; a store
/// only one node opens has no feed at all.
pub async fn changes_reach_other_nodes(s: &Subject) {
    let Some(mut feed) = s.a.subscribe() else {
        assert!(s.b.subscribe().is_none(), "{}", s.name);
        s.b.announce(&Change::Orders).await.unwrap();
        return;
    };
    // The listener connects in the background: announce until one arrives.
    let change = Change::PluginSettings {
        storefront: "shop".into(),
        plugin: "tharstern".into(),
    };
    let heard = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            s.b.announce(&change).await.unwrap();
            if let Ok(Ok(c)) =
                tokio::time::timeout(std::time::Duration::from_millis(200), feed.recv()).await
            {
                return c;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{}: no change heard in 20 s", s.name));
    assert_eq!(heard, change, "{}", s.name);
}

/// A mark set on one node is seen by another, once: setting it again is
/// refused until it expires; clearing by key or by prefix.
pub async fn marks_are_shared(s: &Subject) {
    let (soon, later) = (now_ms() / 1000 + 60, now_ms() / 1000 + 120);
    assert!(s.a.mark("session:x", soon).await.unwrap(), "{}", s.name);
    assert!(
        s.b.marked("session:x").await.unwrap(),
        "{}: not shared",
        s.name
    );
    assert!(
        !s.b.mark("session:x", later).await.unwrap(),
        "{}: set twice",
        s.name
    );
    assert!(!s.b.marked("session:y").await.unwrap());
    assert!(s.a.mark("session:y", soon).await.unwrap());
    assert!(s.a.mark("webhook:z", soon).await.unwrap());
    // Expired marks count as unset, and may be set again.
    assert!(s.a.mark("webhook:old", now_ms() / 1000 - 1).await.unwrap());
    assert!(
        !s.b.marked("webhook:old").await.unwrap(),
        "{}: expired yet marked",
        s.name
    );
    assert!(s.b.mark("webhook:old", soon).await.unwrap(), "{}", s.name);

    s.b.unmark("session:y").await.unwrap();
    assert!(!s.a.marked("session:y").await.unwrap(), "{}", s.name);
    assert_eq!(
        s.b.unmark_prefix("session:").await.unwrap(),
        1,
        "{}",
        s.name
    );
    assert!(!s.a.marked("session:x").await.unwrap());
    assert!(
        s.a.marked("webhook:z").await.unwrap(),
        "{}: other prefixes stay",
        s.name
    );
}
