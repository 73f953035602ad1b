//! Incoming Tharstern webhooks: signature check and `JobStatusChanged`
//! payloads -> order updates.
//!
//! When `webhook_secret` is set, the `X-Tharstern-Signature` header must be
//! `sha256=<hex HMAC-SHA256 of the raw body>` (compared in constant time).

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Connector;
use crate::json;
use crate::platform::{LogLevel, Platform};
use crate::types::{OrderUpdate, PluginError, WebhookRequest};

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

/// Order updates in a webhook body: one event object, or a list of them.
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
            status: json::text_field(e, &["Status", "JobStatus"]),
            tracking_number: json::text_field(e, &["TrackingNumber", "TrackingNo", "Tracking"]),
            at: json::text_field(e, &["Timestamp", "UpdatedAt", "At", "Time"]),
        });
    }
    Ok(out)
}

impl<P: Platform> Connector<P> {
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
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hmac_rfc4231_vectors() {
        // Test case 1.
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signature_checks() {
        let body = br#"{"Event":"JobStatusChanged"}"#;
        let sig = format!("sha256={}", hex(&hmac_sha256(b"sec", body)));
        let h = |v: &str| vec![("x-tharstern-signature".to_string(), v.to_string())];
        assert!(verify("sec", &h(&sig), body).is_ok());
        assert!(
            verify(
                "sec",
                &h(&sig.to_uppercase().replace("SHA256", "sha256")),
                body
            )
            .is_ok()
        );
        assert!(matches!(
            verify("other", &h(&sig), body),
            Err(PluginError::Authentication(_))
        ));
        assert!(matches!(
            verify("sec", &h(&sig), b"tampered"),
            Err(PluginError::Authentication(_))
        ));
        assert!(matches!(
            verify("sec", &[], body),
            Err(PluginError::Authentication(_))
        ));
        assert!(matches!(
            verify("sec", &h("md5=abcd"), body),
            Err(PluginError::Authentication(_))
        ));
        assert!(matches!(
            verify("sec", &h("sha256=zz"), body),
            Err(PluginError::Authentication(_))
        ));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn events_parse_tolerantly() {
        let body = br#"{"event":"JobStatusChanged","jobNo":"J000001","OrderID":1,"orderno":"SO000001",
            "uniqueSubmitOrderId":"web-42","STATUS":"Despatched","TrackingNumber":"TRK1","Timestamp":"2026-11-29T10:00:00Z"}"#;
        let u = parse_events(body).unwrap();
        assert_eq!(
            u,
            vec![OrderUpdate {
                order_id: Some("web-42".into()),
                backend_order_id: Some("1".into()),
                job_no: Some("J000001".into()),
                status: Some("Despatched".into()),
                tracking_number: Some("TRK1".into()),
                at: Some("2026-11-29T10:00:00Z".into()),
            }]
        );
        let list = br#"[{"Event":"JobStatusChanged","Status":"Finished","TrackingNumber":null},{"Event":"Ping"}]"#;
        let u = parse_events(list).unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].tracking_number, None);
        assert!(matches!(
            parse_events(b"nope"),
            Err(PluginError::Rejected(_))
        ));
    }
}
