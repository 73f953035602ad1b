//! Orders: exactly once although AcceptQuote makes a job on every call.

use crate::test_support::*;

/// A printIQ with order quotes and jobs: AcceptQuote makes a new job on
/// every call, as the real one does. `accept` scripts each AcceptQuote
/// (`true`: answer; `false`: make the job, then time out; `500`-like
/// faults via `fail_first`).
struct Mis {
    fake: Fake,
    jobs: Rc<RefCell<Vec<String>>>,
}

#[derive(Clone, Copy)]
enum Accept {
    Answer,
    /// The job is made, the answer is lost.
    TimeoutAfter,
    /// HTTP 500 before anything is made.
    ServerError,
}

fn mis(script: Vec<Accept>) -> Mis {
    let fake = piq();
    let jobs: Rc<RefCell<Vec<String>>> = Rc::default();
    let quotes = Rc::new(Cell::new(0));
    fake.on(Method::Post, &qp("CreateQuoteWithDelivery"), move |_| {
        quotes.set(quotes.get() + 1);
        Ok(ok(json!({"QuoteAccepted": false, "QuoteDetails": {"QuoteNo": format!("Q00050{}v1", quotes.get())}})))
    });
    let script = Rc::new(RefCell::new(script.into_iter()));
    let j = jobs.clone();
    fake.on(Method::Post, &qp("AcceptQuote"), move |_| {
        let step = script.borrow_mut().next().unwrap_or(Accept::Answer);
        if let Accept::ServerError = step {
            return Ok(text_response(500, "text/html", "<html>error</html>"));
        }
        let no = format!("J{:06}", j.borrow().len() + 1);
        j.borrow_mut().push(no.clone());
        match step {
            Accept::TimeoutAfter => Err(HttpError::ResponseTimeout),
            _ => Ok(ok(json!({"AcceptanceDetails": {"AcceptanceKey": 1, "Products": [{"JobNo": no, "QQADAKey": 9}]}}))),
        }
    });
    let j = jobs.clone();
    fake.on(Method::Post, &qp("GetQuoteDetails"), move |_| {
        let jobs = j.borrow().clone();
        Ok(ok(json!({"QuoteDetails": {"QuoteNo": "Q000501v1", "QuoteAccepted": !jobs.is_empty(), "JobNos": jobs}})))
    });
    Mis { fake, jobs }
}

/// printIQ answers `GetQuoteDetails` again, with the jobs made so far.
fn readable_again(m: &Mis) {
    let j = m.jobs.clone();
    m.fake.on(Method::Post, &qp("GetQuoteDetails"), move |_| {
        Ok(ok(
            json!({"QuoteDetails": {"QuoteAccepted": true, "JobNos": j.borrow().clone()}}),
        ))
    });
}

#[test]
fn an_order_is_one_quote_accepted_once() {
    let m = mis(vec![]);
    let c = connector(&m.fake);
    let r = c.submit_order(&order("web-1001")).unwrap();
    assert_eq!(r.backend_order_id, "J000001");
    assert_eq!(r.backend_order_no.as_deref(), Some("Q000501v1"));
    assert_eq!(r.customer_code, "WEBSHOP");
    let body = &m.fake.bodies(&qp("CreateQuoteWithDelivery"))[0];
    assert_eq!(body["CustomerReference"], "web-1001");
    assert_eq!(body["JobTitle"], "web-1001");
    assert_eq!(body["ProductCode"], "BC-STD");
    assert_eq!(body["AcceptQuote"], false);
    assert_eq!(body["SelectedQuantity"]["Quantity"], 500);
    assert_eq!(body["CustomerExpectedDate"], "2026-12-06T00:00:00.000Z");
    assert_eq!(
        m.fake.bodies(&qp("AcceptQuote"))[0],
        json!({"QuoteNo": "Q000501v1"})
    );
    // No look-up was needed on the clean path.
    assert_eq!(m.fake.count(Method::Post, &qp("GetQuoteDetails")), 0);

    // A repeat (the host retries; the order is long delivered): nothing sent.
    let calls = m.fake.total_calls();
    assert_eq!(c.submit_order(&order("web-1001")).unwrap(), r);
    assert_eq!(m.fake.total_calls(), calls);
    assert_eq!(m.jobs.borrow().len(), 1);
}

#[test]
fn a_timeout_after_accept_finds_the_job_and_never_accepts_again() {
    let m = mis(vec![Accept::TimeoutAfter]);
    let c = connector(&m.fake);
    let r = c.submit_order(&order("web-1002")).unwrap();
    assert_eq!(r.backend_order_id, "J000001");
    assert_eq!(m.fake.count(Method::Post, &qp("AcceptQuote")), 1);
    assert_eq!(m.fake.count(Method::Post, &qp("GetQuoteDetails")), 1);
    c.submit_order(&order("web-1002")).unwrap();
    assert_eq!(*m.jobs.borrow(), vec!["J000001".to_string()]);
}

