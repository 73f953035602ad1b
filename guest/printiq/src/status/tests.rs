//! Stage mapping and polling.

use crate::status::order_status;
use crate::test_support::*;

#[test]
fn printiq_job_statuses_map_onto_stages_with_their_text_kept() {
    for (text, stage) in [
        ("Create Job", OrderStage::Received),
        ("Preflight", OrderStage::InProduction),
        ("Proof", OrderStage::InProduction),
        ("In Production", OrderStage::InProduction),
        ("Dispatched", OrderStage::Despatched),
        ("Complete", OrderStage::Delivered),
        ("Cancelled", OrderStage::Cancelled),
        ("On Hold - Credit", OrderStage::OnHold),
        ("Awaiting Artwork", OrderStage::InProduction),
        ("inproduction", OrderStage::InProduction),
    ] {
        let s = order_status(text);
        assert_eq!((s.stage, s.text.as_str()), (stage, text), "{text}");
    }
}

fn acceptance(status: &str) -> Value {
    json!({"AcceptanceDetails": {"AcceptanceKey": 4, "QuoteNo": "Q1", "CustomerReference": "web-1",
        "Products": [{"JobNo": "J000007", "JobStatus": status, "AcceptanceProductDeliveryDetails": [
            {"FDKey": 1, "ConsignmentNo": "C1", "DeliveryTrackingCode": "TRK-9"}]}]}})
}

#[test]
fn polling_reads_the_acceptance_and_never_reports_a_step_back() {
    let fake = piq();
    fake.on_ok("GetAcceptanceDetails", acceptance("Dispatched"));
    let c = connector(&fake);
    let u = c.order_status("web-1", Some("J000007")).unwrap();
    assert_eq!(
        fake.bodies(&qp("GetAcceptanceDetails"))[0],
        json!({"JobNo": "J000007"})
    );
    assert_eq!(u.order_id.as_deref(), Some("web-1"));
    assert_eq!(u.job_no.as_deref(), Some("J000007"));
    assert_eq!(u.status.as_ref().unwrap().stage, OrderStage::Despatched);
    assert_eq!(u.tracking_number.as_deref(), Some("TRK-9"));
    // A stale read never moves the order back.
    fake.on_ok("GetAcceptanceDetails", acceptance("Proof"));
    let u = c.order_status("web-1", Some("J000007")).unwrap();
    assert_eq!(u.status.unwrap().text, "Dispatched");

    // Without a job number: the order's own receipt names it; else not found.
    assert!(matches!(
        c.order_status("web-2", None),
        Err(PluginError::NotFound(_))
    ));
    fake.respond(
        Method::Post,
        &qp("GetAcceptanceDetails"),
        is_error("Job not found"),
    );
    assert!(matches!(
        c.order_status("web-1", Some("J9")),
        Err(PluginError::NotFound(_))
    ));
}
