//! Stock and stock orders on both installation shapes: a product naming its
//! stock item (`StockItemID` -> `GET stockitems`), and products that are the
//! stock items (`FreeStock` on the product row, no `stockitems` endpoint).

use crate::calls_to;
use crate::common::*;
use connect_runtime::contract::*;
use tharstern_sim::{ProductShape, SimHandle};

const SHAPES: [ProductShape; 2] = [
    ProductShape::StockItemLinked,
    ProductShape::ProductsAreStockItems,
];

async fn shaped(shape: ProductShape) -> SimHandle {
    sim_with(sim_builder().product_shape(shape)).await
}

/// Free stock of a stock item, as the simulator holds it.
fn free(sim: &SimHandle, stock_item: i64) -> i64 {
    let items = sim.state().stock_items();
    items
        .iter()
        .find(|s| s.id == stock_item)
        .unwrap()
        .free_stock
}

/// What an order line names as `StockItemID` for a stock product: its stock
/// item, or the product itself where products are the stock items.
fn stock_item_id_of(sim: &SimHandle, shape: ProductShape, code: &str) -> i64 {
    let product = sim.state().catalog().product_by_code(code).unwrap().clone();
    match shape {
        ProductShape::StockItemLinked => product.stock_item_id.unwrap(),
        ProductShape::ProductsAreStockItems => product.id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_is_read_cached_and_checked_against_the_minimum() {
    let rt = runtime().await;
    for shape in SHAPES {
        let sim = shaped(shape).await;
        let t = tenant(&rt, &format!("stock-{shape:?}"), settings(&sim, &[])).await;
        let s = stock(&rt, &t, "STK-STAND", Some(10)).await.unwrap();
        assert_eq!((s.free, s.meets_minimum), (25, Some(true)), "{shape:?}");
        let calls = sim.calls().len();
        let s = stock(&rt, &t, "STK-STAND", Some(100)).await.unwrap();
        assert_eq!(s.meets_minimum, Some(false), "{shape:?}");
        assert!(s.cached, "{shape:?}");
        assert_eq!(
            sim.calls().len(),
            calls,
            "{shape:?}: stock within its TTL must come from the cache"
        );
        let uses_stockitems = shape == ProductShape::StockItemLinked;
        assert_eq!(
            calls_to(&sim, "stockitems") > 0,
            uses_stockitems,
            "{shape:?}"
        );
        for (product, what) in [
            ("NO-SUCH-PRODUCT", "no such product"),
            ("BC-STD", "made to order"),
        ] {
            let err = stock(&rt, &t, product, None).await.unwrap_err();
            assert_eq!(
                plugin_error(&err).kind(),
                "not-found",
                "{shape:?} {what}: {err}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_placed_once_under_the_right_customer() {
    let rt = runtime().await;
    for shape in SHAPES {
        let sim = shaped(shape).await;
        order_on(&rt, &sim, shape).await;
    }
}

async fn order_on(rt: &connect_runtime::runtime::Runtime, sim: &SimHandle, shape: ProductShape) {
    let t = tenant(rt, &format!("orders-{shape:?}"), settings(sim, &[])).await;
    let pen = 1; // STK-PEN's stock item
    let free_before = free(sim, pen);
    let dept = CustomerContext {
        department_code: Some("ACME-HR".into()),
        email: None,
        name: None,
    };
    let receipt = submit(
        rt,
        &t,
        order("SF-1001", dept.clone(), vec![stock_line("STK-PEN", 40)]),
    )
    .await
    .unwrap();
    assert_eq!(receipt.customer_code, "ACME-HR");
    let orders = sim.state().orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].customer_code, "ACME-HR");
    assert_eq!(orders[0].unique_submit_order_id.as_deref(), Some("SF-1001"));
    assert_eq!(receipt.backend_order_id, orders[0].id.to_string());
    // The line names the right stock item, and that item's stock is allocated.
    let named = orders[0].items[0].stock_item_id;
    assert_eq!(
        named,
        Some(stock_item_id_of(sim, shape, "STK-PEN")),
        "{shape:?}"
    );
    assert_eq!(free(sim, pen), free_before - 40, "{shape:?}");

    // The stock figure follows (read afresh once the stock cache is off).
    let live = tenant(
        rt,
        &format!("live-{shape:?}"),
        settings(sim, &[("stock_cache_seconds", "0")]),
    )
    .await;
    let s = stock(rt, &live, "STK-PEN", None).await.unwrap();
    assert_eq!(s.free, free_before - 40, "{shape:?}");

    // A retry (e.g. after a lost answer) is the same order.
    let again = submit(
        rt,
        &t,
        order("SF-1001", dept, vec![stock_line("STK-PEN", 40)]),
    )
    .await
    .unwrap();
    assert_eq!(again.backend_order_id, receipt.backend_order_id);
    assert_eq!(sim.state().orders().len(), 1);

    // Without a department: the storefront customer code.
    let r = submit(
        rt,
        &t,
        order("SF-1002", no_customer(), vec![stock_line("STK-PEN", 1)]),
    )
    .await
    .unwrap();
    assert_eq!(r.customer_code, "WEBSHOP");
    let s = stock(rt, &live, "STK-PEN", None).await.unwrap();
    assert_eq!(s.free, free_before - 41, "{shape:?}");

    // ID 0: a typed rejection carrying Tharstern's reason.
    let err = submit(
        rt,
        &t,
        order(
            "SF-1003",
            no_customer(),
            vec![stock_line("STK-STAND", 1000)],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(plugin_error(&err).kind(), "rejected", "{shape:?}: {err}");
    assert!(
        plugin_error(&err)
            .message()
            .to_lowercase()
            .contains("stock"),
        "{shape:?}: {err}"
    );
    assert_eq!(sim.state().orders().len(), 2);
}
