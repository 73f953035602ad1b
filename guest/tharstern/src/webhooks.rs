//! Incoming Tharstern webhooks: signature check and `JobStatusChanged`
//! payloads -> order updates.
//!
//! When `webhook_secret` is set, the `X-Tharstern-Signature` header must be
//! `sha256=<hex HMAC-SHA256 of the raw body>` (compared in constant time).

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::LogLevel;
use crate::Tharstern;
use crate::json;
use crate::status::order_status;
use crate::{OrderUpdate, PluginError, WebhookRequest};

pub const SIGNATURE_HEADER: &str = "X-Tharstern-Signature";

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// Compare in time independent of where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Check the signature header against the body.
pub fn verify(secret: &str, headers: &[(String, String)], body: &[u8]) -> Result<(), PluginError> {
    let Some(header) = headers
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(SIGNATURE_HEADER))
        .map(|(_, v)| v.trim())
    else {
        return Err(PluginError::Authentication(format!(
            "the webhook has no {SIGNATURE_HEADER} header although a webhook secret is set; check the Tharstern webhook subscription"
        )));
    };
    let hex = header
        .split_once('=')
        .filter(|(alg, _)| alg.trim().eq_ignore_ascii_case("sha256"))
        .map(|(_, h)| h.trim())
        .ok_or_else(|| {
            PluginError::Authentication(format!(
                "the webhook's {SIGNATURE_HEADER} is not of the form sha256=<hex>"
            ))
        })?;
    let given = decode_hex(hex).ok_or_else(|| {
        PluginError::Authentication(format!(
            "the webhook's {SIGNATURE_HEADER} is not hexadecimal"
        ))
    })?;
    let expected = hmac_sha256(secret.as_bytes(), body);
    if constant_time_eq(&given, &expected) {
        Ok(())
    } else {
        Err(PluginError::Authentication(
            "the webhook's signature does not match: the webhook secret setting differs from the secret of the Tharstern webhook subscription, or the request was not sent by Tharstern".into(),
        ))
    }
}

/// Order updates in a webhook body (the URL's query is not used): one event object, or a list of them.
pub fn parse_events(body: &[u8]) -> Result<Vec<OrderUpdate>, PluginError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| PluginError::Rejected(format!("the webhook body is not JSON ({e})")))?;
    let events: Vec<&Value> = match &v {
        Value::Array(list) => list.iter().collect(),
        Value::Object(_) => match json::get(&v, "Events").and_then(Value::as_array) {
            Some(list) => list.iter().collect(),
            None => vec![&v],
        },
        _ => {
            return Err(PluginError::Rejected(
                "the webhook body is not a JSON object".into(),
            ));
        }
    };
    let mut out = Vec::new();
    for e in events {
        let event = json::text_field(e, &["Event", "EventType", "Type"]);
        let is_status = match event.as_deref() {
            Some(name) => {
                let n = name.to_ascii_lowercase().replace(['.', '_', ' '], "");
                n == "jobstatuschanged" || n == "jobtrackingchanged" || n == "jobupdated"
            }
            // No event name: accept anything that carries a status or tracking.
            None => json::get_any(e, &["Status", "TrackingNumber"]).is_some(),
        };
        if !is_status {
            continue;
        }
        out.push(OrderUpdate {
            order_id: json::text_field(e, &["UniqueSubmitOrderID", "UniqueSubmitOrderId"]),
            backend_order_id: json::text_field(e, &["OrderID", "OrderId"]),
            job_no: json::text_field(e, &["JobNo", "JobNumber"]),
            status: json::text_field(e, &["Status", "JobStatus"]).map(order_status),
            tracking_number: json::text_field(e, &["TrackingNumber", "TrackingNo", "Tracking"]),
            at: json::text_field(e, &["Timestamp", "UpdatedAt", "At", "Time"]),
        });
    }
    Ok(out)
}

impl Tharstern {
    pub(crate) fn handle_webhook_impl(
        &self,
        req: &WebhookRequest,
    ) -> Result<Vec<OrderUpdate>, PluginError> {
        match &self.s.webhook_secret {
            Some(secret) => verify(secret, &req.headers, &req.body)?,
            None => self.p.log(
                LogLevel::Debug,
                "no webhook secret set: accepting an unsigned webhook",
            ),
        }
        let updates = parse_events(&req.body)?;
        self.p.log(
            LogLevel::Debug,
            &format!("webhook carried {} order update(s)", updates.len()),
        );
        Ok(updates)
    }
}

#[cfg(test)]
mod tests;
