//! Orders, exactly once although `AcceptQuote` makes a new job on every
//! call. Each order line becomes its own order quote
//! (`CreateQuoteWithDelivery`, the order id in `CustomerReference` and
//! `JobTitle`), which is then accepted. Per line the tenant cache holds
//! the QuoteNo (stored before accepting), a mark set before each
//! `AcceptQuote`, and the JobNos (stored right after). Whenever the mark is
//! set (a retry, or an accept whose answer was lost or failed) the quote is
//! read (`GetQuoteDetails`: `QuoteAccepted`, `JobNos`) before any accept,
//! and accepted only when printIQ says it is not. When printIQ's answer
//! cannot tell, nothing is accepted.
//!
//! The receipt: `backend-order-id` = the first line's first JobNo,
//! `backend-order-no` = the first line's QuoteNo.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::pricing::parse_product_ref;
use crate::sdk::cache::exact_key;
use crate::sdk::json;
use crate::sdk::once::{Once, Seen};
use crate::sdk::platform::Log;
use crate::{Order, OrderLine, OrderReceipt, PluginError, PrintIq, merge_options};

/// How long order records are kept (90 days).
pub const ORDER_TTL_SECS: u32 = 90 * 24 * 3600;

#[derive(Debug, Default, Serialize, Deserialize)]
struct LineState {
    quote_no: Option<String>,
    /// An `AcceptQuote` may have been sent: look before sending another.
    accepting: bool,
    /// Set once the quote is known accepted.
    jobs: Option<Vec<String>>,
}

impl PrintIq {
    pub(crate) fn order_key(&self, kind: &str, parts: &[&str]) -> String {
        let mut all = vec![self.s.api_url.as_str()];
        all.extend_from_slice(parts);
        exact_key(kind, &all)
    }

    pub(crate) fn submit_order_impl(&self, order: &Order) -> Result<OrderReceipt, PluginError> {
        let order_id = validate(order)?;
        let receipt_key = self.order_key("order", &[order_id]);
        if let Some(r) = self.cache().receipt(&receipt_key) {
            let job = &r.backend_order_id;
            self.p.info(&format!(
                "order {order_id} was already submitted as printIQ job {job}"
            ));
            return Ok(r);
        }
        let customer = self.customer_code(&order.customer).to_string();
        let mut first: Option<(String, String)> = None;
        for (n, line) in order.lines.iter().enumerate() {
            let (quote_no, jobs) = self.submit_line(order, order_id, n, line, &customer)?;
            if first.is_none() {
                let id = jobs.first().cloned().unwrap_or_else(|| quote_no.clone());
                first = Some((id, quote_no));
            }
        }
        let (id, quote_no) = first.expect("an order has lines");
        let receipt = OrderReceipt {
            backend_order_id: id,
            backend_order_no: Some(quote_no),
            customer_code: customer,
            customer_link: None,
        };
        self.cache()
            .set_receipt(&receipt_key, &receipt, ORDER_TTL_SECS);
        Ok(receipt)
    }

    /// One line: its order quote, accepted exactly once. Answers (QuoteNo, JobNos).
    fn submit_line(
        &self,
        order: &Order,
        order_id: &str,
        n: usize,
        line: &OrderLine,
        customer: &str,
    ) -> Result<(String, Vec<String>), PluginError> {
        let key = self.order_key("order-line", &[order_id, &n.to_string()]);
        let save = |st: &LineState| self.cache().set(&key, st, ORDER_TTL_SECS);
        let mut st: LineState = self.cache().get(&key).unwrap_or_default();
        let quote_no = match (&st.quote_no, &st.jobs) {
            (Some(q), Some(jobs)) => return Ok((q.clone(), jobs.clone())),
            (Some(q), None) => q.clone(),
            (None, _) => {
                // A lost answer here leaves at most a stray, unaccepted quote.
                let body = self.order_quote(order, order_id, n, line, customer)?;
                let reply = self.client().create("CreateQuoteWithDelivery", &body)?;
                let q = reply
                    .get("QuoteDetails")
                    .and_then(|d| json::text_field(d, &["QuoteNo"]))
                    .ok_or_else(|| {
                        PluginError::Internal(format!(
                            "printIQ created no QuoteNo for order {order_id}"
                        ))
                    })?;
                st.quote_no = Some(q.clone());
                save(&st);
                q
            }
        };
        let what = format!("accepting quote {quote_no} of order {order_id}");
        let once = Once {
            p: &*self.p,
            what: &what,
        };
        let jobs = once.run(
            st.accepting,
            |on| {
                st.accepting = on;
                save(&st);
            },
            || {
                let reply = self
                    .client()
                    .create("AcceptQuote", &json!({"QuoteNo": quote_no}))?;
                let jobs = job_nos(reply.get("AcceptanceDetails"));
                if jobs.is_empty() {
                    return Err(PluginError::Internal(format!(
                        "printIQ accepted quote {quote_no} without naming the job"
                    )));
                }
                Ok(jobs)
            },
            || self.acceptance(&quote_no),
        )?;
        self.record_jobs(order_id, &jobs);
        st.jobs = Some(jobs.clone());
        save(&st);
        Ok((quote_no, jobs))
    }

