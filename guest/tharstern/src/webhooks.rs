//! Incoming Tharstern webhooks: signature check and `JobStatusChanged`
//! payloads -> order updates.
//!
//! When `webhook_secret` is set, the `X-Tharstern-Signature` header must be
//! `sha256=<hex HMAC-SHA256 of the raw body>` (compared in constant time).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::LogLevel;
use crate::Tharstern;
use crate::json;
use crate::status::order_status;
use crate::{OrderUpdate, PluginError, WebhookRequest};

pub const SIGNATURE_HEADER: &str = "X-Tharstern-Signature";

/// HMAC-SHA256 of `message` under `key`: the signature Tharstern sends.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    mac(key, message).finalize().into_bytes().into()
}

fn mac(key: &[u8], message: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac
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
    // `verify_slice` compares in constant time.
    if mac(secret.as_bytes(), body).verify_slice(&given).is_ok() {
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
