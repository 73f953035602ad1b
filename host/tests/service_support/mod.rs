//! Shared by the service tests: a real service on an ephemeral port (real
//! SQLite files in a temp dir, the real Tharstern `.wasm`), the simulator
//! over real HTTP, and a small JSON client. `backend` runs the same
//! storefront on the printIQ plugin and simulator too, and counts orders
//! at either simulator (`Tally`).
#![allow(dead_code)]

pub mod backend;
pub mod process;

use std::time::{Duration, Instant};

use connect_host::service::{Config, Service};
use serde_json::{Value, json};

pub const SF: &str = "shop";
pub const PLUGIN: &str = "tharstern";
pub const WEBHOOK_SECRET: &str = "test-webhook-secret";
pub const TOKEN: &str = "test-admin-token-0123456789";

pub struct TestService {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub svc: std::sync::Arc<Service>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestService {
    /// The listening address's URL, whatever `server.public_url` says.
    pub fn url_direct(&self) -> String {
        format!("http://{}", self.svc.config.server.listen)
    }

    /// Stops gracefully and waits for the drain.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("serve");
        }
    }

    /// [`TestService::stop`], keeping the data directory for a restart.
    pub async fn stop_keeping_dir(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("serve");
        }
        self.dir
    }
}

/// A test configuration in `dir`: fast outbox, quick catalogue checks off.
pub fn config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.storage.data_dir = dir.to_path_buf();
    config.plugins.precompiled_dir = connect_artifacts::PRECOMPILED_DIR.into();
    config.auth.token = TOKEN.into();
    config.outbox.initial_backoff_ms = 50;
    config.outbox.max_backoff_ms = 200;
    config.outbox.poll_ms = 50;
    config.catalogue.check_secs = 0;
    config
}

pub async fn start_service(edit: impl FnOnce(&mut Config)) -> TestService {
    let dir = tempfile::tempdir().expect("temp dir");
    start_service_in(dir, edit).await
}

pub async fn start_service_in(
    dir: tempfile::TempDir,
    edit: impl FnOnce(&mut Config),
) -> TestService {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = config(dir.path());
    config.server.listen = listener.local_addr().unwrap();
    edit(&mut config);
    let svc = Service::open(config).await.expect("service opens");
    let url = svc.config.public_url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(connect_host::service::http::server::serve(
        svc.clone(),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    TestService {
        url,
        dir,
        svc,
        stop: Some(stop),
        task: Some(task),
    }
}

/// [`start_service`] with both the Tharstern and the printIQ plugin in its
/// plugins folder.
pub async fn start_service_with_both_plugins() -> TestService {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(connect_artifacts::THARSTERN, plugins.join("tharstern.wasm")).unwrap();
    std::fs::copy(connect_artifacts::PRINTIQ, plugins.join("printiq.wasm")).unwrap();
    start_service_in(dir, |_| {}).await
}

pub async fn start_sim() -> tharstern_sim::SimHandle {
    tharstern_sim::Simulator::builder()
        .record_duplicate_orders()
        .demo_data()
        .webhook_backoff(Duration::from_millis(50))
        .start()
        .await
        .expect("simulator starts")
}

/// A JSON client of the API with the admin token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Api {
    pub fn new(url: &str) -> Self {
        Self {
            base: url.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
            token: Some(TOKEN.into()),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("PUT", path, Some(body)).await
    }

    /// Sends raw bytes with a content type (plugin uploads).
    pub async fn send_bytes(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token.as_deref().unwrap_or_default())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Asserts the status, answering the body.
    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>, want: u16) -> Value {
        let (status, value) = self.send(method, path, body).await;
        assert_eq!(status, want, "{method} {path} answered {status}: {value}");
        value
    }
}

/// The Tharstern settings for the simulator.
pub fn tharstern_settings(sim: &tharstern_sim::SimHandle) -> Value {
    json!({
        "api_url": sim.base_url(),
        "email": tharstern_sim::DEMO_API_EMAIL,
        "password": tharstern_sim::DEMO_API_PASSWORD,
        "application_id": "CONNECT-TEST",
        "customer_code": tharstern_sim::WEBSHOP,
        "webhook_secret": WEBHOOK_SECRET,
    })
}

/// Creates storefront `SF` with Tharstern handling price, stock and orders,
/// configured for `sim`; a department with its own code, two customers,
/// mappings.
pub async fn configure_storefront(api: &Api, sim: &tharstern_sim::SimHandle) {
    configure_storefront_as(api, sim, SF).await;
}

/// [`configure_storefront`] for storefront `sf`.
pub async fn configure_storefront_as(api: &Api, sim: &tharstern_sim::SimHandle, sf: &str) {
    create_storefront(api, sf).await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{sf}/plugins/{PLUGIN}/settings"),
        Some(tharstern_settings(sim)),
        200,
    )
    .await;
    add_people(api, sf).await;
    add_mappings(api, sf, &MAPPINGS).await;
}

