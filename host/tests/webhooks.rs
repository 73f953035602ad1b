//! Webhooks are authenticated by the host before any plugin runs: the
//! storefront's webhook secret in the URL, or a timestamped HMAC signature
//! accepted once within the replay window; refusals throttled per address;
//! metric labels bounded whatever the path says. Through the real service
//! over HTTP, with the Tharstern plugin configured *without* its own webhook
//! secret, so nothing but the host stands between a stranger and the plugin.

mod service_support;

use std::time::Duration;

use connect_host::service::http::webhook_auth::sign;
use serde_json::{Value, json};
use service_support::*;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// How often the plugin's `handle-webhook` ran, from `/metrics`.
async fn plugin_runs(api: &Api) -> u64 {
    let (_, text) = api.get("/metrics").await;
    let text = text.as_str().unwrap_or_default().to_string();
    text.lines()
        .filter(|l| l.starts_with("connect_plugin_calls_total{") && l.contains("handle-webhook"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

struct Hooks {
    http: reqwest::Client,
    base: String,
}

impl Hooks {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.expect("sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn signed(&self, secret: &str, at: i64, body: &[u8]) -> (u16, Value) {
        let headers = [
            ("x-connect-timestamp", at.to_string()),
            ("x-connect-signature", sign(secret, at, body)),
        ];
        self.post(&format!("/webhooks/{SF}/{PLUGIN}"), &headers, body)
            .await
    }
}

async fn unsigned_plugin(api: &Api, sim: &tharstern_sim::SimHandle) {
    configure_storefront(api, sim).await;
    let mut settings = tharstern_settings(sim);
    settings["webhook_secret"] = Value::Null;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings"),
        Some(settings),
        200,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_need_the_storefront_secret_before_the_plugin_runs() {
    let sim = start_sim().await;
    let service = start_service(|c| c.webhooks.failures_per_minute = 10_000).await;
    let api = Api::new(&service.url);
    unsigned_plugin(&api, &sim).await;
    let hooks = Hooks {
        http: reqwest::Client::new(),
        base: service.url.clone(),
    };
    let body = json!({"EventType": "JobStatusChanged", "JobNo": "J-NONE", "Status": "Printing"})
        .to_string()
        .into_bytes();
    let plain = format!("/webhooks/{SF}/{PLUGIN}");

    // No secret made yet: every webhook is refused, and says what to do.
    let (status, answer) = hooks.post(&plain, &[], &body).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["kind"], "unauthenticated", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("no webhook secret"), "{message}");
    assert_eq!(plugin_runs(&api).await, 0);

    // A secret, shown once; the state answer never holds it.
    let info_path = format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/webhook-secret");
    let made = api.ok("POST", &info_path, None, 200).await;
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("cwh_") && secret.len() > 40, "{made}");
    let secret_url = made["secret_url"].as_str().unwrap().to_string();
    assert_eq!(
        secret_url,
        format!("{}/{secret}", made["signed_url"].as_str().unwrap())
    );
    let info = api.ok("GET", &info_path, None, 200).await;
    assert_eq!(info["configured"], true);
    assert!(!info.to_string().contains(&secret), "{info}");

    // The secret URL.
    let with_secret = format!("{plain}/{secret}");
    let (status, answer) = hooks.post(&with_secret, &[], &body).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(0)), "{answer}");
    assert_eq!(plugin_runs(&api).await, 1);
    for wrong in [
        format!("{plain}/cwh_wrong"),
        format!("{plain}/{}", &secret[..secret.len() - 1]),
        format!("{plain}/{secret}x"),
    ] {
        let (status, answer) = hooks.post(&wrong, &[], &body).await;
        assert_eq!(status, 401, "{wrong}: {answer}");
    }
    // The secret of one pair opens no other storefront.
    configure_storefront_as(&api, &sim, "other").await;
    let (status, _) = hooks
        .post(&format!("/webhooks/other/{PLUGIN}/{secret}"), &[], &body)
        .await;
    assert_eq!(status, 401);

    // Signed: accepted once within the window.
    let t = now();
    let (status, answer) = hooks.signed(&secret, t, &body).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = hooks.signed(&secret, t, &body).await;
    assert_eq!(status, 401, "a replay: {answer}");
    assert!(answer.to_string().contains("replay"), "{answer}");
    for (what, at) in [("stale", t - 301), ("from the future", t + 301)] {
        let (status, answer) = hooks.signed(&secret, at, &body).await;
        assert_eq!(status, 401, "{what}: {answer}");
    }
    let (status, _) = hooks.signed("cwh_another", t + 1, &body).await;
    assert_eq!(status, 401, "another key");
    let tampered = [
        ("x-connect-timestamp", (t + 2).to_string()),
        ("x-connect-signature", sign(&secret, t + 2, b"{}")),
    ];
    let (status, _) = hooks.post(&plain, &tampered, &body).await;
    assert_eq!(status, 401, "a body other than the signed one");
    let (status, _) = hooks
        .post(
            &plain,
            &[("x-connect-signature", sign(&secret, t + 3, &body))],
            &body,
        )
        .await;
    assert_eq!(status, 401, "no timestamp");
    assert_eq!(plugin_runs(&api).await, 2, "only the two good webhooks ran");

    // Rotated: the old secret stops working at once.
    let rotated = api.ok("POST", &info_path, None, 200).await;
    let (status, _) = hooks.post(&with_secret, &[], &body).await;
    assert_eq!(status, 401);
    let (status, _) = hooks
        .post(
            &format!("{plain}/{}", rotated["secret"].as_str().unwrap()),
            &[],
            &body,
        )
        .await;
    assert_eq!(status, 200);

    // Labels: plugin ids from the path never become metric labels.
    for i in 0..25 {
        let (status, _) = hooks
            .post(&format!("/webhooks/{SF}/made-up-{i}/x"), &[], &body)
            .await;
        assert!((400..500).contains(&status), "{status}");
    }
    let (_, metrics) = api.get("/metrics").await;
    let metrics = metrics.as_str().unwrap();
    assert!(!metrics.contains("made-up"), "{metrics}");
    assert!(
        metrics.contains("connect_webhooks_total{plugin=\"unknown\",outcome=\"not-found\"} 25")
            || metrics.contains(
                "connect_webhooks_total{plugin=\"unknown\",outcome=\"unauthenticated\"} 25"
            ),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "connect_webhooks_total{{plugin=\"{PLUGIN}\",outcome=\"unauthenticated\"}}"
        )),
        "{metrics}"
    );
}

