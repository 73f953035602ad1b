//! Figures 7 and 8: the storefront service as deployed — the real
//! `connect-host serve` binary (same profile as the harness) on loopback,
//! configured through its REST API, against the simulator.
//!
//! 7. The price endpoint with a warm cache under a loopback load generator
//!    (`wrk`; a built-in generator in smoke mode or when `wrk` is missing).
//!
//! Figure 8, the outbox, is in `outbox.rs`; both use the service process
//! and clients here.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};

use super::setup::{Shared, tokio_rt};
use super::stats::{fmt_duration, fmt_rate, summarize};
use super::{Options, Report, Target};

const TOKEN: &str = "bench-admin-token-0123456789abcdef";
pub(super) const SF: &str = "bench";
pub(super) const PLUGIN: &str = "tharstern";
const PRICE_BODY: &str = r#"{"product":"business-cards","quantity":250}"#;

/// A `connect-host serve` child process; stopped when dropped.
pub(super) struct ServiceProcess {
    child: Child,
    pub(super) url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts `connect-host serve` in a new data directory, with extra
/// environment (e.g. `CONNECT_STORE_URL`).
pub(super) fn start_service(env: &[(&str, &str)]) -> anyhow::Result<ServiceProcess> {
    let dir = tempfile::tempdir()?;
    let addr = format!("127.0.0.1:{}", free_port()?);
    let log = std::fs::File::create(dir.path().join("service.log"))?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_connect-host"));
    child.envs(env.iter().copied());
    let mut child = child
        .args(["serve", "--listen", &addr, "--data-dir"])
        .arg(dir.path())
        .env("CONNECT_AUTH_TOKEN", TOKEN)
        // Share the precompiled plugin with the tests (a debug build of
        // Cranelift would take long to compile it).
        .env(
            "CONNECT_PLUGINS_PRECOMPILED_DIR",
            connect_artifacts::PRECOMPILED_DIR,
        )
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .context("starting connect-host serve")?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let started = loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("connect-host serving on") => break true,
            Some(Ok(_)) => {}
            _ => break false,
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let service = ServiceProcess {
        child,
        url: format!("http://{addr}"),
        _dir: dir,
    };
    if !started {
        let log =
            std::fs::read_to_string(service._dir.path().join("service.log")).unwrap_or_default();
        bail!("connect-host serve did not start:\n{log}");
    }
    Ok(service)
}

/// A small JSON client with a bearer token: the admin token to configure,
/// the storefront's own API key for what a shop calls (price, orders).
#[derive(Clone)]
pub(super) struct Api {
    pub(super) base: String,
    pub(super) http: reqwest::Client,
    token: String,
}

impl Api {
    pub(super) async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method.parse()?, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// A storefront using the Tharstern plugin for price, stock and orders,
/// with product `business-cards` mapped to product type 1. Answers the
/// storefront's client (its own API key) and the (warm) price answer.
pub(super) async fn configure(api: &Api, sim_url: &str) -> anyhow::Result<(Api, Value)> {
    api.send(
        "POST",
        "/api/v1/storefronts",
        Some(json!({"id": SF, "name": "Bench shop"})),
    )
    .await?;
    api.send(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/connect"),
        Some(json!({
            "enabled_plugins": [PLUGIN],
            "price_plugin": PLUGIN, "stock_plugin": PLUGIN, "order_plugin": PLUGIN,
            "allow_private_networks": true,
        })),
    )
    .await?;
    api.send(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/plugins/{PLUGIN}/settings"),
        Some(json!({
            "api_url": sim_url,
            "email": tharstern_sim::DEMO_API_EMAIL,
            "password": tharstern_sim::DEMO_API_PASSWORD,
            "application_id": "BENCH-REST",
            "customer_code": tharstern_sim::WEBSHOP,
        })),
    )
    .await?;
    api.send(
        "PUT",
        &format!("/api/v1/storefronts/{SF}/mappings/business-cards"),
        Some(json!({"product_ref": "1"})),
    )
    .await?;
    let created = api
        .send(
            "POST",
            &format!("/api/v1/storefronts/{SF}/keys"),
            Some(json!({"label": "bench shop"})),
        )
        .await?;
    let shop = Api {
        token: created["key"]
            .as_str()
            .ok_or_else(|| anyhow!("no key in {created}"))?
            .to_owned(),
        ..api.clone()
    };
    let price_path = format!("/api/v1/storefronts/{SF}/price");
    let body: Value = serde_json::from_str(PRICE_BODY)?;
    shop.send("POST", &price_path, Some(body.clone())).await?; // fills the cache
    let warm = shop.send("POST", &price_path, Some(body)).await?;
    if warm["cached"] != json!(true) {
        bail!("the second price was not cached: {warm}");
    }
    Ok((shop, warm))
}

impl Api {
    /// The admin client of a service.
    pub(super) fn admin(url: &str) -> Self {
        Self {
            base: url.to_owned(),
            http: reqwest::Client::new(),
            token: TOKEN.to_owned(),
        }
    }

