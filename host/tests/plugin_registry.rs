//! The plugin registry through the real service: a new version of the
//! `minimal` plugin (`minimal-next`, 1.0.0: prices + 100, refuses API keys
//! under 8 characters) is uploaded while price calls run; none fails, the
//! answers switch to the new version, a storefront whose settings it
//! refuses stays on the old one, rollback restores the old answers, and the
//! upload survives a restart. Uploads that are not acceptable are refused
//! with their reason.

mod service_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::*;

/// Accepts the new version's settings (a long key).
const SHOP_A: &str = "shop-a";
/// Its key is too short for the new version: stays on the old one.
const SHOP_B: &str = "shop-b";
/// 12.50 GBP per 100 from the pricing API; the new version adds 100.
const OLD_PRICE: i64 = 1250;
const NEW_PRICE: i64 = 1350;

/// The pricing API the minimal plugin asks: `GET /v1/price?qty=..`.
async fn price_api() -> String {
    use axum::extract::Query;
    use axum::routing::get;
    async fn price(
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> axum::Json<Value> {
        let qty: i64 = q.get("qty").and_then(|q| q.parse().ok()).unwrap_or(0);
        axum::Json(json!({"minor_units": qty * 1250 / 100, "currency": "GBP"}))
    }
    let app = axum::Router::new().route("/v1/price", get(price));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

/// A service with the minimal plugin (0.1.0) in its plugins folder.
async fn start() -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(connect_artifacts::MINIMAL, plugins.join("minimal.wasm")).unwrap();
    start_service_in(dir, |_| {}).await
}

/// A storefront pricing with the minimal plugin under `key`.
async fn storefront(api: &Api, sf: &str, api_url: &str, key: &str) {
    api.ok("POST", "/api/v1/storefronts", Some(json!({"id": sf})), 201)
        .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{sf}/connect"),
        Some(
            json!({"enabled_plugins": ["minimal"], "price_plugin": "minimal",
                    "allow_private_networks": true}),
        ),
        200,
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{sf}/plugins/minimal/settings"),
        Some(json!({"api_url": api_url, "api_key": key})),
        200,
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{sf}/mappings/flyers"),
        Some(json!({"product_ref": "FLY"})),
        200,
    )
    .await;
}

/// The price of 100 flyers, or the failure.
async fn price(api: &Api, sf: &str) -> Result<i64, String> {
    let body = json!({"product": "flyers", "quantity": 100});
    match api
        .post(&format!("/api/v1/storefronts/{sf}/price"), body)
        .await
    {
        (200, v) => v["price"]["minor_units"]
            .as_i64()
            .ok_or_else(|| v.to_string()),
        (status, v) => Err(format!("{status}: {v}")),
    }
}

/// When a price call started, and what it answered.
type Call = (Instant, Result<i64, String>);

/// Prices in a loop on a few tasks, recording when each call started.
struct Load {
    stop: Arc<std::sync::atomic::AtomicBool>,
    calls: Arc<Mutex<Vec<Call>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(api: &Api, sf: &'static str) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let tasks = (0..4)
            .map(|_| {
                let (api, stop, calls) = (api.clone(), stop.clone(), calls.clone());
                tokio::spawn(async move {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let started = Instant::now();
                        let answer = price(&api, sf).await;
                        calls.lock().unwrap().push((started, answer));
                    }
                })
            })
            .collect();
        Self { stop, calls, tasks }
    }

    async fn finish(self) -> Vec<Call> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        Arc::try_unwrap(self.calls).unwrap().into_inner().unwrap()
    }
}

