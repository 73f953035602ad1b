//! Start-up options that reproduce other installations: a server capping
//! the page size, and products that are their own stock items.

mod common;

use common::Api;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tharstern_sim::ProductShape;

fn first_order(body: &Value) -> &Value {
    &body["Details"]["Orders"][0]
}

#[tokio::test]
async fn a_page_size_cap_answers_fewer_items_than_asked() {
    let builder = common::builder().products(250).customers(150);
    let api = Api::with(builder.max_page_size(100)).await;
    let (_, body) = api
        .get("products?customerCode=WEBSHOP&page=3&pageSize=500")
        .await;
    assert_eq!(body["Details"]["TotalItemCount"], 267);
    let items = body["Details"]["Items"].as_array().unwrap();
    // Page 3 of pages of 100 (not of 500): items 201..=267.
    assert_eq!(items.len(), 67);
    assert_eq!(items[0]["ID"], 201);
    let (_, body) = api.get("products?page=4&pageSize=500").await;
    assert_eq!(body["Details"]["Items"], json!([]));
    // Smaller pages are answered as asked; every list is capped.
    let (_, body) = api.get("products?pageSize=7").await;
    assert_eq!(body["Details"]["Items"].as_array().map(Vec::len), Some(7));
    let (_, body) = api.get("customers?pageSize=1000").await;
    assert_eq!(body["Details"]["Items"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn where_products_are_stock_items_rows_carry_free_stock() {
    let builder = common::builder().product_shape(ProductShape::ProductsAreStockItems);
    let api = Api::with(builder).await;
    let (_, body) = api
        .get("products?customerCode=WEBSHOP&productCode=STK-PEN")
        .await;
    let pen = body["Details"]["Items"][0].clone();
    assert_eq!(pen["FreeStock"], 5000);
    assert!(pen.get("StockItemID").is_none(), "{pen}");
    let (_, body) = api.get("products?productCode=BC-STD").await;
    let card = &body["Details"]["Items"][0];
    assert!(card.get("FreeStock").is_none() && card.get("StockItemID").is_none());
    let (status, _) = api.get("stockitems?id=1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The product's ID is the StockItemID an order names; its stock item is
    // allocated, and the row shows the live figure.
    let order = json!({"Orders": [{"UniqueSubmitOrderID": "s-1", "InvoiceCustomer": {"Code": "WEBSHOP"},
        "Items": [{"StockItemID": pen["ID"], "Quantity": 40}]}]});
    let (_, body) = api.post("orders/submit", &order).await;
    assert!(first_order(&body)["ID"].as_i64().unwrap() > 0, "{body}");
    let stock = api.sim.state().stock_items();
    assert_eq!(stock.iter().find(|s| s.id == 1).unwrap().free_stock, 4960);
    let (_, body) = api.get("products?productCode=STK-PEN").await;
    assert_eq!(body["Details"]["Items"][0]["FreeStock"], 4960);
    // A made-to-order product is no stock item.
    let order = json!({"Orders": [{"UniqueSubmitOrderID": "s-2", "InvoiceCustomer": {"Code": "WEBSHOP"},
        "Items": [{"StockItemID": card["ID"], "Quantity": 1}]}]});
    let (_, body) = api.post("orders/submit", &order).await;
    assert_eq!(first_order(&body)["ID"], 0);
    assert!(
        first_order(&body)["StatusDetails"]
            .as_str()
            .unwrap()
            .contains("is not a stock item"),
        "{body}"
    );
}

#[tokio::test]
async fn the_default_shape_is_unchanged() {
    let api = Api::start().await;
    let (_, body) = api.get("products?productCode=STK-PEN").await;
    let pen = &body["Details"]["Items"][0];
    assert_eq!(pen["StockItemID"], 1);
    assert!(pen.get("FreeStock").is_none(), "{pen}");
    let (status, _) = api.get("stockitems?id=1").await;
    assert_eq!(status, StatusCode::OK);
}