    fn order_quote(
        &self,
        order: &Order,
        order_id: &str,
        n: usize,
        line: &OrderLine,
        customer: &str,
    ) -> Result<Value, PluginError> {
        let product = parse_product_ref(&line.product_ref)?;
        let opts = merge_options(&[], &line.attributes);
        let mut body = self.quote_request(&product, &opts, line.quantity, customer)?;
        let title = if order.lines.len() == 1 {
            order_id.to_string()
        } else {
            format!("{order_id} ({}/{})", n + 1, order.lines.len())
        };
        body["CustomerReference"] = json!(order_id);
        body["JobTitle"] = json!(title);
        body["Deliveries"] = json!([]);
        if let Some(d) = line.description.as_deref().filter(|d| !d.trim().is_empty()) {
            body["JobDescription"] = json!(d.trim());
        }
        if let Some(r) = order.reference.as_deref().filter(|r| !r.trim().is_empty()) {
            body["Notes"] = json!(format!("Reference: {}", r.trim()));
        }
        if let Some(d) = order
            .required_date
            .as_deref()
            .filter(|d| d.trim().len() == 10)
        {
            body["CustomerExpectedDate"] = json!(format!("{}T00:00:00.000Z", d.trim()));
        }
        Ok(body)
    }

    /// Whether printIQ has accepted `quote_no`, and its jobs.
    /// `Unknown`: the answer shows neither `QuoteAccepted`, `JobNos` nor a status.
    pub(crate) fn acceptance(&self, quote_no: &str) -> Result<Seen<Vec<String>>, PluginError> {
        let reply = self
            .client()
            .read("GetQuoteDetails", &json!({"QuoteNo": quote_no}))?;
        let Some(d) = reply.get("QuoteDetails") else {
            return Ok(Seen::Unknown);
        };
        let jobs = json::get(d, "JobNos")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(json::text).collect::<Vec<_>>());
        let flag = json::get(d, "QuoteAccepted").and_then(json::boolean);
        let status = json::text_field(d, &["Status"]).map(|s| s.to_ascii_lowercase());
        Ok(match (flag, jobs, status) {
            (_, Some(jobs), _) if !jobs.is_empty() => Seen::Done(jobs),
            (Some(true), _, _) => Seen::Done(vec![]),
            (Some(false), _, _) => Seen::NotDone,
            (None, Some(_), _) => Seen::NotDone,
            (None, None, Some(s)) if s.contains("accepted") || s.contains("job") => {
                Seen::Done(vec![])
            }
            (None, None, Some(_)) => Seen::NotDone,
            (None, None, None) => Seen::Unknown,
        })
    }

    /// JobNo -> order id, for status polls and webhooks.
    fn record_jobs(&self, order_id: &str, jobs: &[String]) {
        for j in jobs {
            self.cache()
                .set_text(&format!("job:{j}"), order_id, ORDER_TTL_SECS);
        }
    }
}

/// The JobNos of an `AcceptanceDetails` object.
pub fn job_nos(details: Option<&Value>) -> Vec<String> {
    details
        .and_then(|d| json::get(d, "Products"))
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| json::text_field(p, &["JobNo"]))
                .collect()
        })
        .unwrap_or_default()
}

/// A well-formed order whose every line names a printIQ product.
fn validate(order: &Order) -> Result<&str, PluginError> {
    let order_id = order.checked_id()?;
    for (n, line) in order.lines.iter().enumerate() {
        parse_product_ref(&line.product_ref).map_err(|e| {
            PluginError::Rejected(format!("order {order_id}, line {}: {}", n + 1, e.message()))
        })?;
    }
    Ok(order_id)
}

#[cfg(test)]
mod tests;