/// The answers of calls that started between `from` and `to`.
fn between(calls: &[Call], from: Instant, to: Instant) -> Vec<i64> {
    calls
        .iter()
        .filter(|(started, _)| *started > from && *started < to)
        .map(|(_, r)| *r.as_ref().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_under_load_switches_live_and_rolls_back() {
    let service = start().await;
    let api = Api::new(&service.url);
    let api_url = price_api().await;
    storefront(&api, SHOP_A, &api_url, "a-long-enough-key").await;
    storefront(&api, SHOP_B, &api_url, "k3y").await;
    assert_eq!(price(&api, SHOP_A).await, Ok(OLD_PRICE));

    let load = Load::start(&api, SHOP_A);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let wasm = std::fs::read(connect_artifacts::MINIMAL_NEXT).unwrap();
    let (status, uploaded) = api
        .send_bytes("/api/v1/plugins", "application/wasm", wasm)
        .await;
    let upgraded_at = Instant::now();
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["version"], "1.0.0", "{uploaded}");
    assert_eq!(uploaded["upgraded"], json!([SHOP_A]), "{uploaded}");
    let refused = &uploaded["refused"][0];
    assert_eq!(refused["storefront"], SHOP_B, "{uploaded}");
    assert_eq!(refused["stays_on"], "0.1.0", "{uploaded}");
    assert_eq!(refused["errors"][0]["key"], "api_key", "{uploaded}");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let rollback_sent = Instant::now();
    let (status, rolled) = api
        .put(
            "/api/v1/plugins/minimal/version",
            json!({"version": "0.1.0"}),
        )
        .await;
    let rolled_back_at = Instant::now();
    assert_eq!(status, 200, "{rolled}");
    assert!(
        rolled["switched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["storefront"] == SHOP_A && s["from"] == "1.0.0" && s["to"] == "0.1.0"),
        "{rolled}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let calls = load.finish().await;

    let failed: Vec<_> = calls.iter().filter_map(|(_, r)| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} calls failed: {failed:?}",
        failed.len(),
        calls.len()
    );
    let before: Vec<i64> = calls
        .iter()
        .filter(|(s, _)| *s < upgraded_at)
        .map(|(_, r)| *r.as_ref().unwrap())
        .collect();
    assert!(before.contains(&OLD_PRICE), "{before:?}");
    // Calls started while the rollback ran may answer either version.
    let upgraded = between(&calls, upgraded_at, rollback_sent);
    let rolled_back = between(&calls, rolled_back_at, Instant::now());
    assert!(
        !upgraded.is_empty() && upgraded.iter().all(|p| *p == NEW_PRICE),
        "after the upload: {upgraded:?}"
    );
    assert!(
        !rolled_back.is_empty() && rolled_back.iter().all(|p| *p == OLD_PRICE),
        "after the rollback: {rolled_back:?}"
    );
    println!(
        "{} price calls, 0 failed: {} before the upload, {} on 1.0.0, {} after the rollback",
        calls.len(),
        before.len(),
        upgraded.len(),
        rolled_back.len()
    );
    // The refused storefront never left the old version.
    assert_eq!(price(&api, SHOP_B).await, Ok(OLD_PRICE));

    // Metrics carry the version.
    let metrics = reqwest::get(format!("{}/metrics", service.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for version in ["0.1.0", "1.0.0"] {
        let line = format!(
            "connect_plugin_call_duration_seconds_count{{plugin=\"minimal\",function=\"price\",version=\"{version}\"}}"
        );
        assert!(metrics.contains(&line), "no {line} in the metrics");
    }

    // Forward again for all; the upload survives a restart (it is in the
    // database) and the choices with it.
    api.ok(
        "PUT",
        "/api/v1/plugins/minimal/version",
        Some(json!({"version": null})),
        200,
    )
    .await;
    assert_eq!(price(&api, SHOP_A).await, Ok(NEW_PRICE));
    let dir = service.stop_keeping_dir().await;
    let service = start_service_in(dir, |_| {}).await;
    let api = Api::new(&service.url);
    let entry = api.ok("GET", "/api/v1/plugins/minimal", None, 200).await;
    assert_eq!(entry["newest"], "1.0.0", "{entry}");
    assert_eq!(entry["versions"][1]["source"], "upload", "{entry}");
    assert_eq!(
        entry["versions"][1]["storefronts"][0]["storefront"], SHOP_A,
        "{entry}"
    );
    assert_eq!(
        entry["versions"][0]["storefronts"][0]["storefront"], SHOP_B,
        "{entry}"
    );
    assert_eq!(price(&api, SHOP_A).await, Ok(NEW_PRICE));
    assert_eq!(price(&api, SHOP_B).await, Ok(OLD_PRICE));
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacceptable_uploads_are_refused_with_their_reason() {
    let service = start().await;
    let api = Api::new(&service.url);
    let api_url = price_api().await;
    storefront(&api, SHOP_B, &api_url, "k3y").await;

    let refusal = |answer: &Value| {
        answer["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let (status, answer) = api
        .send_bytes(
            "/api/v1/plugins",
            "application/wasm",
            b"not a component".to_vec(),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(refusal(&answer).contains("compiling plugin"), "{answer}");

    let (status, answer) = api
        .send_bytes("/api/v1/plugins", "application/wasm", Vec::new())
        .await;
    assert_eq!(status, 422, "{answer}");

    // A component of another world (its export renamed).
    let minimal = std::fs::read(connect_artifacts::MINIMAL).unwrap();
    let foreign = rename_export(&minimal);
    let (status, answer) = api
        .send_bytes("/api/v1/plugins", "application/wasm", foreign)
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        refusal(&answer).contains("not a connect plugin"),
        "{answer}"
    );

    // The same id and version as the plugins-folder file.
    let (status, answer) = api
        .send_bytes("/api/v1/plugins", "application/wasm", minimal)
        .await;
    assert_eq!(status, 409, "{answer}");
    assert!(refusal(&answer).contains("already loaded"), "{answer}");

    // A multipart upload of the new version: accepted, but it refuses
    // shop-b's key, so shop-b stays on 0.1.0 ...
    let next = std::fs::read(connect_artifacts::MINIMAL_NEXT).unwrap();
    let boundary = "connect-test-boundary";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"component\"; \
         filename=\"minimal-next.wasm\"\r\nContent-Type: application/wasm\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&next);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, answer) = api.send_bytes("/api/v1/plugins", &content_type, form).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["refused"][0]["storefront"], SHOP_B, "{answer}");
    // ... and asking to move it there answers the field errors.
    let (status, answer) = api
        .put(
            &format!("/api/v1/storefronts/{SHOP_B}/plugins/minimal/version"),
            json!({"version": "1.0.0"}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["fields"][0]["key"], "api_key", "{answer}");
    let view = api
        .ok(
            "GET",
            &format!("/api/v1/storefronts/{SHOP_B}/plugins/minimal/settings"),
            None,
            200,
        )
        .await;
    assert_eq!(view["version"], "0.1.0", "{view}");
    // An unknown version is a 404 naming the loaded ones.
    let (status, answer) = api
        .put(
            "/api/v1/plugins/minimal/version",
            json!({"version": "7.0.0"}),
        )
        .await;
    assert_eq!(status, 404, "{answer}");
    assert!(refusal(&answer).contains("0.1.0, 1.0.0"), "{answer}");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_plugins_page_uploads_and_shows_refusals() {
    let service = start().await;
    let api = Api::new(&service.url);
    let api_url = price_api().await;
    storefront(&api, SHOP_B, &api_url, "k3y").await;
    for sf in ["shop-c", "shop-d"] {
        storefront(&api, sf, &api_url, "long-enough-key").await;
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/admin/login", service.url))
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();

    let next = std::fs::read(connect_artifacts::MINIMAL_NEXT).unwrap();
    let boundary = "admin-form-boundary";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"component\"; \
         filename=\"minimal-next.wasm\"\r\nContent-Type: application/wasm\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&next);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let page = http
        .post(format!("{}/admin/plugins", service.url))
        .header("cookie", &cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Uploaded minimal version 1.0.0"), "{page}");
    assert!(page.contains("id=\"refused-shop-b\""), "{page}");
    assert!(
        page.contains("API keys have 8 characters or more"),
        "{page}"
    );
    assert!(page.contains("id=\"version-minimal-1.0.0\""), "{page}");
    assert!(page.contains("id=\"version-minimal-0.1.0\""), "{page}");

    // One storefront switched from the page: shop-c rolls back alone
    // (shop-d, also on 1.0.0, stays); shop-b is refused 1.0.0 again.
    let switch = |version: &'static str, sf: &'static str| {
        http.post(format!("{}/admin/plugins/minimal/version", service.url))
            .header("cookie", &cookie)
            .form(&[("version", version), ("storefront", sf)])
            .send()
    };
    let page = switch("0.1.0", "shop-c")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("class=\"inline switch-one\""), "{page}");
    assert!(
        page.contains("1 storefront(s) now run minimal 0.1.0"),
        "{page}"
    );
    let page = switch("1.0.0", SHOP_B).await.unwrap().text().await.unwrap();
    assert!(
        page.contains("0 storefront(s) now run minimal 1.0.0"),
        "{page}"
    );
    assert!(page.contains("id=\"refused-shop-b\""), "{page}");
    service.stop().await;
}

/// The component with its exported interface renamed everywhere it is named
/// (same length, still a valid component of another world).
fn rename_export(wasm: &[u8]) -> Vec<u8> {
    let (from, to) = (b"connect:plugin/plugin@", b"connect:plugin/plugim@");
    let mut out = Vec::with_capacity(wasm.len());
    let mut rest = wasm;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    assert_ne!(out, wasm, "the plugin names its export");
    out
}
