//! Secrets (issue #7, point 6): a full end-to-end run of the real
//! `connect-host serve` process with a known Tharstern password, webhook
//! secret and storefront API key, the simulator handing out short-lived
//! tokens; then every log line (at `debug`), every API answer (including
//! errors), `/metrics`, every admin page and the files of the data
//! directory are scanned for them, raw, URL-encoded and in base64 (at any
//! alignment, so inside a longer base64 value such as a Basic credential
//! too). The goal is zero hits.

mod service_support;

use std::time::Duration;

use serde_json::{Value, json};
use service_support::process::{FAST_OUTBOX, ServiceProcess};
use service_support::*;

const EMAIL: &str = "secrets-sweep@example.com";
const PASSWORD: &str = "Pw-7f3c2a9e-Sweep!";
const WRONG_PASSWORD: &str = "Wrong-91c0d2-Sweep";

/// Every answer of the run, kept for the scan.
struct Recorder {
    http: reqwest::Client,
    base: String,
    seen: Vec<(String, String)>,
}

impl Recorder {
    async fn call(
        &mut self,
        bearer: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        self.seen
            .push((format!("{method} {path} -> {status}"), text.clone()));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn admin(&mut self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(Some(TOKEN), method, path, body).await
    }

    /// A page (or any GET) with a cookie, e.g. an admin session.
    async fn page(&mut self, path: &str, cookie: &str) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert_eq!(status, 200, "GET {path}");
        let text = resp.text().await.unwrap();
        self.seen.push((format!("page {path}"), text));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_an_answer_a_page_or_the_files() {
    let sim = tharstern_sim::Simulator::builder()
        .record_duplicate_orders()
        .demo_data()
        .api_user(EMAIL, PASSWORD)
        // Tokens expire during the run, so several are handed out.
        .token_lifetime(Duration::from_secs(2))
        .webhook_backoff(Duration::from_millis(50))
        .start()
        .await
        .expect("simulator starts");
    let mut service = ServiceProcess::new(FAST_OUTBOX);
    let log_path = service.capture_log();
    service.start(&[("RUST_LOG", "debug")]).await;
    let mut r = Recorder {
        http: reqwest::Client::new(),
        base: service.url.clone(),
        seen: Vec::new(),
    };
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;
    let settings_path = format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings");
    let mut settings = tharstern_settings(&sim);
    settings["email"] = json!(EMAIL);
    settings["password"] = json!(PASSWORD);
    let (status, _) = r.admin("PUT", &settings_path, Some(settings.clone())).await;
    assert_eq!(status, 200);
    let check = format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/check-connection");
    let (status, ok) = r.admin("POST", &check, None).await;
    assert_eq!((status, &ok["ok"]), (200, &json!(true)), "{ok}");

    // Field errors with the secrets in the request.
    let mut invalid = settings.clone();
    invalid["api_url"] = json!("not a url");
    let (status, _) = r.admin("PUT", &settings_path, Some(invalid)).await;
    assert_eq!(status, 422);

    // The storefront's own key, shown once.
    let (status, created) = r
        .admin(
            "POST",
            &format!("/api/v1/storefronts/{SF}/keys"),
            Some(json!({"label": "sweep"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    r.seen.pop(); // the one answer that must carry the key

    // What a shop does with its key: price, stock, an order.
    let shop = Some(key.as_str());
    let (status, quote) = r
        .call(
            shop,
            "POST",
            &format!("/api/v1/storefronts/{SF}/price"),
            Some(json!({"product": "business-cards", "quantity": 500, "customer": "bob"})),
        )
        .await;
    assert_eq!(status, 200, "{quote}");
    let (status, _) = r
        .call(
            shop,
            "POST",
            &format!("/api/v1/storefronts/{SF}/stock"),
            Some(json!({"product": "pens"})),
        )
        .await;
    assert_eq!(status, 200);
    // Past the token's lifetime: the plugin logs in again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, _) = r
        .call(
            shop,
            "POST",
            &format!("/api/v1/storefronts/{SF}/orders"),
            Some(json!({"id": "S-1", "customer": "bob", "lines": [
                {"product": "business-cards", "quantity": 500,
                 "quote_ref": quote["quote_ref"], "price": quote["price"]}]})),
        )
        .await;
    assert_eq!(status, 202);
    let order_path = format!("/api/v1/storefronts/{SF}/orders/S-1");
    eventually(30, "order S-1 delivered", || {
        let api = api.clone();
        let path = order_path.clone();
        async move {
            let o = api.ok("GET", &path, None, 200).await;
            (o["state"] == "delivered").then_some(())
        }
    })
    .await;

    // A signed status webhook, and one with a bad signature.
    let hook_url = subscribe_webhooks(&sim, &api).await;
    let hook_secret = hook_url.rsplit('/').next().unwrap().to_owned();
    let hook_info = format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/webhook-secret");
    let (status, _) = r.admin("GET", &hook_info, None).await;
    assert_eq!(status, 200);
    // A wrong secret in the URL: refused, and the answer names no secret.
    let wrong = format!("/webhooks/{SF}/{PLUGIN}/cwh_not-the-secret");
    let (status, _) = r.call(None, "POST", &wrong, Some(json!({}))).await;
    assert_eq!(status, 401);
    let job_no = sim
        .state()
        .orders()
        .iter()
        .find(|o| o.unique_submit_order_id.as_deref() == Some("S-1"))
        .and_then(|o| o.job_nos.first().cloned())
        .expect("the order made a job");
    sim.advance_job(
        &job_no,
        Some(tharstern_sim::model::JobStatus::Despatched),
        Some("TRK-SWEEP".into()),
    )
    .expect("job advanced");
    eventually(30, "tracking from the webhook", || {
        let api = api.clone();
        let path = order_path.clone();
        async move {
            let o = api.ok("GET", &path, None, 200).await;
            (o["tracking_number"] == "TRK-SWEEP").then_some(())
        }
    })
    .await;
    let (status, _) = r
        .call(
            None,
            "POST",
            &format!("/webhooks/{SF}/{PLUGIN}"),
            Some(json!({"JobNo": job_no, "Status": "Complete"})),
        )
        .await;
    assert!(
        (400..500).contains(&status),
        "an unsigned webhook: {status}"
    );

    // A wrong password: Check Connection fails and says why, without it.
    let mut wrong = settings.clone();
    wrong["password"] = json!(WRONG_PASSWORD);
    let (status, _) = r.admin("PUT", &settings_path, Some(wrong)).await;
    assert_eq!(status, 200);
    let (status, failed) = r.admin("POST", &check, None).await;
    assert_eq!((status, &failed["ok"]), (200, &json!(false)), "{failed}");
    let (status, _) = r
        .call(
            shop,
            "POST",
            &format!("/api/v1/storefronts/{SF}/price"),
            Some(json!({"product": "business-cards", "quantity": 750})),
        )
        .await;
    assert!(status >= 400, "a price with the wrong password: {status}");

    // Every read of the API, and the metrics.
    for path in [
        "/api/v1/plugins".to_string(),
        "/api/v1/storefronts".to_string(),
        format!("/api/v1/storefronts/{SF}"),
        format!("/api/v1/storefronts/{SF}/connect"),
        settings_path.clone(),
        format!("/api/v1/storefronts/{SF}/departments"),
        format!("/api/v1/storefronts/{SF}/customers/bob"),
        format!("/api/v1/storefronts/{SF}/mappings"),
        format!("/api/v1/storefronts/{SF}/keys"),
        format!("/api/v1/storefronts/{SF}/orders"),
        order_path.clone(),
        "/metrics".to_string(),
    ] {
        let (status, _) = r.admin("GET", &path, None).await;
        assert_eq!(status, 200, "GET {path}");
    }

    // Every admin page, logged in.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = no_redirects
        .post(format!("{}/admin/login", service.url))
        .form(&[("username", ""), ("secret", TOKEN)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for page in [
        "/admin".to_string(),
        format!("/admin/storefronts/{SF}"),
        format!("/admin/storefronts/{SF}/plugins"),
        format!("/admin/storefronts/{SF}/plugins/{PLUGIN}/configure"),
        format!("/admin/storefronts/{SF}/departments"),
        format!("/admin/storefronts/{SF}/mappings"),
        format!("/admin/storefronts/{SF}/orders"),
        format!("/admin/storefronts/{SF}/keys"),
    ] {
        r.page(&page, &cookie).await;
    }
    service.terminate().await;

    // The scan.
    let tokens = sim.issued_tokens();
    assert!(
        tokens.len() >= 2,
        "the run was meant to see a token expire: {tokens:?}"
    );
    let mut secrets: Vec<(&str, String)> = vec![
        ("the password", PASSWORD.to_owned()),
        ("the wrong password", WRONG_PASSWORD.to_owned()),
        ("the webhook secret", WEBHOOK_SECRET.to_owned()),
        ("the host's webhook secret", hook_secret),
        ("the storefront key", key.clone()),
        ("the admin token", TOKEN.to_owned()),
    ];
    secrets.extend(tokens.iter().map(|t| ("a Tharstern token", t.clone())));

    let log = std::fs::read_to_string(&log_path).unwrap();
    let log_lines = log.lines().count();
    assert!(
        log.contains("plugin settings changed") && log_lines > 50,
        "the debug log is missing or thin ({log_lines} lines)"
    );
    let mut hits = Vec::new();
    let encoded: Vec<(String, String)> = secrets
        .iter()
        .flat_map(|(what, secret)| {
            forms(secret)
                .into_iter()
                .map(move |(how, f)| (format!("{what} ({how})"), f))
        })
        .collect();
    let mut scan = |surface: &str, text: &str| hits.extend(find(&encoded, surface, text));
    for (n, line) in log.lines().enumerate() {
        scan(&format!("log line {}", n + 1), line);
    }
    for (what, answer) in &r.seen {
        scan(what, answer);
    }
    // The data directory: the settings are sealed, keys hashed. (The
    // plugin's cache, `cache.sqlite`, holds its current Tharstern token by
    // design: a short-lived credential it must present; it is not scanned
    // for tokens.)
    let mut files = 0;
    for entry in walk(&service.dir.path().join("data")) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        files += 1;
        let file_secrets: Vec<(String, String)> = secrets
            .iter()
            .take(4)
            .flat_map(|(what, secret)| {
                forms(secret)
                    .into_iter()
                    .map(move |(how, f)| (format!("{what} ({how})"), f))
            })
            .collect();
        hits.extend(find(&file_secrets, &format!("the file {name}"), &text));
    }
    println!(
        "secrets sweep: {} secrets ({} Tharstern tokens; {} raw, URL-encoded and base64 forms) \
         over {log_lines} log lines, {} answers and pages, {files} files: {} hits",
        secrets.len(),
        encoded.len(),
        tokens.len(),
        r.seen.len(),
        hits.len()
    );
    assert!(hits.is_empty(), "secrets found: {hits:#?}");
}

/// The forms a secret may leak in: raw, URL-encoded (upper- and lowercase
/// hex) and base64 (standard and URL-safe) at each of the 3 alignments, so
/// that it is found inside a longer base64 value too.
fn forms(secret: &str) -> Vec<(&'static str, String)> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    let mut out = vec![("raw", secret.to_owned())];
    let url: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    out.push(("URL-encoded", url.clone()));
    out.push(("URL-encoded", url.to_lowercase_hex()));
    for (name, engine) in [("base64", &STANDARD), ("base64url", &URL_SAFE)] {
        for offset in 0..3usize {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(secret.as_bytes());
            let text = engine.encode(&bytes);
            // Characters that depend on the secret's bytes alone: skip those
            // mixed with the offset's bytes and the last (partial) group.
            let skip = [0, 2, 3][offset];
            let keep = (bytes.len() / 3) * 4;
            if keep > skip + 8 {
                out.push((name, text[skip..keep].to_owned()));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

trait LowerHex {
    fn to_lowercase_hex(&self) -> String;
}

impl LowerHex for String {
    /// `%2F` -> `%2f`, leaving the rest alone.
    fn to_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut chars = self.chars();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '%' {
                out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
            }
        }
        out
    }
}

/// `surface` for each form of a secret found in `text`.
fn find(forms: &[(String, String)], surface: &str, text: &str) -> Vec<String> {
    forms
        .iter()
        .filter(|(_, form)| text.contains(form.as_str()))
        .map(|(what, _)| format!("{what} in {surface}"))
        .collect()
}

/// The scanner finds planted encoded values: a URL-encoded password in a
/// query string, a password inside a Basic credential, a base64url token.
#[test]
fn the_scanner_finds_planted_encoded_values() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let all = |secret: &str| -> Vec<(String, String)> {
        forms(secret)
            .into_iter()
            .map(|(how, f)| (how.to_owned(), f))
            .collect()
    };
    let planted = "GET /login?password=Pw-7f3c2a9e-Sweep%21 HTTP/1.1";
    assert_eq!(find(&all(PASSWORD), "q", planted), ["URL-encoded in q"]);
    assert_eq!(
        find(&all(PASSWORD), "q", &planted.to_lowercase()).len(),
        0,
        "other text"
    );
    assert_eq!(
        find(&all(PASSWORD), "q", "password=pw-7f3c2a9e-sweep%21").len(),
        0
    );
    assert_eq!(find(&all(PASSWORD), "q", "x=Pw-7f3c2a9e-Sweep%21").len(), 1);
    assert_eq!(find(&all(PASSWORD), "q", "x=Pw-7f3c2a9e-Sweep%2a").len(), 0);
    for user in ["a", "ab", "abc"] {
        let basic = format!(
            "Authorization: Basic {}",
            b64(&format!("{user}:{PASSWORD}"))
        );
        assert_eq!(
            find(&all(PASSWORD), "h", &basic),
            ["base64 in h"],
            "{basic}"
        );
    }
    let token = "3f6c1d8e-5b2a-4c9d-8e7f-a1b2c3d4e5f6";
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("t={token}"));
    assert_eq!(find(&all(token), "u", &url_safe).len(), 1, "{url_safe}");
    assert!(find(&all(PASSWORD), "clean", "nothing here").is_empty());
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
