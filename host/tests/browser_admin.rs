//! The admin pages in headless Chromium (Debian's `chromium` and
//! `chromium-driver`): log in, configure the Tharstern plugin through the
//! form generated from its settings schema, see a field error for a bad URL,
//! Check Connection, and see an order's tracking number on the orders page.
//! Screenshots go to `target/screenshots/`.

mod service_support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use service_support::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "browser tests need Chromium: apt-get install -y chromium chromium-driver"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let until = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1100"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

fn screenshot_dir() -> PathBuf {
    // CARGO_MANIFEST_DIR is host/; screenshots go to the workspace's target/.
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
        .text()
        .await
        .unwrap()
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_configures_checks_and_follows_an_order() {
    let sim = start_sim().await;
    let service = start_service(|c| {
        c.server.outgoing_ips = vec!["203.0.113.7".into(), "198.51.100.0/28".into()];
    })
    .await;
    let api = Api::new(&service.url);
    create_storefront(&api, SF).await;

    let driver = start_driver();
    let c = browser(&driver).await;

    // Pages need a login; a wrong token is refused.
    c.goto(&format!("{}/admin/storefronts/{SF}/plugins", service.url))
        .await
        .unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/admin/login")
    );
    fill(&c, "#secret", "not-the-token").await;
    click(&c, "#login").await;
    assert!(text(&c, "#login-error").await.contains("Wrong credentials"));
    fill(&c, "#secret", TOKEN).await;
    click(&c, "#login").await;
    text(&c, "#storefronts").await;
    shot(&c, "01-storefronts").await;

    // The configure form comes from the plugin's settings schema.
    c.goto(&format!("{}/admin/storefronts/{SF}/plugins", service.url))
        .await
        .unwrap();
    click(&c, "#configure-tharstern").await;
    let form = text(&c, "#configure-form").await;
    assert!(form.contains("Default: 1440"), "defaults are shown: {form}");
    assert_eq!(
        c.find(Locator::Css("#setting-password"))
            .await
            .unwrap()
            .attr("type")
            .await
            .unwrap()
            .as_deref(),
        Some("password")
    );
    // Beside the endpoint setting: the addresses to allow at the MIS.
    let ips = text(&c, ".outgoing-ips").await;
    assert!(
        ips.contains("203.0.113.7") && ips.contains("198.51.100.0/28"),
        "{ips}"
    );
    fill(&c, "#setting-api_url", "not a url").await;
    fill(&c, "#setting-email", tharstern_sim::DEMO_API_EMAIL).await;
    fill(&c, "#setting-password", tharstern_sim::DEMO_API_PASSWORD).await;
    fill(&c, "#setting-application_id", "CONNECT-BROWSER").await;
    fill(&c, "#setting-customer_code", tharstern_sim::WEBSHOP).await;
    fill(&c, "#setting-webhook_secret", WEBHOOK_SECRET).await;
    click(&c, "#save-settings").await;
    let error = text(&c, "#error-api_url").await;
    assert!(!error.is_empty(), "a field error for the bad URL");
    shot(&c, "02-field-error").await;
    // What was typed stays, except secrets, which are never sent back.
    let email = c
        .find(Locator::Css("#setting-email"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(email.as_deref(), Some(tharstern_sim::DEMO_API_EMAIL));
    let password = c
        .find(Locator::Css("#setting-password"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(password.as_deref(), Some(""));
    let quoted = format!("\"{}\"", tharstern_sim::DEMO_API_PASSWORD);
    assert!(!c.source().await.unwrap().contains(&quoted));

    fill(&c, "#setting-api_url", &sim.base_url()).await;
    fill(&c, "#setting-password", tharstern_sim::DEMO_API_PASSWORD).await;
    fill(&c, "#setting-webhook_secret", WEBHOOK_SECRET).await;
    click(&c, "#save-settings").await;
    assert!(text(&c, ".flash.ok").await.contains("Settings saved"));

    // Check Connection: green success.
    click(&c, "#check-tharstern").await;
    let result = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#check-result"))
        .await
        .unwrap();
    assert_eq!(
        result.attr("class").await.unwrap().as_deref(),
        Some("check-ok"),
        "{}",
        result.text().await.unwrap()
    );
    assert!(result.text().await.unwrap().starts_with("Success"));
    shot(&c, "03-check-connection").await;

    // A webhook secret, made on the page: its URL is shown once and opens
    // the webhook route; the page shows no secret afterwards.
    click(&c, "#webhook-secret-tharstern").await;
    let secret_url = text(&c, "#webhook-secret-url").await;
    let prefix = format!("{}/webhooks/{SF}/{PLUGIN}/cwh_", service.url);
    assert!(secret_url.starts_with(&prefix), "{secret_url}");
    let body = r#"{"EventType":"JobStatusChanged","JobNo":"J-NONE","Status":"Printing"}"#;
    let hook = reqwest::Client::new()
        .post(&secret_url)
        .header(
            "x-tharstern-signature",
            tharstern_sim::webhooks::sign(WEBHOOK_SECRET, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status().as_u16(), 200);
    c.goto(&format!("{}/admin/storefronts/{SF}/plugins", service.url))
        .await
        .unwrap();
    let page = c.source().await.unwrap();
    assert!(
        page.contains("a secret is set"),
        "the page says a secret is set"
    );
    assert!(
        !page.contains(&secret_url[prefix.len()..]),
        "the secret shown again"
    );
    shot(&c, "04-webhook-secret").await;

    // An order, delivered and despatched: its tracking number shows.
    api.ok(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/mappings/mugs"),
        Some(json!({"product_ref": "STK-MUG"})),
        200,
    )
    .await;
    subscribe_webhooks(&sim, &api).await;
    api.ok(
        "POST",
        &format!("/api/v1/storefronts/{SF}/orders"),
        Some(json!({"id": "WEB-1001", "lines": [{"product": "mugs", "quantity": 12}]})),
        202,
    )
    .await;
    let job_no = eventually(30, "the order in the simulator", || async {
        sim.state()
            .orders()
            .iter()
            .find(|o| o.unique_submit_order_id.as_deref() == Some("WEB-1001"))
            .and_then(|o| o.job_nos.first().cloned())
    })
    .await;
    eventually(30, "the order delivered", || {
        let api = api.clone();
        async move {
            let o = api
                .ok(
                    "GET",
                    &format!("/api/v1/storefronts/{SF}/orders/WEB-1001"),
                    None,
                    200,
                )
                .await;
            (o["state"] == "delivered").then_some(())
        }
    })
    .await;
    sim.advance_job(
        &job_no,
        Some(tharstern_sim::model::JobStatus::Despatched),
        Some("TRK-BROWSER-42".into()),
    )
    .unwrap();
    eventually(30, "the tracking number on the orders page", || {
        let c = c.clone();
        let url = format!("{}/admin/storefronts/{SF}/orders", service.url);
        async move {
            c.goto(&url).await.ok()?;
            let t = c
                .find(Locator::Css("#order-WEB-1001 .tracking"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (t == "TRK-BROWSER-42").then_some(())
        }
    })
    .await;
    assert_eq!(
        text(&c, "#order-WEB-1001 .state-delivered").await,
        "delivered"
    );
    assert_eq!(text(&c, "#order-WEB-1001 .job-status").await, "Despatched");
    shot(&c, "05-orders").await;

    c.close().await.unwrap();
    service.stop().await;
}

/// A storefront on two plugins: the mappings page has a block per plugin,
/// and what is typed there is what the API answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mappings_page_names_a_product_per_plugin() {
    let service = start_service_with_both_plugins().await;
    let api = Api::new(&service.url);
    api.ok(
        "POST",
        "/api/v1/storefronts",
        Some(json!({"id": "mixed"})),
        201,
    )
    .await;
    api.ok(
        "PUT",
        "/api/v1/storefronts/mixed/connect",
        Some(
            json!({"enabled_plugins": ["printiq", "tharstern"], "price_plugin": "printiq",
                    "stock_plugin": "tharstern", "order_plugin": "tharstern"}),
        ),
        200,
    )
    .await;

    let driver = start_driver();
    let c = browser(&driver).await;
    c.goto(&format!("{}/admin/login", service.url))
        .await
        .unwrap();
    fill(&c, "#secret", TOKEN).await;
    click(&c, "#login").await;
    // Logged in (the landing page) before going on.
    text(&c, "#storefronts").await;
    c.goto(&format!("{}/admin/storefronts/mixed/mappings", service.url))
        .await
        .unwrap();
    assert!(text(&c, "#block-printiq").await.contains("For printiq"));
    assert!(text(&c, "#block-tharstern").await.contains("For tharstern"));
    fill(&c, "#product", "promo-pack").await;
    fill(&c, "#product_ref", "STK-FOLDER").await;
    fill(&c, "#ref-printiq", "code:FLY-A5").await;
    fill(&c, "#overrides-printiq", "Paper = Silk 350").await;
    click(&c, "#save-mapping").await;
    assert!(text(&c, "#mappings").await.contains("code:FLY-A5"));
    shot(&c, "06-mapping-per-plugin").await;

    let m = api
        .ok(
            "GET",
            "/api/v1/storefronts/mixed/mappings/promo-pack",
            None,
            200,
        )
        .await;
    assert_eq!(m["product_ref"], "STK-FOLDER", "{m}");
    assert_eq!(
        m["plugins"],
        json!({"printiq": {"product_ref": "code:FLY-A5", "overrides": {"Paper": "Silk 350"},
                            "advanced_json": null}}),
        "{m}"
    );
}
