//! The rules that change the records.

use super::*;
use crate::data::{DataOptions, build};

fn db() -> Db {
    let d = build(&DataOptions::default());
    Db::new(d.customers, d.stock_items)
}

fn pen_order(unique: &str, quantity: i64) -> OrderRequest {
    OrderRequest {
        unique_submit_order_id: Some(unique.into()),
        customer_code: Some("webshop".into()),
        items: vec![OrderItemRequest {
            stock_item_id: Some(1),
            quantity,
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn idempotent_submit_and_stock() {
    let mut db = db();
    let a = db.submit_order(&pen_order("u1", 10));
    let b = db.submit_order(&pen_order("u1", 10));
    assert_eq!(a.id, 1);
    assert_eq!((b.id, b.order_no.clone()), (a.id, a.order_no.clone()));
    assert!(b.new_job.is_none());
    assert_eq!(db.orders.len(), 1);
    assert_eq!(db.jobs.len(), 1);
    assert_eq!(db.stock_items[0].free_stock, 4990);
    let too_many = db.submit_order(&pen_order("u2", 1_000_000));
    assert_eq!(too_many.id, 0);
    assert!(too_many.status_details.contains("Insufficient"));

    // Recording duplicates: the same ID again is a second order.
    let mut db = self::db();
    db.record_duplicates = true;
    let a = db.submit_order(&pen_order("u1", 10));
    let b = db.submit_order(&pen_order("u1", 10));
    assert_ne!(a.id, b.id);
    assert_eq!(db.orders.len(), 2);
}

#[test]
fn job_progression_releases_stock() {
    let mut db = db();
    let o = db.submit_order(&pen_order("u1", 10));
    let job_no = o.new_job.map(|j| j.job_no).unwrap_or_default();
    for expected in [
        JobStatus::InProduction,
        JobStatus::Finished,
        JobStatus::Despatched,
    ] {
        let (job, changed) = db.advance_job(&job_no, None, None).expect("advances");
        assert!(changed);
        assert_eq!(job.status, expected);
    }
    assert!(db.jobs[0].tracking_number.is_some());
    assert_eq!(db.orders[0].status, JobStatus::Despatched);
    assert_eq!(db.stock_items[0].allocated, 0);
    assert!(matches!(
        db.advance_job(&job_no, None, None),
        Err(JobError::AlreadyDespatched(_))
    ));
}

#[test]
fn customer_codes() {
    let mut db = db();
    let c = db
        .create_customer(None, "New".into(), "n@example.com".into())
        .expect("created");
    assert_eq!(c.code, format!("WEB{:05}", c.id));
    assert!(
        db.create_customer(Some("acme-mkt".into()), "x".into(), "".into())
            .is_err()
    );
}

#[test]
fn where_products_are_stock_items_orders_name_the_product() {
    let d = build(&DataOptions::default());
    let pen = d.catalog.product_by_code("STK-PEN").map(|p| p.id).unwrap();
    let products = d
        .catalog
        .products
        .iter()
        .filter_map(|p| Some((p.id, p.stock_item_id?)))
        .collect();
    let mut db = Db::new(d.customers, d.stock_items).with_products_as_stock_items(products);
    let mut order = pen_order("u1", 10);
    order.items[0].stock_item_id = Some(pen);
    let o = db.submit_order(&order);
    assert!(o.id > 0, "{}", o.status_details);
    // The pen product's stock item (1) is allocated; the order names the product.
    assert_eq!(
        (db.stock_items[0].free_stock, db.stock_items[0].allocated),
        (4990, 10)
    );
    assert_eq!(db.orders[0].items[0].stock_item_id, Some(pen));
    // ID 1 is a made-to-order product here, not stock item 1.
    let r = db.submit_order(&pen_order("u2", 1));
    assert_eq!(r.id, 0);
    assert!(
        r.status_details.contains("product 1 is not a stock item"),
        "{}",
        r.status_details
    );
    let job_no = o.new_job.map(|j| j.job_no).unwrap_or_default();
    for _ in 0..3 {
        db.advance_job(&job_no, None, None).expect("advances");
    }
    assert_eq!(db.stock_items[0].allocated, 0, "released on despatch");
}
