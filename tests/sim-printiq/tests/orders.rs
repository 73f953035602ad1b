//! The hazards the connector must handle, shown honestly: every GetPrice
//! makes a quote, every AcceptQuote makes a job; jobs move over time;
//! webhooks per event, retried on non-2xx.

mod common;

use common::{Api, Receiver, builder, eventually};
use printiq_sim::{Event, JobStatus};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn get_price_twice_makes_two_quotes() {
    let api = Api::start().await;
    let a = api.price("FLY-A5", 250, "same").await;
    let b = api.price("FLY-A5", 250, "same").await;
    let (qa, qb) = (&a["QuoteDetails"]["QuoteNo"], &b["QuoteDetails"]["QuoteNo"]);
    assert_ne!(qa, qb);
    assert_eq!(
        a["QuoteDetails"]["TotalPrice"],
        b["QuoteDetails"]["TotalPrice"]
    );
    assert_eq!(api.sim.quotes().len(), 2);
    assert_eq!(api.sim.counts().quotes_per_customer_reference["same"], 2);
}

#[tokio::test]
async fn accept_quote_twice_makes_two_jobs() {
    let api = Api::start().await;
    let quote_no = api.order_quote("order-1001").await;
    let first = api.accept(&quote_no).await;
    let second = api.accept(&quote_no).await;
    let job = |v: &serde_json::Value| v["AcceptanceDetails"]["Products"][0]["JobNo"].clone();
    assert_ne!(job(&first), job(&second));
    assert_ne!(
        first["AcceptanceDetails"]["AcceptanceKey"],
        second["AcceptanceDetails"]["AcceptanceKey"]
    );
    assert_eq!(api.sim.jobs_for_reference("order-1001").len(), 2);
    let counts = api.sim.counts();
    assert_eq!(counts.jobs, 2);
    assert_eq!(counts.duplicate_job_references["order-1001"], 2);
    assert_eq!(counts.jobs_per_quote[&quote_no], 2);
    // The inspection endpoint says the same.
    let summary = api.admin("").await;
    assert_eq!(summary["DuplicateJobReferences"]["order-1001"], 2);
    let jobs = api.admin("jobs?reference=order-1001").await;
    assert_eq!(jobs.as_array().map(Vec::len), Some(2));
    assert_eq!(jobs[0]["QuoteNo"], quote_no.as_str());
    let (_, details) = api
        .qp("GetQuoteDetails", json!({"QuoteNo": quote_no}))
        .await;
    assert_eq!(
        details["QuoteDetails"]["JobNos"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn accept_inside_get_price() {
    let api = Api::start().await;
    let (_, body) = api
        .qp(
            "GetPrice",
            json!({"CustomerCode": "WEBSHOP", "ProductCode": "BC-STD",
                   "SelectedQuantity": {"Quantity": 100}, "AcceptQuote": true,
                   "CustomerReference": "direct"}),
        )
        .await;
    assert_eq!(body["QuoteAccepted"], true);
    assert!(body["AcceptanceDetails"]["Products"][0]["JobNo"].is_string());
    assert_eq!(api.sim.jobs().len(), 1);
}

#[tokio::test]
async fn jobs_progress_over_time_with_a_consignment_on_dispatch() {
    let api = Api::with(builder().auto_advance(Duration::from_millis(100))).await;
    let quote_no = api.order_quote("order-2").await;
    let accepted = api.accept(&quote_no).await;
    let job_no = accepted["AcceptanceDetails"]["Products"][0]["JobNo"]
        .as_str()
        .expect("JobNo")
        .to_string();
    eventually(|| {
        api.sim
            .job(&job_no)
            .is_some_and(|j| j.job_status == JobStatus::Complete)
    })
    .await;
    let job = api.sim.job(&job_no).expect("job");
    let seen: Vec<_> = job.history.iter().map(|h| h.job_status).collect();
    assert_eq!(
        seen,
        [
            JobStatus::CreateJob,
            JobStatus::Preflight,
            JobStatus::Proof,
            JobStatus::InProduction,
            JobStatus::Dispatched,
            JobStatus::Complete
        ]
    );
    let (_, a) = api
        .qp("GetAcceptanceDetails", json!({"JobNo": job_no}))
        .await;
    let p = &a["AcceptanceDetails"]["Products"][0];
    assert_eq!(p["JobStatus"], "Complete");
    let delivery = &p["AcceptanceProductDeliveryDetails"][0];
    assert!(
        delivery["DeliveryTrackingCode"]
            .as_str()
            .is_some_and(|c| c.starts_with("TRK"))
    );
    assert_eq!(api.sim.consignments().len(), 1);
}

#[tokio::test]
async fn admin_advances_and_cancels_by_hand() {
    let api = Api::start().await;
    let q = api.order_quote("order-3").await;
    let j1 = api.accept(&q).await["AcceptanceDetails"]["Products"][0]["JobNo"]
        .as_str()
        .map(str::to_string)
        .expect("job");
    let j2 = api.accept(&q).await["AcceptanceDetails"]["Products"][0]["JobNo"]
        .as_str()
        .map(str::to_string)
        .expect("job");
    let url = api.sim.admin_url(&format!("jobs/{j1}/advance"));
    let r: serde_json::Value = api
        .client
        .post(&url)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(r["JobStatus"], "Preflight");
    let r: serde_json::Value = api
        .client
        .post(&url)
        .json(&json!({"JobStatus": "Dispatched", "TrackingCode": "DPD123"}))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(r["JobStatus"], "Dispatched");
    assert_eq!(r["Deliveries"][0]["DeliveryTrackingCode"], "DPD123");
    let back = api
        .client
        .post(&url)
        .json(&json!({"JobStatus": "Proof"}))
        .send()
        .await
        .expect("post");
    assert_eq!(back.status(), 409);
    let cancel = api.sim.admin_url(&format!("jobs/{j2}/cancel"));
    let r: serde_json::Value = api
        .client
        .post(&cancel)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(r["JobStatus"], "Cancelled");
    let again = api.client.post(&cancel).send().await.expect("post");
    assert_eq!(again.status(), 409);
    let missing = api
        .client
        .post(api.sim.admin_url("jobs/J999999/advance"))
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn webhooks_per_event_with_bare_bodies() {
    let rx = Receiver::start(0).await;
    let api = Api::with(builder().webhook_url(&rx.url)).await;
    let quote_no = api.order_quote("order-4").await;
    let accepted = api.accept(&quote_no).await;
    let job_no = accepted["AcceptanceDetails"]["Products"][0]["JobNo"]
        .as_str()
        .expect("JobNo")
        .to_string();
    api.sim
        .advance_job(&job_no, Some(JobStatus::Complete), Some("TRK1".into()))
        .expect("advance");
    let got = rx
        .wait_for(|r| {
            r.iter().any(|x| x.query == "event=CompleteJob")
                && r.iter().any(|x| x.query == "event=CreateConsignment")
        })
        .await;
    let by = |e: &str| {
        got.iter()
            .find(|x| x.query == format!("event={e}"))
            .expect(e)
            .body
            .clone()
    };
    let quote = by("CreateQuote");
    assert_eq!(quote["QuoteNo"], quote_no.as_str());
    assert!(quote.get("EditingQQAdKey").is_some());
    let job = by("CreateJob");
    assert_eq!(job["CustomerReference"], "order-4");
    assert_eq!(job["Products"][0]["JobNo"], job_no.as_str());
    assert_eq!(job["Products"][0]["JobStatus"], "Create Job");
    assert!(job["TotalPrice"].is_number() && job["CurCode"] == "GBP");
    assert_eq!(by("CompleteJob")["Products"][0]["JobStatus"], "Complete");
    let consignment = by("CreateConsignment");
    assert_eq!(consignment["ConsignmentTrackingCode"], "TRK1");
    assert_eq!(consignment["Deliveries"][0]["JobNo"], job_no.as_str());
    assert_eq!(consignment["Deliveries"][0]["CustomerReference"], "order-4");
    // No envelope, no event field.
    assert!(job.get("Event").is_none());
}

#[tokio::test]
async fn non_2xx_is_retried_so_duplicates_happen() {
    let rx = Receiver::start(2).await;
    let api = Api::start().await;
    api.sim
        .link_webhook(Event::CreateJob, &format!("{}?event=CreateJob", rx.url));
    let quote_no = api.order_quote("order-5").await;
    api.accept(&quote_no).await;
    let got = rx.wait_for(|r| r.len() >= 3).await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.body == got[0].body));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 3, "no more after a 2xx");
    let attempts: Vec<_> = api
        .sim
        .deliveries()
        .iter()
        .map(|d| (d.attempt, d.success))
        .collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)]);
    // A receiver that never answers 2xx gets the first try plus 3 retries.
    let dead = Receiver::start(usize::MAX).await;
    api.sim.link_webhook(Event::CreateQuote, &dead.url);
    api.order_quote("order-6").await;
    dead.wait_for(|r| r.len() >= 4).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(dead.received().len(), 4);
}
