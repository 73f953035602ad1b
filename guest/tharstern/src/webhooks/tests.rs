//! Webhooks: signatures and events.

use crate::test_support::*;
use crate::*;

#[test]
fn webhook_signature_is_enforced_when_a_secret_is_set() {
    let fake = mis();
    let body = br#"{"Event":"JobStatusChanged","JobNo":"J1","OrderID":31,"UniqueSubmitOrderID":"web-1001","Status":"Despatched","TrackingNumber":"TRK","Timestamp":"2026-11-29T10:00:00Z"}"#.to_vec();
    let sig: String = webhooks::hmac_sha256(b"whsec", &body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let c = Tharstern::new(fake.host(), settings_with(&[("webhook_secret", "whsec")]));
    let good = WebhookRequest {
        headers: vec![("X-Tharstern-Signature".into(), format!("sha256={sig}"))],
        body: body.clone(),
        query: None,
    };
    let u = c.handle_webhook(&good).unwrap();
    assert_eq!(u[0].order_id.as_deref(), Some("web-1001"));
    assert_eq!(u[0].tracking_number.as_deref(), Some("TRK"));
    let unsigned = WebhookRequest {
        headers: vec![],
        body: body.clone(),
        query: None,
    };
    assert!(matches!(
        c.handle_webhook(&unsigned),
        Err(PluginError::Authentication(_))
    ));
    let mut tampered = good.clone();
    tampered.body[10] ^= 1;
    assert!(matches!(
        c.handle_webhook(&tampered),
        Err(PluginError::Authentication(_))
    ));
    // Without a secret, unsigned webhooks are accepted.
    assert_eq!(connector(&fake).handle_webhook(&unsigned).unwrap().len(), 1);
    assert_eq!(fake.total_calls(), 0);
}

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
            status: Some(OrderStatus::new(OrderStage::Despatched, "Despatched")),
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