/// Creates storefront `sf` ("Test shop") with the Tharstern plugin enabled
/// and handling price, stock and orders (not yet configured).
pub async fn create_storefront(api: &Api, sf: &str) {
    create_storefront_on(api, sf, PLUGIN).await;
}

/// [`create_storefront`] with `plugin` handling price, stock and orders.
pub async fn create_storefront_on(api: &Api, sf: &str, plugin: &str) {
    api.ok(
        "POST",
        "/api/v1/storefronts",
        Some(json!({"id": sf, "name": "Test shop"})),
        201,
    )
    .await;
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{sf}/connect"),
        Some(json!({
            "enabled_plugins": [plugin],
            "price_plugin": plugin, "stock_plugin": plugin, "order_plugin": plugin,
            // The simulator listens on 127.0.0.1.
            "allow_private_networks": true,
        })),
        200,
    )
    .await;
}

/// Department `acme-marketing` (customer code ACME-MKT), customer `alice`
/// in it and `bob` in none.
pub async fn add_people(api: &Api, sf: &str) {
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{sf}/departments/acme-marketing"),
        Some(json!({"name": "Acme Marketing", "customer_code": "ACME-MKT"})),
        200,
    )
    .await;
    for (id, email, dept) in [
        ("alice", "alice@acme.example", json!("acme-marketing")),
        ("bob", "bob@example.com", Value::Null),
    ] {
        api.ok(
            "PUT",
            &format!("/api/v1/storefronts/{sf}/customers/{id}"),
            Some(json!({"email": email, "department": dept})),
            200,
        )
        .await;
    }
}

/// (storefront product, Tharstern product, minimum order quantity).
pub type MappingRow = (&'static str, &'static str, Option<u32>);

/// The product mappings [`configure_storefront`] makes.
pub const MAPPINGS: [MappingRow; 4] = [
    ("business-cards", "BC-STD", None),
    ("pens", "STK-PEN", Some(100)),
    ("mugs", "STK-MUG", None),
    ("letterhead-packs", "STK-LHPACK", Some(10)),
];

/// Maps each storefront product of `rows` on `sf`.
pub async fn add_mappings(api: &Api, sf: &str, rows: &[MappingRow]) {
    for (product, product_ref, min) in rows {
        api.ok(
            "PUT",
            &format!("/api/v1/storefronts/{sf}/mappings/{product}"),
            Some(json!({"product_ref": product_ref, "min_order_qty": min})),
            200,
        )
        .await;
    }
}

/// Makes a webhook secret for [`SF`] and [`PLUGIN`] through the API and
/// answers the URL holding it.
pub async fn webhook_url(api: &Api) -> String {
    webhook_url_for(api, PLUGIN).await
}

/// [`webhook_url`] for `plugin`.
pub async fn webhook_url_for(api: &Api, plugin: &str) -> String {
    let made = api
        .ok(
            "POST",
            &format!("/api/v1/storefronts/{SF}/plugins/{plugin}/webhook-secret"),
            None,
            200,
        )
        .await;
    made["secret_url"].as_str().expect("secret_url").to_string()
}

/// Subscribes the service's webhook URL (with a new secret) to the
/// simulator; answers the URL.
pub async fn subscribe_webhooks(sim: &tharstern_sim::SimHandle, api: &Api) -> String {
    use base64::Engine as _;
    let url = webhook_url(api).await;
    let token = base64::engine::general_purpose::STANDARD.encode(sim.issue_token());
    let resp = reqwest::Client::new()
        .post(sim.url("webhooks/subscriptions"))
        .header("Authorization", format!("Basic {token}"))
        .json(&json!({"Url": url, "Secret": WEBHOOK_SECRET}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    url
}

/// Polls `f` until it answers `Some`, or fails after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
