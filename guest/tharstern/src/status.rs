//! Order status: polled from `orders` / `jobs`, and Tharstern's status text
//! mapped onto the contract's order stages.

use std::ops::ControlFlow;

use serde_json::Value;

use crate::json;
use crate::orders::found_order;
use crate::{OrderStage, OrderStatus, OrderUpdate, PluginError, Tharstern};

use crate::orders::FoundOrder;

impl Tharstern {
    fn find_order_by_id(&self, id: &str) -> Result<Option<FoundOrder>, PluginError> {
        let found = self
            .client()
            .find_in_pages("orders", &[("orderIDs", id)], |o| {
                json::int_field(o, &["ID", "Id"])
                    .map(|i| i.to_string())
                    .as_deref()
                    == Some(id)
            })?;
        Ok(found.as_ref().and_then(found_order))
    }

    pub(crate) fn order_status_impl(
        &self,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, PluginError> {
        let order_id = order_id.trim();
        let mut found = if order_id.is_empty() {
            None
        } else {
            self.find_order(order_id)?
        };
        if found.is_none()
            && let Some(id) = backend_order_id.map(str::trim).filter(|i| !i.is_empty())
        {
            found = self.find_order_by_id(id)?;
        }
        let Some(order) = found else {
            return Err(PluginError::NotFound(format!(
                "Tharstern has no order {order_id}{}",
                backend_order_id
                    .map(|b| format!(" (backend id {b})"))
                    .unwrap_or_default()
            )));
        };
        let id = order.id.to_string();
        // The order's newest job, from every page (an order may have many).
        let client = self.client();
        let mut job: Option<(String, Value)> = None;
        let walk = client.get_pages("jobs", &[("orderID", &id)], |_, items| {
            for j in items {
                if json::int_field(j, &["OrderID", "OrderId"]).is_some_and(|o| o != order.id) {
                    continue;
                }
                let at = json::text_field(j, &["UpdatedAt", "LastUpdated", "Updated"])
                    .unwrap_or_default();
                if job.as_ref().is_none_or(|(best, _)| at >= *best) {
                    job = Some((at, j.clone()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        client.bound_reached(&walk, "jobs");
        let job = job.as_ref().map(|(_, j)| j);
        let text = |keys: &[&str]| job.and_then(|j| json::text_field(j, keys));
        Ok(OrderUpdate {
            order_id: (!order_id.is_empty()).then(|| order_id.to_string()),
            backend_order_id: Some(id.clone()),
            job_no: text(&["JobNo", "JobNumber"]),
            status: text(&["Status", "JobStatus"])
                .or(order.status)
                .map(order_status),
            tracking_number: text(&["TrackingNumber", "TrackingNo", "Tracking"]),
            at: text(&["UpdatedAt", "LastUpdated", "Updated"]),
        })
    }
}

/// Tharstern's status text as the contract's order status: the stage it
/// maps onto, and the text as Tharstern sent it.
pub fn order_status(text: String) -> OrderStatus {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let stage = if has(&["despatch", "dispatch", "shipped"]) {
        OrderStage::Despatched
    } else if has(&["deliver", "complete"]) {
        OrderStage::Delivered
    } else if has(&["cancel"]) {
        OrderStage::Cancelled
    } else if has(&["hold"]) {
        OrderStage::OnHold
    } else if has(&["production", "press", "print", "proof", "artwork", "finish"]) {
        OrderStage::InProduction
    } else {
        OrderStage::Received
    };
    OrderStatus { stage, text }
}
