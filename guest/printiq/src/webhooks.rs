//! printIQ webhooks. printIQ staff link each event to a URL; configure the
//! connector's webhook URL plus `?event=<EventName>` for `CreateJob`,
//! `CompleteJob` and `CreateConsignment` (also understood: `AcceptQuote`,
//! `AcceptanceCreated`). Bodies are the bare JSON object (also accepted
//! inside `AcceptanceDetails`); printIQ cannot sign them, the host
//! authenticates the URL. Other events are answered with no updates.
//!
//! printIQ retries and may deliver out of order: an event already seen
//! (same event, JobNo, and status or ConsignmentNo) yields nothing, and a
//! job never moves backwards (the last status per job is remembered).

use serde_json::Value;

use crate::sdk::http::query_param;
use crate::sdk::json;
use crate::sdk::settings::squash;
use crate::status::order_status;
use crate::{LogLevel, OrderUpdate, PluginError, PrintIq, WebhookRequest};

/// Largest webhook body read.
pub const MAX_BODY: usize = 1 << 20;

/// The `event` parameter of a query string, percent-decoded.
pub fn event_name(query: Option<&str>) -> Option<String> {
    let name = query_param(query?, "event")?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

impl PrintIq {
    pub(crate) fn handle_webhook_impl(
        &self,
        req: &WebhookRequest,
    ) -> Result<Vec<OrderUpdate>, PluginError> {
        let Some(event) = event_name(req.query.as_deref()) else {
            return Err(PluginError::Rejected(
                "the webhook URL names no event: printIQ must call it with ?event=<EventName>, one URL per event".into(),
            ));
        };
        if req.body.len() > MAX_BODY {
            return Err(PluginError::Rejected(format!(
                "the {event} webhook body exceeds {MAX_BODY} bytes"
            )));
        }
        let squashed = squash(&event);
        let default = match squashed.as_str() {
            "createjob" | "acceptquote" | "acceptancecreated" => "Create Job",
            "completejob" => "Complete",
            "createconsignment" => "Dispatched",
            _ => {
                self.p.log(
                    LogLevel::Debug,
                    &format!("printIQ webhook {event}: not an order event; ignored"),
                );
                return Ok(vec![]);
            }
        };
        let v: Value = serde_json::from_slice(&req.body).map_err(|e| {
            PluginError::Rejected(format!("the {event} webhook body is not JSON ({e})"))
        })?;
        let body = json::get(&v, "AcceptanceDetails").unwrap_or(&v);
        let updates = if squashed == "createconsignment" {
            self.consignment(&event, body, default)
        } else {
            self.job_event(&event, body, default)
        };
        self.p.log(
            LogLevel::Debug,
            &format!(
                "printIQ webhook {event}: {} new order update(s)",
                updates.len()
            ),
        );
        Ok(updates)
    }

    fn order_of(&self, body: &Value, job: &str) -> Option<String> {
        json::text_field(body, &["CustomerReference"])
            .or_else(|| self.cache().get_text(&format!("job:{job}")))
    }

    fn job_event(&self, event: &str, body: &Value, default: &str) -> Vec<OrderUpdate> {
        let products = json::get(body, "Products").and_then(Value::as_array);
        let mut out = Vec::new();
        for p in products.into_iter().flatten() {
            let Some(job) = json::text_field(p, &["JobNo"]) else {
                continue;
            };
            let text = json::text_field(p, &["JobStatus"]).unwrap_or_else(|| default.into());
            if !self.progress().first_time(event, &job, &text) {
                continue;
            }
            let Some(status) = self.advance(&job, order_status(&text)) else {
                continue;
            };
            out.push(OrderUpdate {
                order_id: self.order_of(body, &job),
                backend_order_id: Some(job.clone()),
                job_no: Some(job),
                status: Some(status),
                ..OrderUpdate::default()
            });
        }
        out
    }

    fn consignment(&self, event: &str, body: &Value, default: &str) -> Vec<OrderUpdate> {
        let no = json::text_field(body, &["ConsignmentNo"]).unwrap_or_default();
        let deliveries = json::get(body, "Deliveries").and_then(Value::as_array);
        let mut out = Vec::new();
        for d in deliveries.into_iter().flatten() {
            let Some(job) = json::text_field(d, &["JobNo"]) else {
                continue;
            };
            if !self.progress().first_time(event, &job, &no) {
                continue;
            }
            out.push(OrderUpdate {
                order_id: self.order_of(d, &job).or_else(|| self.order_of(body, &job)),
                backend_order_id: Some(job.clone()),
                // A consignment of a job already complete still brings its tracking.
                status: self.advance(&job, order_status(default)),
                job_no: Some(job),
                tracking_number: json::text_field(d, &["DeliveryTrackingCode"])
                    .or_else(|| json::text_field(body, &["ConsignmentTrackingCode"]))
                    .or_else(|| (!no.is_empty()).then(|| no.clone())),
                at: json::text_field(body, &["DispatchDate"]),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests;
