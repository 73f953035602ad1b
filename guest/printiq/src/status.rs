//! Job status: printIQ's `JobStatus` mapped onto the contract's stages,
//! polled from `GetAcceptanceDetails`, and the memory that keeps an order
//! from moving backwards (shared with the webhooks).

use serde_json::{Value, json};

use crate::orders::ORDER_TTL_SECS;
use crate::sdk::json;
use crate::sdk::progress::{FINAL, Progress};
use crate::sdk::settings::squash;
use crate::{OrderStage, OrderStatus, OrderUpdate, PluginError, PrintIq};

/// printIQ's status text as the contract's order status (the text kept as
/// printIQ sent it). Workflow steps printIQ adds beyond the known ones
/// count as production: a job exists and is not finished.
pub fn order_status(text: &str) -> OrderStatus {
    let t = squash(text);
    let has = |w: &[&str]| w.iter().any(|w| t.contains(w));
    let stage = match t.as_str() {
        "createjob" | "" => OrderStage::Received,
        "preflight" | "proof" | "inproduction" => OrderStage::InProduction,
        "dispatched" => OrderStage::Despatched,
        "complete" => OrderStage::Delivered,
        "cancelled" => OrderStage::Cancelled,
        _ if has(&["cancel"]) => OrderStage::Cancelled,
        _ if has(&["hold"]) => OrderStage::OnHold,
        _ if has(&["dispatch", "despatch", "shipped"]) => OrderStage::Despatched,
        _ if has(&["complete", "deliver"]) => OrderStage::Delivered,
        _ => OrderStage::InProduction,
    };
    OrderStatus {
        stage,
        text: text.trim().to_string(),
    }
}

/// How far along a status is: an order never moves to a lower rank.
/// printIQ's known workflow steps are ordered among themselves; delivered
/// and cancelled are both final.
pub fn rank(status: &OrderStatus) -> u8 {
    match squash(&status.text).as_str() {
        "preflight" => 10,
        "proof" => 20,
        _ => match status.stage {
            OrderStage::Received => 0,
            OrderStage::InProduction | OrderStage::OnHold => 30,
            OrderStage::Despatched => 40,
            OrderStage::Delivered | OrderStage::Cancelled => FINAL,
        },
    }
}

impl PrintIq {
    pub(crate) fn progress(&self) -> Progress<'_> {
        Progress::new(&*self.p, ORDER_TTL_SECS)
    }

    /// `Some(status)` when it moves job `job_no` on (or is the first seen);
    /// `None` when it would move it backwards or repeat it.
    pub(crate) fn advance(&self, job_no: &str, status: OrderStatus) -> Option<OrderStatus> {
        let moves = self.progress().advance(job_no, rank(&status), &status.text);
        moves.then_some(status)
    }

    pub(crate) fn order_status_impl(
        &self,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, PluginError> {
        let order_id = order_id.trim();
        let job_no = match backend_order_id.map(str::trim).filter(|b| !b.is_empty()) {
            Some(j) => j.to_string(),
            None => self.job_of(order_id).ok_or_else(|| {
                PluginError::NotFound(format!(
                    "no printIQ job is known for order {order_id}: give its job number (backend order id)"
                ))
            })?,
        };
        let reply = self
            .client()
            .read("GetAcceptanceDetails", &json!({"JobNo": job_no}))?;
        let details = reply.get("AcceptanceDetails").ok_or_else(|| {
            PluginError::NotFound(format!("printIQ has no acceptance for job {job_no}"))
        })?;
        let product = json::get(details, "Products")
            .and_then(Value::as_array)
            .and_then(|ps| {
                ps.iter()
                    .find(|p| json::text_field(p, &["JobNo"]).as_deref() == Some(&job_no))
            });
        let status = product
            .and_then(|p| json::text_field(p, &["JobStatus"]))
            .map(|t| order_status(&t));
        // Polling reports printIQ's word, but never a step back from what
        // a webhook already reported.
        let status = status.map(|s| {
            self.progress().advance(&job_no, rank(&s), &s.text);
            match self.progress().last(&job_no) {
                Some((r, text)) if r > rank(&s) => order_status(&text),
                _ => s,
            }
        });
        let tracking = product
            .and_then(|p| json::get(p, "AcceptanceProductDeliveryDetails"))
            .and_then(Value::as_array)
            .and_then(|ds| {
                ds.iter().find_map(|d| {
                    json::text_field(d, &["DeliveryTrackingCode", "ConsignmentTrackingCode"])
                })
            });
        let order_ref = json::text_field(details, &["CustomerReference"]);
        Ok(OrderUpdate {
            order_id: order_ref.or_else(|| (!order_id.is_empty()).then(|| order_id.to_string())),
            backend_order_id: Some(job_no.clone()),
            job_no: Some(job_no),
            status,
            tracking_number: tracking,
            at: None,
        })
    }

    /// The first job of a submitted order, from the receipt.
    fn job_of(&self, order_id: &str) -> Option<String> {
        let receipt = self.cache().receipt(&self.order_key("order", &[order_id]));
        receipt.map(|r| r.backend_order_id)
    }
}

#[cfg(test)]
mod tests;