    /// The same client of another node.
    pub(super) fn on(&self, url: &str) -> Self {
        Self {
            base: url.to_owned(),
            ..self.clone()
        }
    }
}

pub(super) fn start_configured(
    shared: &Shared,
) -> anyhow::Result<(ServiceProcess, Api, Value, tokio::runtime::Runtime)> {
    let service = start_service(&[])?;
    let tokio = tokio_rt();
    let (shop, warm) = tokio.block_on(configure(&Api::admin(&service.url), &shared.sim.url()))?;
    Ok((service, shop, warm, tokio))
}

pub fn rest(o: &Options, r: &mut Report, shared: &Shared) -> anyhow::Result<()> {
    let (service, shop, warm, tokio) = start_configured(shared)?;
    let (rps, p99, how) = price_load(o, &tokio, &[shop.on(&service.url)])?;
    r.add(
        7,
        "rest.rps",
        "REST price endpoint, warm cache: requests/s",
        rps,
        fmt_rate(rps, "req/s"),
        Target::AtLeast(15_000.0),
        "≥ 15,000 req/s",
    );
    r.add(
        7,
        "rest.p99",
        "REST price endpoint, warm cache: p99 latency",
        p99.as_secs_f64(),
        fmt_duration(p99),
        Target::AtMost(10e-3),
        "≤ 10 ms",
    );
    r.note(format!(
        "load: {how}; POST {PRICE_BODY} with the storefront's API key"
    ));
    // The baseline: what axum alone costs for the same request and answer
    // (the service's warm answer, byte for byte), with the same load.
    drop(service);
    let bare = o.relaunch.bare(&warm.to_string())?;
    let (bare_rps, bare_p99, _) = price_load(o, &tokio, &[shop.on(&bare.url())])?;
    r.add(
        7,
        "rest.bare.rps",
        "bare axum endpoint, same request and answer: requests/s",
        bare_rps,
        fmt_rate(bare_rps, "req/s"),
        Target::None,
        "",
    );
    r.add(
        7,
        "rest.bare.p99",
        "bare axum endpoint, same request and answer: p99 latency",
        bare_p99.as_secs_f64(),
        fmt_duration(bare_p99),
        Target::None,
        "",
    );
    let ratio = rps / bare_rps;
    r.add(
        7,
        "rest.ratio",
        "REST price ÷ bare endpoint: requests/s",
        ratio,
        format!("{ratio:.2}"),
        Target::AtLeast(0.6),
        "≥ 0.6",
    );
    let ratio = p99.as_secs_f64() / bare_p99.as_secs_f64().max(1e-9);
    r.add(
        7,
        "rest.p99.ratio",
        "REST price ÷ bare endpoint: p99 latency",
        ratio,
        format!("{ratio:.2}×"),
        Target::AtMost(2.0),
        "≤ 2×",
    );
    Ok(())
}

/// Warm price requests against every node at once (32 connections split
/// among them); answers (requests/s summed, the worst p99, how).
pub(super) fn price_load(
    o: &Options,
    tokio: &tokio::runtime::Runtime,
    shops: &[Api],
) -> anyhow::Result<(f64, Duration, String)> {
    let wrk = !o.smoke() && Command::new("wrk").arg("--version").output().is_ok();
    let connections = (32 / shops.len()).max(1);
    let d = if o.smoke() {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(10)
    };
    let urls: Vec<(String, String)> = shops
        .iter()
        .map(|s| {
            (
                format!("{}/api/v1/storefronts/{SF}/price", s.base),
                s.token.clone(),
            )
        })
        .collect();
    let runs: Vec<anyhow::Result<(f64, Duration, String)>> =
        if wrk {
            std::thread::scope(|scope| {
                let handles: Vec<_> = urls
                    .iter()
                    .map(|(url, key)| scope.spawn(move || run_wrk(url, key, d, connections as u32)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a wrk thread"))
                    .collect()
            })
        } else {
            let connections = connections.min(16);
            tokio.block_on(async {
                let mut runs = Vec::new();
                let mut tasks = tokio::task::JoinSet::new();
                for (url, key) in urls {
                    tasks.spawn(async move { built_in_load(&url, &key, d, connections).await });
                }
                while let Some(done) = tasks.join_next().await {
                    runs.push(done.map_err(anyhow::Error::from).and_then(|r| r).map(
                        |(rps, p99)| {
                            (
                                rps,
                                p99,
                                format!("built-in generator, {connections} connections"),
                            )
                        },
                    ));
                }
                runs
            })
        };
    let mut total = 0.0;
    let mut worst = Duration::ZERO;
    let mut how = String::new();
    for run in runs {
        let (rps, p99, h) = run?;
        total += rps;
        worst = worst.max(p99);
        how = h;
    }
    if shops.len() > 1 {
        how = format!("{} at once, one per node: {how}", shops.len());
    }
    Ok((total, worst, how))
}

/// `wrk` with a Lua script for the POST; answers (requests/s, p99).
fn run_wrk(
    url: &str,
    key: &str,
    duration: Duration,
    connections: u32,
) -> anyhow::Result<(f64, Duration, String)> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("price.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{PRICE_BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\n"
        ),
    )?;
    let threads = 1;
    let out = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
            &format!("-d{}s", duration.as_secs()),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        bail!("wrk saw errors:\n{text}");
    }
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| anyhow!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(|v| parse_wrk_duration(v.trim()))
        .ok_or_else(|| anyhow!("no 99% latency in wrk's output:\n{text}"))?;
    Ok((
        rps,
        p99,
        format!(
            "wrk -t{threads} -c{connections} -d{}s --latency",
            duration.as_secs()
        ),
    ))
}

fn parse_wrk_duration(v: &str) -> Option<Duration> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    let secs = match unit {
        "us" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// A small closed-loop load generator: `connections` clients, each sending
/// the next request when the previous one is answered.
async fn built_in_load(
    url: &str,
    key: &str,
    duration: Duration,
    connections: usize,
) -> anyhow::Result<(f64, Duration)> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (http, url, key) = (http.clone(), url.to_owned(), key.to_owned());
        tasks.spawn(async move {
            let mut samples = Vec::new();
            while started.elapsed() < duration {
                let t = Instant::now();
                let resp = http
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(PRICE_BODY)
                    .send()
                    .await?;
                let ok = resp.status().is_success();
                resp.bytes().await?;
                samples.push(t.elapsed());
                if !ok {
                    bail!("the price endpoint failed under load");
                }
            }
            anyhow::Ok(samples)
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = tasks.join_next().await {
        samples.extend(done??);
    }
    let elapsed = started.elapsed();
    let rate = samples.len() as f64 / elapsed.as_secs_f64();
    Ok((rate, summarize(samples).p99))
}