/// Refusals are throttled per client address (a correct webhook still
/// passes); accepted ones per storefront.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_flooding_webhooks_are_throttled() {
    let sim = start_sim().await;
    let service = start_service(|c| {
        c.webhooks.failures_per_minute = 3;
        c.webhooks.per_storefront_per_second = 1;
    })
    .await;
    let api = Api::new(&service.url);
    unsigned_plugin(&api, &sim).await;
    let hooks = Hooks {
        http: reqwest::Client::new(),
        base: service.url.clone(),
    };
    let made = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/webhook-secret"),
            None,
            200,
        )
        .await;
    let good = format!(
        "/webhooks/{SF}/{PLUGIN}/{}",
        made["secret"].as_str().unwrap()
    );
    let bad = format!("/webhooks/{SF}/{PLUGIN}/cwh_guess");
    let body = br#"{"EventType":"JobStatusChanged","JobNo":"J-NONE","Status":"Printing"}"#;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(hooks.post(&bad, &[], body).await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    assert_eq!(hooks.post(&good, &[], body).await.0, 200);

    // One per second, bursts of ten: the flood is cut.
    let mut accepted = 1;
    let mut throttled = 0;
    for _ in 0..20 {
        match hooks.post(&good, &[], body).await.0 {
            200 => accepted += 1,
            429 => throttled += 1,
            other => panic!("{other}"),
        }
    }
    assert!(
        (10..=12).contains(&accepted) && throttled >= 9,
        "{accepted} accepted, {throttled} throttled"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(hooks.post(&good, &[], body).await.0, 200);
}