#[test]
fn a_server_error_before_accept_accepts_once_after_checking() {
    let m = mis(vec![Accept::ServerError]);
    let c = connector(&m.fake);
    let r = c.submit_order(&order("web-1003")).unwrap();
    assert_eq!(r.backend_order_id, "J000001");
    assert_eq!(m.fake.count(Method::Post, &qp("GetQuoteDetails")), 1);
    assert_eq!(m.fake.count(Method::Post, &qp("AcceptQuote")), 2);
    assert_eq!(m.jobs.borrow().len(), 1);
    assert_eq!(
        m.fake.count(Method::Post, &qp("CreateQuoteWithDelivery")),
        1
    );
}

#[test]
fn a_retry_after_a_lost_answer_looks_before_accepting() {
    // The first attempt times out and printIQ cannot be read at all.
    let m = mis(vec![Accept::TimeoutAfter]);
    m.fake.respond(
        Method::Post,
        &qp("GetQuoteDetails"),
        text_response(503, "text/html", ""),
    );
    let c = connector(&m.fake);
    let e = c.submit_order(&order("web-1004")).unwrap_err();
    assert!(
        matches!(&e, PluginError::Unreachable(m) if m.contains("safe")),
        "{e:?}"
    );
    // The retry (printIQ readable again) finds the job: no second accept,
    // no second quote.
    readable_again(&m);
    assert_eq!(
        c.submit_order(&order("web-1004")).unwrap().backend_order_id,
        "J000001"
    );
    assert_eq!(m.fake.count(Method::Post, &qp("AcceptQuote")), 1);
    assert_eq!(
        m.fake.count(Method::Post, &qp("CreateQuoteWithDelivery")),
        1
    );
    assert_eq!(m.jobs.borrow().len(), 1);
}

#[test]
fn an_is_error_reading_the_quote_at_a_retry_is_retried_not_parked() {
    let m = mis(vec![Accept::TimeoutAfter]);
    m.fake.respond(
        Method::Post,
        &qp("GetQuoteDetails"),
        text_response(503, "text/html", ""),
    );
    let c = connector(&m.fake);
    assert!(c.submit_order(&order("web-1006")).is_err());
    // The retry's read gets printIQ's IsError: retryable (the host's outbox
    // parks only non-retryable errors), and nothing is accepted.
    m.fake.on_ok(
        "GetQuoteDetails",
        json!({"IsError": true, "ErrorMessage": "Database busy"}),
    );
    let e = c.submit_order(&order("web-1006")).unwrap_err();
    assert!(
        matches!(&e, PluginError::Unreachable(m) if m.contains("Database busy") && m.contains("tried again")),
        "{e:?}"
    );
    readable_again(&m);
    assert_eq!(
        c.submit_order(&order("web-1006")).unwrap().backend_order_id,
        "J000001"
    );
    assert_eq!(m.fake.count(Method::Post, &qp("AcceptQuote")), 1);
}

#[test]
fn an_answer_that_cannot_tell_never_leads_to_a_second_accept() {
    let m = mis(vec![Accept::TimeoutAfter]);
    m.fake.on_ok(
        "GetQuoteDetails",
        json!({"QuoteDetails": {"QuoteNo": "Q000501v1"}}),
    );
    let c = connector(&m.fake);
    assert!(matches!(
        c.submit_order(&order("web-1005")),
        Err(PluginError::Internal(_))
    ));
    assert!(c.submit_order(&order("web-1005")).is_err());
    assert_eq!(m.fake.count(Method::Post, &qp("AcceptQuote")), 1);
}

#[test]
fn a_refused_accept_is_an_error_and_multi_line_orders_are_one_quote_per_line() {
    let m = mis(vec![]);
    m.fake.respond(
        Method::Post,
        &qp("AcceptQuote"),
        is_error("Quote has expired"),
    );
    let c = connector(&m.fake);
    assert!(matches!(
        c.submit_order(&order("web-1006")),
        Err(PluginError::Rejected(_))
    ));

    let m = mis(vec![]);
    let c = connector(&m.fake);
    let mut o = order("web-1007");
    let mut second = o.lines[0].clone();
    second.product_ref = "node:12".into();
    second.attributes = vec![("Stock".into(), "6933".into())];
    o.lines.push(second);
    let r = c.submit_order(&o).unwrap();
    assert_eq!(r.backend_order_id, "J000001");
    let bodies = m.fake.bodies(&qp("CreateQuoteWithDelivery"));
    assert_eq!(bodies[1]["JobTitle"], "web-1007 (2/2)");
    assert_eq!(bodies[1]["FilterInput"]["FilterValues"][0]["Value"], "6933");
    assert_eq!(m.jobs.borrow().len(), 2);

    for bad in [
        Order {
            lines: vec![],
            ..order("x")
        },
        Order {
            order_id: " ".into(),
            ..order("x")
        },
    ] {
        assert!(matches!(
            c.submit_order(&bad),
            Err(PluginError::Rejected(_))
        ));
    }
}
