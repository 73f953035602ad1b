//! `connect-host refresh`: refresh storefront catalogues now, through a
//! running service's API, with a progress bar.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

#[derive(Args, Debug)]
#[command(after_help = "\
The service refreshes catalogues on each storefront's interval by itself;
this asks for a refresh now. Exits with 1 when any refresh failed.

Examples:
  connect-host refresh --all
  connect-host refresh demo shop2 --url http://127.0.0.1:8080 --token-file data/admin-token")]
pub struct RefreshArgs {
    /// Storefront ids to refresh.
    pub storefronts: Vec<String>,
    /// Refresh every storefront.
    #[arg(long, conflicts_with = "storefronts")]
    pub all: bool,
    /// The service's base URL.
    #[arg(long, env = "CONNECT_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The admin token.
    #[arg(long, env = "CONNECT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// File holding the admin token (used when --token is not given).
    #[arg(long, default_value = "data/admin-token")]
    pub token_file: PathBuf,
}

pub async fn run(args: RefreshArgs) -> anyhow::Result<ExitCode> {
    let token = match &args.token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(&args.token_file)
            .with_context(|| {
                format!(
                    "reading the admin token from {} (or pass --token)",
                    args.token_file.display()
                )
            })?
            .trim()
            .to_string(),
    };
    let base = format!("{}/api/v1", args.url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()?;
    let get = |path: String| {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
    };
    let storefronts: Vec<String> = if args.all {
        let resp = get("/storefronts".into())
            .await
            .with_context(|| format!("reaching {}", args.url))?;
        let list: Value = answer(resp).await?;
        list["storefronts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect()
    } else {
        args.storefronts.clone()
    };
    if storefronts.is_empty() {
        bail!("name storefronts to refresh, or pass --all");
    }

    let bar = ProgressBar::new(storefronts.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut failed = 0;
    for sf in &storefronts {
        bar.set_message(format!("refreshing {sf}…"));
        let resp = client
            .post(format!("{base}/storefronts/{sf}/catalogue/refresh"))
            .bearer_auth(&token)
            .send()
            .await
            .with_context(|| format!("reaching {}", args.url));
        let line = match resp {
            Ok(resp) => match answer(resp).await {
                Ok(v) => {
                    let items = v["refreshed"].as_array().cloned().unwrap_or_default();
                    if items.is_empty() {
                        format!("{sf}: no plugin with a catalogue is enabled and configured")
                    } else {
                        items
                            .iter()
                            .map(|r| {
                                if r["ok"].as_bool() == Some(true) {
                                    format!(
                                        "{sf}/{}: {} products in {} product types",
                                        r["plugin"].as_str().unwrap_or("?"),
                                        r["products"],
                                        r["product_types"]
                                    )
                                } else {
                                    failed += 1;
                                    format!(
                                        "{sf}/{}: FAILED: {}",
                                        r["plugin"].as_str().unwrap_or("?"),
                                        r["error"].as_str().unwrap_or("")
                                    )
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    }
                }
                Err(e) => {
                    failed += 1;
                    format!("{sf}: FAILED: {e:#}")
                }
            },
            Err(e) => {
                failed += 1;
                format!("{sf}: FAILED: {e:#}")
            }
        };
        // Not a terminal (scripts, CI): the bar is hidden, print plainly.
        if bar.is_hidden() {
            println!("{line}");
        } else {
            bar.println(line);
        }
        bar.inc(1);
    }
    bar.finish_with_message(if failed == 0 {
        "done"
    } else {
        "done, with failures"
    });
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn answer(resp: reqwest::Response) -> anyhow::Result<Value> {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = body["error"]["message"].as_str().unwrap_or("no details");
        bail!("the service answered {status}: {message}");
    }
    Ok(body)
}
