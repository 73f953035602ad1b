//! Webhooks: events by query, dedupe, never backwards.

use crate::test_support::*;
use crate::webhooks::event_name;

fn hook(event: &str, body: Value) -> WebhookRequest {
    WebhookRequest {
        query: Some(format!("tenant=x&event={event}")),
        headers: vec![],
        body: body.to_string().into_bytes(),
    }
}

fn job(event: &str, status: Option<&str>) -> WebhookRequest {
    let mut p = json!({"JobNo": "J000001", "ProductCode": "BC-STD", "Quantity": 500});
    if let Some(s) = status {
        p["JobStatus"] = json!(s);
    }
    hook(
        event,
        json!({"AcceptanceKey": 1, "QuoteNo": "Q1", "CustomerReference": "web-1", "Products": [p]}),
    )
}

#[test]
fn job_events_become_updates_once_and_never_move_back() {
    let fake = piq();
    let c = connector(&fake);
    let u = c
        .handle_webhook(&job("CreateJob", Some("Create Job")))
        .unwrap();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].order_id.as_deref(), Some("web-1"));
    assert_eq!(u[0].backend_order_id.as_deref(), Some("J000001"));
    assert_eq!(u[0].status.as_ref().unwrap().stage, OrderStage::Received);
    // printIQ retries: the same delivery again changes nothing.
    assert!(
        c.handle_webhook(&job("CreateJob", Some("Create Job")))
            .unwrap()
            .is_empty()
    );

    let done = c.handle_webhook(&job("CompleteJob", None)).unwrap();
    assert_eq!(
        done[0].status.as_ref().unwrap().stage,
        OrderStage::Delivered
    );
    assert_eq!(done[0].status.as_ref().unwrap().text, "Complete");
    // A late CreateJob with another status text: never backwards.
    assert!(
        c.handle_webhook(&job("AcceptanceCreated", Some("Preflight")))
            .unwrap()
            .is_empty()
    );
    // A consignment after completion still brings its tracking, not a stage.
    let body = json!({"ConsignmentNo": "C9", "Carrier": "DPD", "ConsignmentTrackingCode": "TRK-C",
        "DispatchDate": "2026-12-01T10:00:00Z",
        "Deliveries": [{"FDKey": 3, "JobNo": "J000001", "QuoteNo": "Q1", "CustomerReference": "web-1"}]});
    let t = c
        .handle_webhook(&hook("CreateConsignment", body.clone()))
        .unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].tracking_number.as_deref(), Some("TRK-C"));
    assert_eq!(t[0].at.as_deref(), Some("2026-12-01T10:00:00Z"));
    assert!(t[0].status.is_none());
    assert!(
        c.handle_webhook(&hook("CreateConsignment", body))
            .unwrap()
            .is_empty()
    );
    assert_eq!(fake.total_calls(), 0);
}

#[test]
fn consignments_despatch_and_orders_are_found_by_job() {
    let fake = piq();
    let c = connector(&fake);
    c.cache().set_text("job:J000002", "web-2", 60);
    let body = json!({"ConsignmentNo": "C1", "Deliveries": [{"JobNo": "J000002", "DeliveryTrackingCode": "TRK-D"}]});
    let u = c.handle_webhook(&hook("CreateConsignment", body)).unwrap();
    assert_eq!(u[0].order_id.as_deref(), Some("web-2"));
    assert_eq!(u[0].status.as_ref().unwrap().stage, OrderStage::Despatched);
    assert_eq!(u[0].tracking_number.as_deref(), Some("TRK-D"));
    // Nested in AcceptanceDetails, as printIQ's KB shows some events.
    let nested = hook(
        "CreateJob",
        json!({"AcceptanceDetails": {"Products": [{"JobNo": "J3"}]}}),
    );
    assert_eq!(
        c.handle_webhook(&nested).unwrap()[0].job_no.as_deref(),
        Some("J3")
    );
}

#[test]
fn unknown_events_are_no_updates_and_a_url_without_event_is_rejected() {
    let fake = piq();
    let c = connector(&fake);
    assert!(
        c.handle_webhook(&hook("RejectQuote", json!({})))
            .unwrap()
            .is_empty()
    );
    assert!(
        c.handle_webhook(&hook("ExportInvoice", json!("not even an object")))
            .unwrap()
            .is_empty()
    );
    let mut none = hook("x", json!({}));
    none.query = None;
    assert!(matches!(
        c.handle_webhook(&none),
        Err(PluginError::Rejected(_))
    ));
    let mut broken = job("CreateJob", None);
    broken.body = b"{not json".to_vec();
    assert!(matches!(
        c.handle_webhook(&broken),
        Err(PluginError::Rejected(_))
    ));
    let mut huge = job("CreateJob", None);
    huge.body = vec![b' '; crate::webhooks::MAX_BODY + 1];
    assert!(matches!(
        c.handle_webhook(&huge),
        Err(PluginError::Rejected(_))
    ));

    assert_eq!(
        event_name(Some("event=Create%20Job")).as_deref(),
        Some("Create Job")
    );
    assert_eq!(
        event_name(Some("?a=1&EVENT=CreateJob")).as_deref(),
        Some("CreateJob")
    );
    assert_eq!(
        event_name(Some("event=%zz+x%4")).as_deref(),
        Some("%zz x%4")
    );
    assert_eq!(event_name(Some("event=")), None);
}
